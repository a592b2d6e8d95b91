"""Assets, their marks (the provenance registry), their details and publications,
and the biometric store (wrapped keys, encrypted templates)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update

from twinstudio.domain.asset import Asset, AssetState
from twinstudio.domain.common import canonical_json
from twinstudio.domain.provenance import AssetMark
from twinstudio.store import tables as t
from twinstudio.store.repositories._base import _Repo


def _asset(row: Any) -> Asset:
    return Asset(id=row["id"], twin_id=row["twin_id"], licence_id=row["licence_id"],
                 brand_id=row["brand_id"], state=AssetState(row["state"]), source=row["source"],
                 alterations=json.loads(row["alterations"]), retouched=bool(row["retouched"]),
                 parent_id=row["parent_id"], state_reason=row["state_reason"],
                 created_at=row["created_at"], updated_at=row["updated_at"])


class SqlAssetRepository(_Repo):
    def add(self, asset: Asset) -> None:
        self._c.execute(insert(t.assets).values(
            id=asset.id, twin_id=asset.twin_id, licence_id=asset.licence_id,
            brand_id=asset.brand_id, state=asset.state.value, source=asset.source,
            alterations=canonical_json(asset.alterations), retouched=int(asset.retouched),
            parent_id=asset.parent_id, state_reason=asset.state_reason,
            created_at=asset.created_at, updated_at=asset.updated_at))

    def get(self, asset_id: str) -> Asset:
        return _asset(self._one(select(t.assets).where(t.assets.c.id == asset_id), "asset",
                                asset_id))

    def update(self, asset: Asset) -> None:
        self._c.execute(update(t.assets).where(t.assets.c.id == asset.id).values(
            state=asset.state.value, state_reason=asset.state_reason,
            updated_at=asset.updated_at))

    def list(self, *, licence_id: str | None = None, twin_id: str | None = None) -> list[Asset]:
        query = select(t.assets).order_by(t.assets.c.created_at, t.assets.c.id)
        if licence_id is not None:
            query = query.where(t.assets.c.licence_id == licence_id)
        if twin_id is not None:
            query = query.where(t.assets.c.twin_id == twin_id)
        return [_asset(r) for r in self._c.execute(query).mappings()]


class SqlMarkRepository(_Repo):
    """Watermark codes and fingerprints of marked assets (the provenance registry)."""

    def add(self, mark: AssetMark) -> None:
        self._c.execute(insert(t.asset_marks).values(**mark.__dict__))

    def by_code(self, code: int) -> AssetMark | None:
        row = self._c.execute(select(t.asset_marks).where(t.asset_marks.c.code == code)
                              ).mappings().first()
        return AssetMark(**row) if row else None

    def get(self, asset_id: str) -> AssetMark:
        return AssetMark(**self._one(select(t.asset_marks).where(
            t.asset_marks.c.asset_id == asset_id), "asset mark", asset_id))

    def count(self) -> int:
        return int(self._c.execute(select(func.count()).select_from(t.asset_marks)).scalar())

    def all(self) -> list[AssetMark]:
        rows = self._c.execute(select(t.asset_marks).order_by(t.asset_marks.c.created_at,
                                                              t.asset_marks.c.asset_id))
        return [AssetMark(**r) for r in rows.mappings()]

    def sizes(self) -> list[tuple[int, int]]:
        rows = self._c.execute(select(t.asset_marks.c.width, t.asset_marks.c.height).distinct())
        return [(int(r[0]), int(r[1])) for r in rows]

    def version(self) -> tuple[int, str]:
        """Changes whenever a mark is added or removed (count, newest time, last id)."""
        c = t.asset_marks.c
        row = self._c.execute(select(func.count(), func.max(c.created_at),
                                     func.max(c.asset_id))).one()
        return int(row[0]), f"{row[1]}|{row[2]}"


class SqlBiometricStore(_Repo):
    """Wrapped per-twin data keys and encrypted templates (never plaintext)."""

    def key(self, twin_id: str) -> bytes | None:
        c = t.twin_data_keys.c
        row = self._c.execute(select(c.wrapped_key).where(c.twin_id == twin_id)).first()
        return bytes(row[0]) if row and row[0] is not None else None

    def put_key(self, twin_id: str, wrapped: bytes, at: datetime) -> None:
        c = t.twin_data_keys.c
        if self._c.execute(select(c.twin_id).where(c.twin_id == twin_id)).first():
            self._c.execute(update(t.twin_data_keys).where(c.twin_id == twin_id).values(
                wrapped_key=wrapped, created_at=at, destroyed_at=None, destroyed_reason=None))
        else:
            self._c.execute(insert(t.twin_data_keys).values(twin_id=twin_id, wrapped_key=wrapped,
                                                            created_at=at))

    def destroy_key(self, twin_id: str, at: datetime, reason: str) -> bool:
        c = t.twin_data_keys.c
        done = self._c.execute(update(t.twin_data_keys)
                               .where(c.twin_id == twin_id, c.wrapped_key.is_not(None))
                               .values(wrapped_key=None, destroyed_at=at,
                                       destroyed_reason=reason))
        return bool(done.rowcount)

    def add_template(self, *, template_id: str, twin_id: str, kind: str, ciphertext: bytes,
                     retain_until: datetime, at: datetime) -> None:
        self._c.execute(insert(t.biometric_templates).values(
            id=template_id, twin_id=twin_id, kind=kind, ciphertext=ciphertext,
            retain_until=retain_until, created_at=at))

    def templates(self, twin_id: str, kinds: Sequence[str] | None = None
                  ) -> list[tuple[str, str, bytes, datetime]]:
        c = t.biometric_templates.c
        query = select(c.id, c.kind, c.ciphertext, c.retain_until).where(c.twin_id == twin_id)
        if kinds is not None:
            query = query.where(c.kind.in_(list(kinds)))
        rows = self._c.execute(query.order_by(c.created_at, c.id))
        return [(r[0], r[1], bytes(r[2]), r[3]) for r in rows]

    def delete_templates(self, twin_id: str) -> int:
        c = t.biometric_templates.c
        return int(self._c.execute(t.biometric_templates.delete()
                                   .where(c.twin_id == twin_id)).rowcount)

    def twins_past_retention(self, now: datetime) -> list[str]:
        c = t.biometric_templates.c
        rows = self._c.execute(select(c.twin_id).where(c.retain_until < now).distinct())
        return [r[0] for r in rows]


class SqlAssetDetailRepository(_Repo):
    def add(self, asset_id: str, *, job_id: str | None, qa: dict[str, Any],
            reference: dict[str, Any]) -> None:
        self._c.execute(insert(t.asset_details).values(
            asset_id=asset_id, job_id=job_id, qa=canonical_json(qa),
            reference=canonical_json(reference)))

    def get(self, asset_id: str) -> dict[str, Any] | None:
        row = self._c.execute(select(t.asset_details).where(
            t.asset_details.c.asset_id == asset_id)).mappings().first()
        if row is None:
            return None
        return {"job_id": row["job_id"], "qa": json.loads(row["qa"]),
                "reference": json.loads(row["reference"])}

    def add_publication(self, *, publication_id: str, asset_id: str, channel: str,
                        territory: str, published_on: Any, labels: list[str],
                        rendition_sha256: str, at: datetime) -> None:
        self._c.execute(insert(t.asset_publications).values(
            id=publication_id, asset_id=asset_id, channel=channel, territory=territory,
            published_on=published_on, labels=canonical_json(labels),
            rendition_sha256=rendition_sha256, published_at=at))

    def publications(self, asset_id: str | None = None) -> list[dict[str, Any]]:
        query = select(t.asset_publications).order_by(t.asset_publications.c.published_at,
                                                      t.asset_publications.c.id)
        if asset_id is not None:
            query = query.where(t.asset_publications.c.asset_id == asset_id)
        return [{**dict(r), "labels": json.loads(r["labels"])}
                for r in self._c.execute(query).mappings()]

    def request_takedown(self, asset_id: str, at: datetime) -> int:
        return self._c.execute(update(t.asset_publications).where(
            t.asset_publications.c.asset_id == asset_id,
            t.asset_publications.c.takedown_requested_at.is_(None)).values(
            takedown_requested_at=at)).rowcount
