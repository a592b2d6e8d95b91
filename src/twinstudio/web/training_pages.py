"""The portal's twin training page, for the talent and their agency: the twin's LoRA
versions (base model, steps, date, hash) with export and delete, its trainings, a form
that queues a new training, and the withdrawal of the consent to train. Every POST checks
the CSRF token first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from twinstudio.api.routers.training import export_response
from twinstudio.domain.training import TrainingParams, base_recipe, training_consent
from twinstudio.services import adapters as adapter_service
from twinstudio.services import training as training_service
from twinstudio.web.session import check_csrf, render, signed_in

router = APIRouter()
Csrf = Annotated[str | None, Form()]


@router.get("/twins/{twin_id}/training")
def training_page(request: Request, twin_id: str) -> Response:
    found = signed_in(request)
    access = found.access
    twin = access.twin(twin_id)
    with found.ctx.uow() as uow:
        talent = uow.talents.get(twin.talent_id)
        models = [m for m in uow.models.list()
                  if base_recipe(m.kind.value, m.class_name) and m.commercial]
        refusals = training_service.rights_refusals(uow, twin_id, found.ctx.today())
        consent = training_consent(uow.consents.list_for_twin(twin_id), found.ctx.today())
    return render(request, found, "twin_training.html", twin=twin, talent=talent,
                  adapters=list(reversed(adapter_service.list_adapters(found.ctx, twin_id))),
                  jobs=list(reversed(training_service.list_jobs(found.ctx, twin_id))),
                  models=models, refusals=refusals, consent=consent,
                  defaults=TrainingParams(), may_train=access.may("twin.train"),
                  may_manage=access.may("adapter.manage"))


@router.post("/twins/{twin_id}/training")
def request_training(request: Request, twin_id: str, csrf_token: Csrf = None,
                     base_model: Annotated[str, Form(max_length=64)] = "",
                     steps: Annotated[int, Form(ge=1, le=20_000)] = 500,
                     rank: Annotated[int, Form(ge=1, le=256)] = 16,
                     resolution: Annotated[int, Form(ge=64, le=2048)] = 1024) -> Response:
    found = signed_in(request)
    check_csrf(found, csrf_token)
    access = found.access
    access.twin(twin_id)
    access.require("twin.train")
    job = training_service.request_training(
        found.ctx, twin_id, base_model=base_model, actor=access.principal.actor,
        params=TrainingParams(steps=steps, rank=rank, resolution=resolution))
    return RedirectResponse(f"/twins/{twin_id}/training?queued={job.id}", status_code=303)


@router.get("/adapters/{adapter_id}/export")
def export(request: Request, adapter_id: str) -> Response:
    return export_response(signed_in(request).access, adapter_id)


@router.post("/adapters/{adapter_id}/delete")
def delete(request: Request, adapter_id: str, csrf_token: Csrf = None,
           reason: Annotated[str, Form(max_length=500)] = "deleted by the talent's side"
           ) -> Response:
    found = signed_in(request)
    check_csrf(found, csrf_token)
    access = found.access
    adapter = access.adapter(adapter_id)
    access.require("adapter.manage")
    adapter_service.delete_adapter(found.ctx, adapter_id, reason=reason,
                                   actor=access.principal.actor)
    return RedirectResponse(f"/twins/{adapter.twin_id}/training?deleted={adapter_id}",
                            status_code=303)


@router.post("/consents/{consent_id}/withdraw-training")
def withdraw(request: Request, consent_id: str, csrf_token: Csrf = None,
             reason: Annotated[str, Form(min_length=1, max_length=500)] = "withdrawn"
             ) -> Response:
    found = signed_in(request)
    check_csrf(found, csrf_token)
    access = found.access
    consent = access.consent(consent_id)
    access.require("consent.revoke")
    destroyed = adapter_service.withdraw_training(found.ctx, consent_id, reason=reason,
                                                  actor=access.principal.actor)
    return RedirectResponse(f"/twins/{consent.twin_id}/training?destroyed={len(destroyed)}",
                            status_code=303)
