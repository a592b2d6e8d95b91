"""Shared fixtures. Store tests run on SQLite and on PostgreSQL (one schema per test).

PostgreSQL comes from TWINSTUDIO_TEST_POSTGRES_URL; without it the PostgreSQL cases are
skipped locally, but under CI (CI=true) a missing or unreachable PostgreSQL is an error.
The real face photos (``real_faces``, fetched by ``make test``) follow the same rule.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import Engine, create_engine, text

from tests.support.faces import missing_photos, real_faces_dir
from twinstudio.bootstrap import bootstrap
from twinstudio.config import Settings
from twinstudio.domain.consent import ConsentDocument
from twinstudio.domain.licence import LicenceTerms
from twinstudio.services.context import ServiceContext
from twinstudio.store.database import create_db_engine, normalise_url

PG_URL = os.environ.get("TWINSTUDIO_TEST_POSTGRES_URL")

# What the test harness itself reads (where the test database and the caches are, whether
# to rewrite goldens, where to write images to look at); every other TWINSTUDIO_* variable
# of the developer's shell is cleared for each test (_no_twinstudio_environment).
HARNESS_VARIABLES = frozenset({"TWINSTUDIO_TEST_POSTGRES_URL", "TWINSTUDIO_CACHE_DIR",
                               "TWINSTUDIO_UPDATE_GOLDEN", "TWINSTUDIO_LOOK_DIR"})


@pytest.fixture(autouse=True)
def _no_twinstudio_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's TWINSTUDIO_* settings must not change what a test sees (a test that
    needs one sets it with monkeypatch, after this ran)."""
    for name in list(os.environ):
        if name.startswith("TWINSTUDIO_") and name not in HARNESS_VARIABLES:
            monkeypatch.delenv(name)


# Property tests assert behaviour, never speed: a loaded machine must not fail them.
settings.register_profile("twinstudio", deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("twinstudio")


class Clock:
    """A settable clock so that tests decide what 'today' is."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 6, 1, 12, 0, tzinfo=UTC))


def create_pg_schema(prefix: str = "t") -> str:
    """A fresh schema in the test PostgreSQL (skipped without one; a failure under CI)."""
    if not PG_URL:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run the PostgreSQL store tests: set TWINSTUDIO_TEST_POSTGRES_URL")
        pytest.skip("TWINSTUDIO_TEST_POSTGRES_URL not set")
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalise_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return schema


def drop_pg_schema(schema: str) -> None:
    admin = create_engine(normalise_url(PG_URL or ""), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _pg_schema_engine() -> Iterator[Engine]:
    schema = create_pg_schema()
    engine = create_db_engine(PG_URL or "", schema=schema)
    try:
        yield engine
    finally:
        engine.dispose()
        drop_pg_schema(schema)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        eng = create_db_engine(f"sqlite:///{tmp_path / 'test.db'}")
        yield eng
        eng.dispose()
    else:
        yield from _pg_schema_engine()


@pytest.fixture(scope="session")
def real_faces() -> Path:
    """The folder of the real face photos (tests/support/faces.py says who is who)."""
    folder = real_faces_dir()
    missing = missing_photos(folder)
    if missing:
        message = (f"real face photos missing in {folder} ({', '.join(missing)}): `make test` "
                   "(or `make faces`) fetches them")
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the real-photo identity tests: {message}")
        pytest.skip(message)
    return folder


@pytest.fixture
def ctx(engine: Engine, tmp_path: Path, clock: Clock) -> ServiceContext:
    settings = Settings(workspace=tmp_path / "ws")
    return bootstrap(settings, engine=engine, clock=clock)


def consent_doc(today: date, **overrides: Any) -> ConsentDocument:
    data: dict[str, Any] = {
        "purpose": "Digital replica for fashion campaign imagery of licensed brands",
        "scope": {"channels": ["ecommerce", "social", "ooh", "print", "email", "video"],
                  "territories": ["*"], "product_categories": ["*"], "alterations": [],
                  "prohibited_content": []},
        "rate_of_pay": {"currency": "EUR", "amount": 2000, "basis": "per_asset"},
        "starts": (today - timedelta(days=60)).isoformat(),
        "ends": (today + timedelta(days=700)).isoformat(),
        "language": "en",
    }
    scope = overrides.pop("scope", {})
    data["scope"].update(scope)
    data.update(overrides)
    return ConsentDocument.model_validate(data)


ISSUE_TERMS: dict[str, Any] = {
    "channels": ["ecommerce", "social", "ooh", "print", "email", "video"],
    "territories": ["SE", "FR"],
    "starts": "2026-01-01", "ends": "2026-12-31",
    "product_categories": ["tops", "outerwear"],
    "permitted_alterations": ["hair_color", "makeup", "background", "lighting", "pose", "crop"],
    "prohibited_content": ["nudity", "lingerie", "swimwear", "alcohol", "tobacco", "political",
                           "religious", "weapons"],
    "exclusive_categories": ["outerwear"],
    "approval_required": True,
    "max_assets": 500,
    "intended_uses": "E-commerce product pages and social posts for the AW26 outerwear line",
    "representation": "counsel",
    "fees": {"currency": "EUR", "per_asset": 2500,
             "per_publication": {"social": 5000, "ooh": 40000}},
}


def terms(**overrides: Any) -> LicenceTerms:
    return LicenceTerms.model_validate({**ISSUE_TERMS, **overrides})
