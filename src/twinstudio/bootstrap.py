"""The one place that wires concrete parts together."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import Engine

from twinstudio.config import Settings
from twinstudio.domain.common import utcnow
from twinstudio.services.context import ServiceContext
from twinstudio.services.jobs import cancel_jobs_hook
from twinstudio.services.ports import FaceTools, ProvenanceTools, RightsWithdrawnHook
from twinstudio.services.provenance import withdraw_assets_hook
from twinstudio.signing import FileKeyring
from twinstudio.signing.passwords import Argon2Passwords
from twinstudio.signing.vault import TemplateVault
from twinstudio.store.blobs import BlobStore
from twinstudio.store.database import create_db_engine, migrate
from twinstudio.store.uow import SqlUnitOfWork


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
    """Build a ServiceContext: engine (migrated to head), unit of work, keyring, hooks."""
    settings = settings or Settings()
    engine = engine or build_engine(settings)
    if migrate_schema:
        migrate(engine)
    ctx = ServiceContext(
        uow=partial(SqlUnitOfWork, engine),
        keyring=FileKeyring(settings.keys_dir),
        rights_withdrawn_hooks=[cancel_jobs_hook, withdraw_assets_hook, *(hooks or [])],
        clock=clock,
        blobs=BlobStore(settings.blobs_dir),
        provenance=_provenance(settings),
        vault=TemplateVault(settings.master_key.get_secret_value()),
        faces=_faces(),
        passwords=Argon2Passwords(),
    )
    return ctx


def _faces() -> FaceTools | None:
    """dlib faces when the perception extra is installed (loaded on first use)."""
    import importlib.util

    if importlib.util.find_spec("dlib") is None:
        return None
    from twinstudio.perception.faces import DlibFaces

    return DlibFaces()


def _provenance(settings: Settings) -> ProvenanceTools | None:
    """The provenance toolkit, or None while the workspace has no signing credentials
    (services then say to run 'twinstudio init'). Heavy libraries load on first use."""
    from twinstudio.domain.errors import ConfigurationError
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


def generation_components(backend: str = "studio") -> tuple[Any, Any]:
    """The generation backend and the QA measurements (heavy models load on first use)."""
    from twinstudio.domain.errors import ConfigurationError
    from twinstudio.generation.qa import PerceptionQuality

    if backend != "studio":
        raise ConfigurationError(f"unknown generation backend {backend!r} (have: studio)")
    from twinstudio.generation.studio import StudioBackend

    return StudioBackend(), PerceptionQuality()
