"""Use cases of body twins: record a twin's body (profile and fitted parameters)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from twinstudio.domain.errors import InvalidInput
from twinstudio.services.context import ServiceContext


def set_twin_body(ctx: ServiceContext, *, twin_id: str, profile: dict[str, Any],
                  fit: dict[str, Any], actor: str) -> None:
    """Record the twin's body twin (body profile and fitted parameters)."""
    from twinstudio.domain.body import BodyProfile

    try:
        BodyProfile.model_validate(profile)
    except ValueError as error:
        raise InvalidInput(f"body profile: {str(error).splitlines()[-1]}") from None
    for key in ("phenotypes", "local_changes"):
        if not isinstance(fit.get(key), dict):
            raise InvalidInput(f"body fit needs {key}")
    now = ctx.now()
    with ctx.uow() as uow:
        uow.twins.get(twin_id)
        uow.bodies.put(twin_id, profile, fit, now)
        uow.audit.append(actor=actor, type="TwinBodySet", at=now, payload={
            "twin_id": twin_id, "fit_sha256": hashlib.sha256(
                json.dumps(fit, sort_keys=True).encode()).hexdigest()})
        uow.commit()
