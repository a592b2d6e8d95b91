"""Likeness reviews, look-alike links and notices."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import insert, or_, select, update

from twinstudio.domain.common import canonical_json
from twinstudio.domain.likeness import (
    LikenessReview,
    Notice,
    ReviewState,
    lookalike_pair,
)
from twinstudio.store import tables as t
from twinstudio.store.repositories._base import _Repo

_REVIEW_COLUMNS = {"id", "twin_id", "talent_id", "state", "created_at", "decided_at"}


def _review(row: Any) -> LikenessReview:
    return LikenessReview(**{k: row[k] for k in _REVIEW_COLUMNS}, **json.loads(row["document"]))


def _review_values(review: LikenessReview) -> dict[str, Any]:
    data = review.model_dump(mode="json")
    values = {k: getattr(review, k) for k in _REVIEW_COLUMNS}
    values["state"] = review.state.value
    values["document"] = canonical_json({k: v for k, v in data.items()
                                         if k not in _REVIEW_COLUMNS})
    return values


class SqlLikenessReviewRepository(_Repo):
    def add(self, review: LikenessReview) -> None:
        self._c.execute(insert(t.likeness_reviews).values(**_review_values(review)))

    def get(self, review_id: str, *, for_update: bool = False) -> LikenessReview:
        query = select(t.likeness_reviews).where(t.likeness_reviews.c.id == review_id)
        if for_update:
            query = query.with_for_update()
        return _review(self._one(query, "likeness review", review_id))

    def update(self, review: LikenessReview) -> None:
        values = _review_values(review)
        self._c.execute(update(t.likeness_reviews)
                        .where(t.likeness_reviews.c.id == review.id).values(**values))

    def list(self, *, state: ReviewState | None = None,
             twin_id: str | None = None) -> list[LikenessReview]:
        c = t.likeness_reviews.c
        query = select(t.likeness_reviews).order_by(c.created_at, c.id)
        if state is not None:
            query = query.where(c.state == state.value)
        if twin_id is not None:
            query = query.where(c.twin_id == twin_id)
        return [_review(r) for r in self._c.execute(query).mappings()]


class SqlLookalikeRepository(_Repo):
    def link(self, a: str, b: str, *, review_id: str, distance: float, at: datetime) -> bool:
        """Record two twins as look-alikes (once; False when they already were)."""
        first, second = lookalike_pair(a, b)
        c = t.twin_lookalikes.c
        if self._c.execute(select(c.twin_a).where(c.twin_a == first,
                                                  c.twin_b == second)).first():
            return False
        self._c.execute(insert(t.twin_lookalikes).values(
            twin_a=first, twin_b=second, review_id=review_id, distance=f"{distance:.4f}",
            created_at=at))
        return True

    def pairs(self) -> list[tuple[str, str]]:
        c = t.twin_lookalikes.c
        return [(r[0], r[1]) for r in self._c.execute(select(c.twin_a, c.twin_b))]

    def of(self, twin_id: str) -> list[str]:
        c = t.twin_lookalikes.c
        rows = self._c.execute(select(c.twin_a, c.twin_b).where(
            or_(c.twin_a == twin_id, c.twin_b == twin_id)).order_by(c.created_at))
        return [b if a == twin_id else a for a, b in rows]


_NOTICE_COLUMNS = {"id", "recipient_id", "kind", "created_at", "read_at"}


class SqlNoticeRepository(_Repo):
    def add(self, notice: Notice) -> None:
        document = notice.model_dump(mode="json", include={"subject", "body", "refs"})
        self._c.execute(insert(t.notices).values(
            **{k: getattr(notice, k) for k in _NOTICE_COLUMNS},
            document=canonical_json(document)))

    def list_for(self, recipient_ids: list[str]) -> list[Notice]:
        c = t.notices.c
        rows = self._c.execute(select(t.notices).where(c.recipient_id.in_(recipient_ids))
                               .order_by(c.created_at.desc(), c.id)).mappings()
        return [Notice(**{k: r[k] for k in _NOTICE_COLUMNS}, **json.loads(r["document"]))
                for r in rows]

    def mark_read(self, notice_id: str, at: datetime) -> bool:
        c = t.notices.c
        return bool(self._c.execute(update(t.notices).where(
            c.id == notice_id, c.read_at.is_(None)).values(read_at=at)).rowcount)
