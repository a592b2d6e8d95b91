"""The one place that wires concrete parts together."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial

from sqlalchemy import Engine

from twinstudio.config import Settings
from twinstudio.domain.common import utcnow
from twinstudio.services.context import ServiceContext
from twinstudio.services.ports import RightsWithdrawnHook
from twinstudio.signing import FileKeyring
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
        rights_withdrawn_hooks=list(hooks or []),
        clock=clock,
    )
    return ctx
