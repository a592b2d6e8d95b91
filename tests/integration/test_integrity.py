"""Tampering with the database, as someone with database access would (raw SQL through
the store's engine), is caught: by ``audit verify`` (the chain against its signed
checkpoints), ``ledger check`` (the ledger against the audit chain) and ``integrity
check`` (all of it, plus the documents and what no signature covers). SQLite and
PostgreSQL; a clean workspace after a small campaign passes every check."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import text

from tests.conftest import consent_doc, terms
from tests.support.fakes import FIT, PROFILE, FakeBackend, FakeQuality, enrol_template
from twinstudio.bootstrap import bootstrap
from twinstudio.config import Settings
from twinstudio.domain.audit import AuditEvent, verify_chain
from twinstudio.domain.generation import CampaignBrief
from twinstudio.domain.ledger import EventType
from twinstudio.domain.parties import OrganisationKind
from twinstudio.domain.twin import TwinState
from twinstudio.provenance.keys import ensure_development_credentials
from twinstudio.services.assets import approve_asset, publish_asset
from twinstudio.services.audit import verify_audit
from twinstudio.services.billing import check_ledger, close_period, reverse_transaction
from twinstudio.services.bodies import set_twin_body
from twinstudio.services.campaigns import create_campaign
from twinstudio.services.garments import add_garment
from twinstudio.services.integrity import check_integrity
from twinstudio.services.jobs import run_worker
from twinstudio.services.parties import add_organisation, add_talent, set_twin_state
from twinstudio.services.proposals import (
    accept_proposal,
    propose_licence,
    refuse_proposal,
    set_open_to_offers,
)
from twinstudio.services.rights import grant_consent, grant_licence, revoke_licence

FEES = {"currency": "EUR", "per_asset": 2500, "per_publication": {"social": 5000},
        "flat_fee": 10000, "minimum_guarantee": 50000, "agency_commission_percent": "20",
        "platform_fee_percent": "5", "payment_terms_days": 30}


@pytest.fixture
def ictx(engine, tmp_path, clock):
    settings = Settings(workspace=tmp_path / "ws")
    ensure_development_credentials(settings.c2pa_dir)
    return bootstrap(settings, engine=engine, clock=clock)


@pytest.fixture
def world(ictx, clock) -> dict[str, Any]:
    """A small campaign's worth of history: parties, release, consent, two licences (one
    later revoked) and one from an accepted proposal (another refused), four generated
    assets, one approved and published, a reversal and a closed month."""
    brand = add_organisation(ictx, kind=OrganisationKind.BRAND, name="Nordvik")
    rival = add_organisation(ictx, kind=OrganisationKind.BRAND, name="Maison Lumière")
    agency = add_organisation(ictx, kind=OrganisationKind.AGENCY, name="Polar Models")
    talent, twin = add_talent(ictx, name="Astrid Lund", agency_id=agency.id)
    consent = grant_consent(ictx, talent_id=talent.id, document=consent_doc(ictx.today()))
    set_twin_state(ictx, twin.id, TwinState.ACTIVE, reason="test", actor="test")
    set_twin_body(ictx, twin_id=twin.id, profile=PROFILE, fit=FIT, actor="test")
    enrol_template(ictx, talent.id, twin.id)
    licence = grant_licence(ictx, twin_id=twin.id, brand_id=brand.id, terms=terms(
        starts="2026-05-01", ends="2026-12-31", exclusive_categories=[], max_assets=50,
        fees=FEES))
    other = grant_licence(ictx, twin_id=twin.id, brand_id=rival.id, terms=terms(
        starts="2026-05-01", ends="2026-12-31", exclusive_categories=[], fees=FEES))
    set_open_to_offers(ictx, twin.id, open_=True, actor=talent.id)
    atelier = add_organisation(ictx, kind=OrganisationKind.BRAND, name="Atelier Sud")
    offer = dict(starts="2026-06-01", ends="2026-12-31", exclusive_categories=[], fees=FEES)
    accepted = propose_licence(ictx, twin_id=twin.id, brand_id=atelier.id,
                               terms=terms(**offer), actor=atelier.id)
    accept_proposal(ictx, accepted.id, actor=talent.id)
    refused = propose_licence(ictx, twin_id=twin.id, brand_id=atelier.id,
                              terms=terms(**offer, max_assets=5), actor=atelier.id)
    refuse_proposal(ictx, refused.id, code="fees_too_low", actor=talent.id)
    parka = add_garment(ictx, brand_id=brand.id, name="Parka", category="coat",
                        fabric_color="#2f4f6f", actor="test")
    tee = add_garment(ictx, brand_id=brand.id, name="Tee", category="tee",
                      fabric_color="#c23b3b", actor="test")
    create_campaign(ictx, brand_id=brand.id, actor="brand", brief=CampaignBrief.model_validate({
        "name": "AW26", "looks": [[parka.id], [tee.id]], "poses": ["relaxed"],
        "formats": ["feed", "story"],
        "segments": [{"name": "nordic", "scene": "gradient_frost", "season": "AW26"}],
        "markets": [{"channel": "social", "territory": "SE"}]}))
    run_worker(ictx, backend=FakeBackend(), quality=FakeQuality(), worker_id="w1")
    with ictx.uow() as uow:
        assets = uow.assets.list(licence_id=licence.id)
    approve_asset(ictx, assets[0].id, party_id=talent.id, actor="talent")
    publish_asset(ictx, assets[0].id, channel="social", territory="SE", day=clock.now.date(),
                  actor="brand")
    with ictx.uow() as uow:
        flat_fee = next(t for t in uow.ledger.transactions(licence_id=other.id)
                        if t.event.get("type") == EventType.LICENCE_SIGNED.value)
    reverse_transaction(ictx, flat_fee.id, reason="signed by mistake", actor="operator")
    revoke_licence(ictx, other.id, reason="campaign cancelled", actor=rival.id)
    close_period(ictx, "2026-05")
    return {"brand": brand, "talent": talent, "twin": twin, "consent": consent,
            "licence": licence, "revoked": other, "assets": assets,
            "accepted": accepted, "refused": refused}


def sql(engine, statement: str, **params: Any) -> list[Any]:
    """Reach past twinstudio into its database, as an attacker with database access."""
    with engine.begin() as c:
        result = c.execute(text(statement), params)
        return list(result) if result.returns_rows else []


def first(report) -> tuple[str, str, str]:  # type: ignore[no-untyped-def]
    problem = report.first
    assert problem is not None, "expected a problem"
    return problem.table, problem.row_id, problem.problem


# ---------------------------------------------------------------------------- clean


def test_a_clean_workspace_after_a_campaign_passes_every_check(ictx, world):
    chain = verify_audit(ictx)
    assert chain.ok and chain.checkpoints and chain.anchored_seq == chain.head_seq
    assert check_ledger(ictx).ok
    report = check_integrity(ictx)
    assert report.ok, report.problems
    assert report.checked["licences"] == 3 and report.checked["consents"] == 1
    assert report.checked["licence_proposals"] == 2
    assert report.checked["biometric_releases"] == 1
    assert report.checked["ledger_transactions"] >= 5  # 2 flat fees, reversal, approval, ...
    with ictx.uow() as uow:
        assert uow.licences.get(world["licence"].id).assets_used == 4
    assert report.summary().startswith("integrity ok: audit chain of "
                                       f"{chain.events} events (anchored by ")


# ---------------------------------------------------------------------------- the chain


def _rewrite_from(engine, ctx, seq: int) -> None:
    """Edit event ``seq`` and recompute every hash from there on: a chain that verifies."""
    with ctx.uow() as uow:
        events = uow.audit.all()
    previous = events[seq - 2].hash if seq > 1 else "0" * 64
    for event in events[seq - 1:]:
        payload = dict(event.payload)
        if event.seq == seq:
            payload["forged"] = True
        digest = AuditEvent.compute_hash(seq=event.seq, at=event.at, actor=event.actor,
                                         type=event.type, payload=payload, prev_hash=previous)
        sql(engine, "UPDATE audit_events SET payload = :p, prev_hash = :prev, hash = :h "
                    "WHERE seq = :s", p=json.dumps(payload, sort_keys=True,
                                                   separators=(",", ":")),
            prev=previous, h=digest, s=event.seq)
        previous = digest


def test_a_consistent_rewrite_of_the_audit_chain_is_caught(ictx, world, engine):
    checkpoints = sorted(c.seq for c in ictx.anchors.read().checkpoints)
    target = checkpoints[len(checkpoints) // 2] + 1  # the first event of some commit
    _rewrite_from(engine, ictx, target)
    with ictx.uow() as uow:
        assert verify_chain(uow.audit.all()).ok  # links and hashes alone see nothing
    report = verify_audit(ictx)
    assert not report.ok and report.first_bad_seq == target
    assert "rewritten" in report.problem
    assert first(check_integrity(ictx))[:2] == ("audit_events", str(target))


def test_deleting_the_newest_audit_event_is_caught(ictx, world, engine):
    head = verify_audit(ictx).head_seq
    sql(engine, "DELETE FROM audit_events WHERE seq = :s", s=head)
    with ictx.uow() as uow:
        assert verify_chain(uow.audit.all()).ok
    report = verify_audit(ictx)
    assert not report.ok and report.first_bad_seq == head and "deleted" in report.problem
    assert first(check_integrity(ictx))[:2] == ("audit_events", str(head))


def test_an_edited_checkpoint_is_caught_and_a_workspace_without_checkpoints_verifies(
        ictx, world):
    path = ictx.anchors.path  # type: ignore[attr-defined]
    lines = path.read_text().splitlines()
    forged = json.loads(lines[0]) | {"hash": "f" * 64}
    path.write_text("\n".join([json.dumps(forged), *lines[1:]]) + "\n")
    report = verify_audit(ictx)
    assert not report.ok and "line 1 is not signed" in report.problem
    path.unlink()
    report = verify_audit(ictx)
    assert report.ok and report.checkpoints == 0


# ---------------------------------------------------------------------------- licences


def test_a_revoked_licence_set_back_to_active_is_caught(ictx, world, engine):
    revoked = world["revoked"].id
    sql(engine, "UPDATE licences SET state = 'active', state_reason = NULL WHERE id = :i",
        i=revoked)
    table, row, problem = first(check_integrity(ictx))
    assert (table, row) == ("licences", revoked)
    assert "'active'" in problem and "'revoked'" in problem
    assert verify_audit(ictx).ok  # the chain itself was not touched


def test_a_reset_asset_quota_is_caught(ictx, world, engine):
    sql(engine, "UPDATE licences SET assets_used = 0 WHERE id = :i", i=world["licence"].id)
    table, row, problem = first(check_integrity(ictx))
    assert (table, row) == ("licences", world["licence"].id)
    assert "assets_used is 0" in problem and "counts 4" in problem


def test_an_edited_consent_scope_is_caught_by_integrity_check(ictx, world, engine):
    consent = world["consent"].id
    (document,) = sql(engine, "SELECT document FROM consents WHERE id = :i", i=consent)[0]
    edited = json.loads(document)
    edited["scope"]["alterations"] = ["hair_color", "makeup"]  # the talent allowed none
    sql(engine, "UPDATE consents SET document = :d WHERE id = :i", d=json.dumps(edited),
        i=consent)
    table, row, problem = first(check_integrity(ictx))
    assert (table, row) == ("consents", consent) and "signed hash" in problem


def test_a_consent_edited_into_an_unreadable_document_is_named(ictx, world, engine):
    consent = world["consent"].id
    sql(engine, "UPDATE consents SET document = '{\"scope\": 1}' WHERE id = :i", i=consent)
    table, row, problem = first(check_integrity(ictx))
    assert (table, row) == ("consents", consent) and "corrupt" in problem


def test_a_revoked_consent_set_back_to_active_is_caught(ictx, world, engine):
    from twinstudio.services.rights import revoke_consent

    revoke_consent(ictx, world["consent"].id, reason="talent withdrew")
    sql(engine, "UPDATE consents SET state = 'active' WHERE id = :i", i=world["consent"].id)
    report = check_integrity(ictx)
    assert first(report)[:2] == ("consents", world["consent"].id)
    assert all(p.table == "consents" for p in report.problems)  # only the edited row


def test_a_refused_proposal_set_back_to_proposed_is_caught(ictx, world, engine):
    refused = world["refused"].id
    sql(engine, "UPDATE licence_proposals SET state = 'proposed' WHERE id = :i", i=refused)
    table, row, problem = first(check_integrity(ictx))
    assert (table, row) == ("licence_proposals", refused)
    assert "'proposed'" in problem and "'refused'" in problem


# ---------------------------------------------------------------------------- the ledger


def _approval_txn(engine, licence_id: str) -> str:
    rows = sql(engine, "SELECT id FROM ledger_transactions WHERE licence_id = :l AND "
                       "event_key LIKE 'asset_approved:%'", l=licence_id)
    return rows[0][0]


def test_a_balanced_edit_of_ledger_entries_is_caught(ictx, world, engine):
    txn = _approval_txn(engine, world["licence"].id)
    talent = f"talent_receivable:{world['talent'].id}"
    brand = f"brand_payable:{world['brand'].id}"
    # the brand owes 10.00 more and the talent is owed 10.00 more: it still balances, and
    # the transaction's gross is raised with it
    sql(engine, "UPDATE ledger_entries SET amount = amount + 1000 WHERE transaction_id = :t "
                "AND account = :a", t=txn, a=brand)
    sql(engine, "UPDATE ledger_entries SET amount = amount - 1000 WHERE transaction_id = :t "
                "AND account = :a", t=txn, a=talent)
    sql(engine, "UPDATE ledger_transactions SET gross = gross + 1000 WHERE id = :t", t=txn)
    report = check_ledger(ictx)
    assert not report.ok and report.debits == report.credits
    assert [p.transaction_id for p in report.problems] == [txn]
    assert "differ from what audit event" in report.problems[0].problem
    assert first(check_integrity(ictx))[:2] == ("ledger_transactions", txn)


def test_money_moved_between_credited_accounts_is_caught(ictx, world, engine):
    txn = _approval_txn(engine, world["licence"].id)
    talent = f"talent_receivable:{world['talent'].id}"
    sql(engine, "UPDATE ledger_entries SET amount = amount + 100 WHERE transaction_id = :t "
                "AND account = :a", t=txn, a=talent)
    sql(engine, "UPDATE ledger_entries SET amount = amount - 100 WHERE transaction_id = :t "
                "AND account = 'platform:fees'", t=txn)
    report = check_ledger(ictx)
    assert not report.ok and [p.transaction_id for p in report.problems] == [txn]


def test_a_deleted_ledger_transaction_is_caught(ictx, world, engine):
    txn = _approval_txn(engine, world["licence"].id)
    sql(engine, "DELETE FROM ledger_entries WHERE transaction_id = :t", t=txn)
    sql(engine, "DELETE FROM ledger_transactions WHERE id = :t", t=txn)
    report = check_ledger(ictx)
    assert not report.ok and report.debits == report.credits
    assert [p.transaction_id for p in report.problems] == [txn]
    assert "missing" in report.problems[0].problem
    table, row, problem = first(check_integrity(ictx))
    assert (table, row) == ("ledger_transactions", txn) and "deleted" in problem


def test_a_deleted_period_close_is_caught(ictx, world, engine):
    sql(engine, "DELETE FROM ledger_period_closes WHERE licence_id = :l",
        l=world["licence"].id)
    report = check_ledger(ictx)
    assert not report.ok
    assert report.problems[0].table == "ledger_period_closes"
    assert report.problems[0].row_id == f"{world['licence'].id}:2026-05"
