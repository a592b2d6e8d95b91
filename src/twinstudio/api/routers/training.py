"""Twin training: the talent's side queues a training of the twin's LoRA, follows it,
lists, exports and deletes the adapter versions, and withdraws the consent to train; a
licensee learns only which base models the twin has an adapter for."""

from __future__ import annotations

from fastapi import APIRouter, Response

from twinstudio.api.deps import AccessDep, PagingDep, isolation
from twinstudio.api.schemas import Page
from twinstudio.api.training_schemas import (
    AdapterBasesPublic,
    AdapterPublic,
    ReasonRequest,
    TrainingCreate,
    TrainingJobPublic,
)
from twinstudio.services import adapters as adapter_service
from twinstudio.services import training as training_service

router = APIRouter(tags=["training"])
_ZIP = {200: {"content": {"application/zip": {}},
              "description": "the weights (pytorch_lora_weights.safetensors), manifest.json "
                             "and manifest.sig.json (signed with the talent's key)"}}


@router.post("/twins/{twin_id}/trainings", status_code=202, openapi_extra=isolation(
    object="twin", param="twin_id", action="twin.train"))
def request_training(twin_id: str, body: TrainingCreate,
                     access: AccessDep) -> TrainingJobPublic:
    """Queue a training of the twin's LoRA on a registered base model (202). Refused with
    every reason (training_consent_missing, biometric_release_missing, twin_not_active,
    base_model_unsuitable) before any photo is read. A training worker runs it
    (``twinstudio trainer run``, or ``twinstudio twin train``)."""
    access.twin(twin_id)
    access.require("twin.train")
    job = training_service.request_training(access.ctx, twin_id, base_model=body.base_model,
                                            params=body.params, actor=access.principal.actor)
    return TrainingJobPublic.of(job)


@router.get("/twins/{twin_id}/trainings", openapi_extra=isolation(
    object="twin", param="twin_id", action="read"))
def list_trainings(twin_id: str, access: AccessDep,
                   paging: PagingDep) -> Page[TrainingJobPublic]:
    access.twin(twin_id)
    return paging.page([TrainingJobPublic.of(j)
                        for j in training_service.list_jobs(access.ctx, twin_id)])


@router.get("/trainings/{job_id}", openapi_extra=isolation(
    object="training", param="job_id", action="read"))
def read_training(job_id: str, access: AccessDep) -> TrainingJobPublic:
    """State, the last checkpointed step and its loss."""
    return TrainingJobPublic.of(access.training(job_id))


@router.post("/trainings/{job_id}/cancel", openapi_extra=isolation(
    object="training", param="job_id", action="twin.train"))
def cancel_training(job_id: str, access: AccessDep) -> TrainingJobPublic:
    access.training(job_id)
    access.require("twin.train")
    return TrainingJobPublic.of(training_service.cancel_training(
        access.ctx, job_id, actor=access.principal.actor))


@router.get("/twins/{twin_id}/adapters", openapi_extra=isolation(
    object="twin", param="twin_id", action="read"))
def list_adapters(twin_id: str, access: AccessDep, paging: PagingDep) -> Page[AdapterPublic]:
    """Every version (base model, steps, date, hash), deleted and destroyed ones too."""
    access.twin(twin_id)
    return paging.page([AdapterPublic.of(a)
                        for a in adapter_service.list_adapters(access.ctx, twin_id)])


@router.get("/adapters/{adapter_id}", openapi_extra=isolation(
    object="adapter", param="adapter_id", action="read"))
def read_adapter(adapter_id: str, access: AccessDep) -> AdapterPublic:
    return AdapterPublic.of(access.adapter(adapter_id))


@router.get("/adapters/{adapter_id}/export", response_class=Response, responses=_ZIP,
            openapi_extra=isolation(object="adapter", param="adapter_id",
                                    action="adapter.manage"))
def export_adapter(adapter_id: str, access: AccessDep) -> Response:
    """The weights decrypted, with a manifest saying whose they are and under which
    consent, signed with the talent's key (audited)."""
    return export_response(access, adapter_id)


def export_response(access: AccessDep, adapter_id: str) -> Response:
    """The signed export as a ZIP download (the API's route and the portal's link)."""
    access.adapter(adapter_id)
    access.require("adapter.manage")
    exported = adapter_service.export_adapter(access.ctx, adapter_id,
                                              actor=access.principal.actor)
    return Response(exported.data, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{exported.filename}"'})


@router.post("/adapters/{adapter_id}/delete", openapi_extra=isolation(
    object="adapter", param="adapter_id", action="adapter.manage"))
def delete_adapter(adapter_id: str, body: ReasonRequest, access: AccessDep) -> AdapterPublic:
    """Erase one version's weights (audited); images already made keep its hash."""
    access.adapter(adapter_id)
    access.require("adapter.manage")
    return AdapterPublic.of(adapter_service.delete_adapter(
        access.ctx, adapter_id, reason=body.reason, actor=access.principal.actor))


@router.post("/consents/{consent_id}/withdraw-training", openapi_extra=isolation(
    object="consent", param="consent_id", action="consent.revoke"))
def withdraw_training(consent_id: str, body: ReasonRequest,
                      access: AccessDep) -> list[str]:
    """Withdraw the consent to train (the rest of the consent stays in force): every
    adapter of the twin is destroyed. Answers their ids."""
    access.consent(consent_id)
    access.require("consent.revoke")
    return adapter_service.withdraw_training(access.ctx, consent_id, reason=body.reason,
                                             actor=access.principal.actor)


@router.get("/licences/{licence_id}/twin-adapters", openapi_extra=isolation(
    object="licence", param="licence_id", action="read"))
def licence_twin_adapters(licence_id: str, access: AccessDep) -> AdapterBasesPublic:
    """The base models the licensed twin has an adapter for (nothing else of them)."""
    licence = access.licence(licence_id)
    return AdapterBasesPublic(twin_id=licence.twin_id,
                              base_models=adapter_service.adapter_bases(access.ctx,
                                                                        licence.twin_id))
