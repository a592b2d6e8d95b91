"""Use cases of body twins: fit a twin's body to the talent's measurements and record it
(profile and fitted parameters)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import ValidationError

from twinstudio.domain.body import BodyFit, BodyProfile
from twinstudio.domain.errors import ConfigurationError, InvalidInput
from twinstudio.services.context import ServiceContext


def set_twin_body(ctx: ServiceContext, *, twin_id: str, profile: dict[str, Any],
                  fit: dict[str, Any], actor: str) -> None:
    """Record the twin's body twin (body profile and fitted parameters)."""
    try:
        BodyProfile.model_validate(profile)
    except ValidationError as error:
        raise InvalidInput.of(error, "body profile") from None
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


def fit_twin_body(ctx: ServiceContext, *, twin_id: str, profile: BodyProfile,
                  actor: str) -> BodyFit:
    """Fit the body model to the talent's measurements and record it as the twin's body
    twin; returns the fit with its error per measurement given (the optional ones may be
    left out). Recording is the last step: a fit that fails, or that cannot be reported,
    records nothing."""
    if ctx.body_fitting is None:
        raise ConfigurationError("body fitting needs the body extra (anny)")
    with ctx.uow() as uow:
        uow.twins.get(twin_id)  # an unknown twin is refused before the fit
    fitted = ctx.body_fitting.fit(profile)
    fitted.as_dict()  # what the caller reports is whole before anything is recorded
    set_twin_body(ctx, twin_id=twin_id, profile=profile.model_dump(mode="json"),
                  fit=fitted.twin_fit(), actor=actor)
    return fitted
