"""The one place that wires concrete parts together: the services' context (store, keys,
provenance, perception, hooks), the generation backend and QA tools, the executors and
runners of campaigns, and the API and web apps with their runner."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from twinstudio.config import Settings
from twinstudio.domain.common import utcnow
from twinstudio.domain.errors import ConfigurationError
from twinstudio.services.context import ServiceContext
from twinstudio.services.jobs import cancel_jobs_hook
from twinstudio.services.ports import (
    AdapterTrainer,
    BodyFitting,
    CampaignRunner,
    CaptureChecks,
    FaceTools,
    GarmentColours,
    GenerationBackend,
    ModelFolders,
    ProvenanceTools,
    QualityTools,
    RightsWithdrawnHook,
    WebhookSender,
)
from twinstudio.services.provenance import withdraw_assets_hook
from twinstudio.signing import FileKeyring
from twinstudio.signing.anchors import ANCHOR_KEY_FILE, ANCHORS_FILE, FileAuditAnchors
from twinstudio.signing.passwords import Argon2Passwords
from twinstudio.signing.vault import TemplateVault
from twinstudio.store.blobs import BlobStore
from twinstudio.store.database import create_db_engine, migrate
from twinstudio.store.uow import SqlUnitOfWork

if TYPE_CHECKING:  # heavy or optional: imported where they are built
    from fastapi import FastAPI

    from twinstudio.api.admission import AdmissionGate
    from twinstudio.jobs.background import BackgroundLoop, WorkerRunner
    from twinstudio.jobs.local import LocalExecutor


def build_engine(settings: Settings) -> Engine:
    if settings.database_url is None:
        settings.workspace.mkdir(parents=True, exist_ok=True)
    return create_db_engine(settings.effective_database_url)


def bootstrap(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    migrate_schema: bool = True,
    hooks: list[RightsWithdrawnHook] | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> ServiceContext:
    """Build a ServiceContext: engine (migrated to head), unit of work (anchoring the
    audit chain in the workspace after each commit), keyring, hooks."""
    settings = settings or Settings()
    engine = engine or build_engine(settings)
    if migrate_schema:
        migrate(engine)
    anchors = FileAuditAnchors(settings.workspace / ANCHORS_FILE,
                               settings.keys_dir / ANCHOR_KEY_FILE)
    ctx = ServiceContext(
        uow=partial(SqlUnitOfWork, engine, anchors),
        keyring=FileKeyring(settings.keys_dir),
        rights_withdrawn_hooks=[cancel_jobs_hook, withdraw_assets_hook, *(hooks or [])],
        clock=clock,
        blobs=BlobStore(settings.blobs_dir),
        provenance=_provenance(settings),
        vault=TemplateVault(settings.master_key.get_secret_value()),
        faces=_faces(),
        captures=_captures(settings.capture_workers),
        body_fitting=_body_fitting(),
        passwords=Argon2Passwords(),
        model_folders=_model_folders(),
        default_generator=settings.default_generator(),
        garment_colours=_garment_colours(),
        anchors=anchors,
        proposal_days=settings.proposal_days,
        webhook_sender=_webhook_sender(settings),
        webhook_schedule=settings.webhook_schedule(),
        trainer=_trainer(settings),
    )
    return ctx


def _trainer(settings: Settings) -> AdapterTrainer | None:
    """The twin LoRA trainer when the diffusion extra is installed (loads on use)."""
    if not _installed("diffusers", "torch", "peft"):
        return None
    from twinstudio.generation.diffusion.training import LoraTrainer

    return LoraTrainer(settings.diffusion_device)


def _webhook_sender(settings: Settings) -> WebhookSender:
    from twinstudio.net.outbound import GuardedSender

    return GuardedSender(settings.webhook_allow_list(),
                         timeout=settings.webhook_timeout_seconds)


def webhook_delivery(ctx: ServiceContext, *, worker_id: str | None = None,
                     lease_seconds: int = 60) -> BackgroundLoop:
    """The webhook delivery loop as a background thread (``twinstudio serve`` starts one
    per server process when ``TWINSTUDIO_WEBHOOK_DELIVERY`` is on; the leases share the
    work out)."""
    import os
    import socket

    from twinstudio.jobs.background import BackgroundLoop
    from twinstudio.services.webhooks import run_delivery_worker

    name = worker_id or f"webhooks-{socket.gethostname()[:40]}-{os.getpid()}"
    return BackgroundLoop("webhook-delivery", partial(run_delivery_worker, ctx,
                                                       worker_id=name,
                                                       lease_seconds=lease_seconds))


def prepare_workspace(workspace: Path) -> tuple[bool, Settings]:
    """Create the workspace folder (True when it was new) and, unless a production C2PA
    chain is configured, its development signing credentials."""
    from twinstudio.provenance.keys import ensure_development_credentials
    from twinstudio.workspace import create_workspace

    created = create_workspace(workspace)
    settings = Settings(workspace=workspace)
    if settings.c2pa_cert_chain is None:
        ensure_development_credentials(settings.c2pa_dir)
    return created, settings


def _installed(*modules: str) -> bool:
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in modules)


def _faces() -> FaceTools | None:
    """dlib faces when the perception extra is installed (loaded on first use)."""
    if not _installed("dlib"):
        return None
    from twinstudio.perception.faces import DlibFaces

    return DlibFaces()


def _model_folders() -> ModelFolders:
    """The model registry's folder reader (hashing only: no diffusers needed)."""
    from twinstudio.generation.diffusion.registry import LocalModelFolders

    return LocalModelFolders()


def _body_fitting() -> BodyFitting | None:
    """anny's body fitting when the body extra is installed (the model loads on use)."""
    if not _installed("anny"):
        return None
    from twinstudio.body3d.fit import AnnyBodyFitting

    return AnnyBodyFitting()


def _garment_colours() -> GarmentColours:
    """A garment's colour from its packshot (OpenCV, a core dependency: always there)."""
    from twinstudio.perception.garment_colour import PackshotColours

    return PackshotColours()


def _captures(workers: int = 1) -> CaptureChecks | None:
    """Capture checks (dlib and MediaPipe) when the perception extra is installed; with
    ``workers`` > 1 a set's photos are checked in that many processes."""
    if not _installed("dlib", "mediapipe"):
        return None
    from twinstudio.perception.capture import PerceptionCaptureChecks

    return PerceptionCaptureChecks(workers=workers)


def _provenance(settings: Settings) -> ProvenanceTools | None:
    """The provenance toolkit, or None while the workspace has no signing credentials
    (services then say to run 'twinstudio init'). Heavy libraries load on first use."""
    from twinstudio.provenance.keys import load_credentials
    from twinstudio.provenance.toolkit import ProvenanceToolkit

    try:
        signing = load_credentials(settings.c2pa_dir, chain=settings.c2pa_cert_chain,
                                   key=settings.c2pa_key,
                                   trust_anchors=settings.c2pa_trust_anchors,
                                   production=settings.mode == "production")
    except ConfigurationError:
        if settings.mode == "production":
            raise
        return None
    return ProvenanceToolkit(signing)


BACKENDS = ("auto", "studio")  # auto: every backend, each request to its generator's


def _check_backend(backend: str) -> None:
    if backend not in BACKENDS:
        raise ConfigurationError(f"unknown generation backend {backend!r} "
                                 f"(have: {', '.join(BACKENDS)})")


def diffusion_backend(settings: Settings | None = None) -> GenerationBackend:
    """The diffusion backend as configured (device, offload, size); the pipelines load
    on the first job that needs them, once per process."""
    if not _installed("diffusers", "torch"):
        raise ConfigurationError("the diffusion backend needs the diffusion extra "
                                 "(pip install 'twinstudio[diffusion]')")
    from twinstudio.generation.diffusion.backend import DiffusionBackend

    settings = settings or Settings()
    return DiffusionBackend(device=settings.diffusion_device,
                            cpu_offload=settings.diffusion_cpu_offload,
                            max_side=settings.diffusion_max_side)


def generation_backend(settings: Settings | None = None) -> GenerationBackend:
    """Every backend behind one router: each request goes to the backend its generator
    names (studio by default); each backend is built on its first request."""
    from twinstudio.generation.router import BackendRouter
    from twinstudio.generation.studio import StudioBackend

    return BackendRouter({"studio": StudioBackend,
                          "diffusion": partial(diffusion_backend, settings)})


def generation_components(backend: str = "auto", settings: Settings | None = None
                          ) -> tuple[GenerationBackend, QualityTools]:
    """The generation backend (``auto``: the router over every backend; ``studio``: the
    studio backend alone) and the QA measurements (heavy models load on first use)."""
    _check_backend(backend)
    if backend == "auto":
        return generation_backend(settings), quality_tools()
    from twinstudio.generation.studio import StudioBackend

    return StudioBackend(), quality_tools()


def quality_tools() -> QualityTools:
    """The QA measurements (perception models, loaded on first use)."""
    from twinstudio.generation.qa import PerceptionQuality

    return PerceptionQuality()


def lazy_quality_tools() -> Callable[[], QualityTools]:
    """QA measurements built on the first call, then kept (what servers hand out)."""
    return cache(quality_tools)


# ------------------------------------------------------------------------------ executors


def worker_process_main(settings_json: str, campaign_id: str | None, worker_id: str,
                        lease_seconds: float, backend_name: str, stop: Any) -> None:
    """Entry point of a ``LocalExecutor`` worker process: its own services, backend and
    models, then the worker loop until the queue is empty or ``stop`` is set."""
    import json
    import signal

    from twinstudio.services.jobs import run_worker

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent tells us to stop via ``stop``
    settings = Settings.model_validate(json.loads(settings_json))
    ctx = bootstrap(settings, migrate_schema=False)
    backend, quality = generation_components(backend_name, settings)
    run_worker(ctx, backend=backend, quality=quality, worker_id=worker_id,
               campaign_id=campaign_id, lease_seconds=lease_seconds,
               should_stop=stop.is_set, wait_for_leases=True)


def local_executor(settings: Settings, *, workers: int | None = None,
                   backend: str = "auto", lease_seconds: float | None = None
                   ) -> LocalExecutor:
    """Worker processes on this machine for a campaign's jobs."""
    from twinstudio.domain.generation import LEASE_SECONDS
    from twinstudio.jobs.local import LocalExecutor
    from twinstudio.services.campaigns import campaign_status

    _check_backend(backend)
    return LocalExecutor(settings, worker_main=worker_process_main, status=campaign_status,
                         workers=workers, backend=backend,
                         lease_seconds=lease_seconds or LEASE_SECONDS)


def process_runner(settings: Settings, *, workers: int | None = None,
                   backend: str = "auto") -> CampaignRunner:
    """What ``twinstudio serve`` runs campaigns with: worker processes, from a thread."""
    from twinstudio.jobs.background import ExecutorRunner

    return ExecutorRunner(partial(local_executor, settings, workers=workers,
                                  backend=backend))


def thread_runner(components: Callable[[], tuple[Any, Any]] | None = None, *,
                  workers: int = 1) -> WorkerRunner:
    """Workers as threads of this process over ``components`` (default: the studio
    backend and the perception QA tools, built on the first run)."""
    from twinstudio.jobs.background import WorkerRunner
    from twinstudio.services.jobs import run_worker

    return WorkerRunner(components or generation_components, run_worker, workers=workers)


# ----------------------------------------------------------------------------- interfaces


def perception_gate(settings: Settings | None = None) -> AdmissionGate:
    """The admission gate of one app's perception routes (verify, enrolment, asset edit),
    from ``TWINSTUDIO_PERCEPTION_*`` (``api.admission``)."""
    from twinstudio.api.admission import AdmissionGate

    settings = settings or Settings()
    return AdmissionGate(settings.perception_concurrency, settings.perception_queue,
                         settings.perception_wait_seconds)


def build_api(ctx: ServiceContext, *, runner: CampaignRunner | None = None,
              quality: Callable[[], Any] | None = None, **options: Any) -> FastAPI:
    """The REST API over ``ctx``: campaigns run by ``runner`` (default: worker threads of
    this process with the studio backend), edits checked by ``quality`` (default: the
    perception models, loaded on first use)."""
    from twinstudio.api.app import create_api

    options.setdefault("perception_gate", perception_gate())
    return create_api(ctx, runner=runner or thread_runner(),
                      quality=quality or lazy_quality_tools(), **options)


def site_from_environment() -> FastAPI:
    """The site as ``twinstudio serve --workers N`` starts it in each server process
    (uvicorn imports it by name): the workspace and every setting from ``TWINSTUDIO_*``,
    campaigns in worker processes."""
    from twinstudio.workspace import require_workspace

    settings = Settings()
    require_workspace(settings.workspace)
    return build_site(bootstrap(settings), runner=process_runner(settings), settings=settings)


def build_site(ctx: ServiceContext, *, runner: CampaignRunner | None = None,
               quality: Callable[[], Any] | None = None, settings: Settings | None = None,
               **options: Any) -> FastAPI:
    """The web portal and the REST API in one app, wired as ``build_api``. ``settings``
    (default: the environment's) say whether cookies are Secure and give the secret that
    signs anonymous visitors' CSRF tokens (derived from the master key, so that every
    server process accepts the others' tokens) and whether webhooks are delivered from a
    background thread (``TWINSTUDIO_WEBHOOK_DELIVERY``; pass ``background=[]`` for none)."""
    from twinstudio.web.app import create_site

    settings = settings or Settings()
    options.setdefault("secure_cookies", bool(settings.secure_cookies))
    options.setdefault("csrf_secret", settings.derived_secret("portal-csrf"))
    options.setdefault("max_json_bytes", settings.max_json_bytes)
    options.setdefault("max_form_bytes", settings.max_form_bytes)
    options.setdefault("perception_gate", perception_gate(settings))
    if "background" not in options:
        options["background"] = [webhook_delivery(
            ctx, lease_seconds=settings.webhook_lease_seconds)] if settings.webhook_delivery \
            else []
    return create_site(ctx, runner=runner or thread_runner(),
                       quality=quality or lazy_quality_tools(), **options)
