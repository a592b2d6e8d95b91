"""The store on SQLite and PostgreSQL: migrations, unit of work, round trips, audit chain,
concurrency."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from tests.conftest import consent_doc, terms
from twinstudio.domain.errors import NotFound, RightsRefused
from twinstudio.domain.parties import OrganisationKind, Talent
from twinstudio.domain.policy import ReasonCode
from twinstudio.services.audit import verify_audit
from twinstudio.services.parties import add_organisation, add_talent
from twinstudio.services.rights import grant_consent, grant_licence
from twinstudio.store.database import current_revision, head_revision, migrate
from twinstudio.store.tables import metadata


def test_migrations_reach_head_idempotently_and_match_the_tables(ctx, engine):
    migrate(engine)  # a second run changes nothing
    assert current_revision(engine) == head_revision() is not None
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), metadata)
    assert diff == []


def test_unit_of_work_rolls_back_unless_committed(ctx):
    talent = Talent(name="Uncommitted")
    with ctx.uow() as uow:
        uow.talents.add(talent, "key")
    with ctx.uow() as uow, pytest.raises(NotFound):
        uow.talents.get(talent.id)
    with pytest.raises(RuntimeError), ctx.uow() as uow:
        uow.talents.add(talent, "key")
        uow.audit.append(actor="t", type="X", payload={})
        raise RuntimeError("boom")
    with ctx.uow() as uow:
        assert uow.talents.list() == [] and uow.audit.all() == []


def test_documents_round_trip_exactly(ctx):
    brand = add_organisation(ctx, kind=OrganisationKind.BRAND, name="Maison Lumière")
    talent, twin = add_talent(ctx, name="Zoë Ångström", language="sv")
    consent = grant_consent(ctx, talent_id=talent.id,
                            document=consent_doc(ctx.today(), language="sv"))
    licence = grant_licence(ctx, twin_id=twin.id, brand_id=brand.id,
                            terms=terms(starts="2026-05-01", ends="2026-12-31"))
    with ctx.uow() as uow:
        stored = uow.talents.get(talent.id)
        assert stored.model_dump(exclude={"last_interaction_at"}) == talent.model_dump(
            exclude={"last_interaction_at"})
        assert stored.last_interaction_at == consent.signed_at  # consent touched it
        assert uow.consents.get(consent.id) == consent
        loaded = uow.licences.get(licence.id)
        assert loaded == licence
        assert loaded.granted_at.tzinfo is not None
        assert loaded.granted_at == datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
        assert uow.organisations.get(brand.id, OrganisationKind.BRAND).name == "Maison Lumière"
        with pytest.raises(NotFound):
            uow.organisations.get(brand.id, OrganisationKind.AGENCY)


def test_audit_chain_in_the_database_detects_tampering(ctx, engine):
    for i in range(4):
        add_talent(ctx, name=f"Talent {i}")
    report = verify_audit(ctx)
    assert report.ok and report.events == 4
    head = f"{report.head_seq}:{report.head_hash}"

    with engine.begin() as c:
        c.execute(text("UPDATE audit_events SET payload = :p WHERE seq = 2"),
                  {"p": '{"talent_id":"tal_forged"}'})
    report = verify_audit(ctx)
    assert not report.ok and report.first_bad_seq == 2

    with engine.begin() as c:
        c.execute(text("DELETE FROM audit_events WHERE seq = 2"))
    assert verify_audit(ctx).first_bad_seq == 2

    with engine.begin() as c:
        c.execute(text("DELETE FROM audit_events WHERE seq >= 1"))
    report = verify_audit(ctx, expected_head=head)
    assert not report.ok and "truncated" in report.problem


def test_concurrent_appends_keep_one_contiguous_chain(ctx):
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(10):
                with ctx.uow() as uow:
                    uow.audit.append(actor=f"w{n}", type="Tick", payload={"i": i})
                    uow.commit()
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    report = verify_audit(ctx)
    assert report.ok and report.events == 40


def test_concurrent_exclusive_grants_let_exactly_one_through(ctx):
    talent, twin = add_talent(ctx, name="Contested")
    grant_consent(ctx, talent_id=talent.id, document=consent_doc(ctx.today()))
    brands = [add_organisation(ctx, kind=OrganisationKind.BRAND, name=f"Brand {i}")
              for i in range(4)]
    outcomes: list[str] = []
    barrier = threading.Barrier(len(brands))

    def grant(brand_id: str) -> None:
        barrier.wait()
        try:
            grant_licence(ctx, twin_id=twin.id, brand_id=brand_id,
                          terms=terms(starts="2026-05-01", ends="2026-12-31"))
            outcomes.append("granted")
        except RightsRefused as error:
            assert [r.code for r in error.reasons] == [ReasonCode.EXCLUSIVITY_CONFLICT]
            outcomes.append("refused")

    threads = [threading.Thread(target=grant, args=(b.id,)) for b in brands]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["granted", "refused", "refused", "refused"]
    with ctx.uow() as uow:
        assert len(uow.licences.list(twin_id=twin.id)) == 1
    assert verify_audit(ctx).ok
