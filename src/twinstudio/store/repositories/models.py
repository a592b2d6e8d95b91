"""The model registry: registered model folders, their manifests and licences."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select

from twinstudio.domain.common import canonical_json
from twinstudio.domain.models import ModelKind, RegisteredModel
from twinstudio.store import tables as t
from twinstudio.store.repositories._base import _corrupt, _Repo


class SqlModelRepository(_Repo):
    def add(self, model: RegisteredModel) -> None:
        self._c.execute(insert(t.models).values(
            name=model.name, kind=model.kind.value, commercial=model.commercial,
            manifest_sha256=model.manifest_sha256,
            document=canonical_json(model.model_dump(mode="json")), added_at=model.added_at))

    def get(self, name: str) -> RegisteredModel:
        return _model(self._one(select(t.models).where(t.models.c.name == name), "model",
                                name))

    def find(self, name: str) -> RegisteredModel | None:
        row = self._c.execute(select(t.models).where(t.models.c.name == name)
                              ).mappings().first()
        return _model(row) if row else None

    def remove(self, name: str) -> bool:
        return bool(self._c.execute(delete(t.models).where(t.models.c.name == name)).rowcount)

    def list(self, *, kind: ModelKind | None = None) -> list[RegisteredModel]:
        query = select(t.models).order_by(t.models.c.name)
        if kind is not None:
            query = query.where(t.models.c.kind == kind.value)
        return [_model(r) for r in self._c.execute(query).mappings()]


def _model(row: Any) -> RegisteredModel:
    try:
        model = RegisteredModel.model_validate_json(row["document"])
    except ValueError as error:
        raise _corrupt("model", row["name"], error) from None
    if model.manifest_sha256 != row["manifest_sha256"] or model.name != row["name"]:
        raise _corrupt("model", row["name"], ValueError("its manifest hash does not match"))
    return model
