"""How fast are rights decisions? Prints figures; asserts nothing.

    .venv/bin/python bench/bench_policy.py            # SQLite in a temporary folder
    TWINSTUDIO_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \
        .venv/bin/python bench/bench_policy.py        # PostgreSQL (uses a fresh schema)

Figures: pure evaluate() per second (no I/O), check_use() per second through the store
(load licence, consent, twin, verify two Ed25519 signatures, evaluate), and grant_licence()
per second (locks, exclusivity check, two signatures, audit append).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.conftest import consent_doc, terms

from twinstudio.bootstrap import bootstrap
from twinstudio.config import Settings
from twinstudio.domain.parties import OrganisationKind
from twinstudio.domain.policy import ProposedUse, evaluate
from twinstudio.domain.twin import TwinState
from twinstudio.services.parties import add_organisation, add_talent, set_twin_state
from twinstudio.services.rights import check_use, grant_consent, grant_licence
from twinstudio.store.database import create_db_engine, normalise_url

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
USE = ProposedUse.model_validate({"channel": "social", "territory": "FR", "date": "2026-07-01",
                                  "product_category": "outerwear",
                                  "alterations": ["hair_color"], "content_tags": []})


def rate(fn, n: int) -> tuple[float, float]:
    """Calls per second and the median latency in ms over n calls."""
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return n / sum(samples), statistics.median(samples) * 1000


def main() -> None:
    url = os.environ.get("TWINSTUDIO_DATABASE_URL")
    workdir = Path(tempfile.mkdtemp(prefix="twinstudio-bench-"))
    schema = None
    if url:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        with create_engine(normalise_url(url), isolation_level="AUTOCOMMIT").connect() as c:
            c.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = create_db_engine(url, schema=schema)
    else:
        engine = create_db_engine(f"sqlite:///{workdir / 'bench.db'}")
    ctx = bootstrap(Settings(workspace=workdir), engine=engine, clock=lambda: NOW)
    try:
        talent, twin = add_talent(ctx, name="Bench")
        grant_consent(ctx, talent_id=talent.id, document=consent_doc(NOW.date()))
        set_twin_state(ctx, twin.id, TwinState.ACTIVE, reason="bench", actor="bench")
        brands = [add_organisation(ctx, kind=OrganisationKind.BRAND, name=f"B{i}")
                  for i in range(201)]
        licence = grant_licence(ctx, twin_id=twin.id, brand_id=brands[0].id,
                                terms=terms(starts="2026-05-01", ends="2026-12-31",
                                            exclusive_categories=[]))
        with ctx.uow() as uow:
            consent = uow.consents.get(licence.consent_id)
            twin_obj = uow.twins.get(twin.id)

        per_s, ms = rate(lambda: evaluate(USE, licence=licence, consent=consent, twin=twin_obj,
                                          today=date(2026, 6, 1)), 20000)
        print(f"evaluate() pure:           {per_s:10.0f}/s  median {ms:.3f} ms")
        per_s, ms = rate(lambda: check_use(ctx, licence.id, USE), 500)
        print(f"check_use() via store:     {per_s:10.0f}/s  median {ms:.3f} ms")
        it = iter(brands[1:])
        per_s, ms = rate(lambda: grant_licence(
            ctx, twin_id=twin.id, brand_id=next(it).id,
            terms=terms(starts="2026-05-01", ends="2026-12-31", exclusive_categories=[])), 200)
        print(f"grant_licence() (n=200):   {per_s:10.0f}/s  median {ms:.3f} ms "
              f"(grows with the twin's licence count: exclusivity check)")
        print(f"backend: {engine.dialect.name}")
    finally:
        engine.dispose()
        if schema:
            with create_engine(normalise_url(url), isolation_level="AUTOCOMMIT").connect() as c:
                c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


if __name__ == "__main__":
    main()
