"""The ledger through the store (SQLite and PostgreSQL): exactly-once posting, order
independence, concurrency, period close, reversals, checks, statements (CSV and PDF)."""

from __future__ import annotations

import csv
import random
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from tests.conftest import consent_doc, terms
from twinstudio.domain.asset import Asset
from twinstudio.domain.errors import Conflict, NotFound
from twinstudio.domain.ledger import BillableEvent, EventType, balances, transaction_for
from twinstudio.domain.parties import OrganisationKind
from twinstudio.ledger import write_csv, write_pdf
from twinstudio.services.billing import (
    account_balances,
    brand_statement,
    check_ledger,
    close_period,
    post_event,
    reverse_transaction,
    talent_statement,
)
from twinstudio.services.parties import add_organisation, add_talent
from twinstudio.services.rights import grant_consent, grant_licence

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
FEES = {"currency": "EUR", "per_asset": 2500, "per_publication": {"social": 5000, "ooh": 40000},
        "flat_fee": 100000, "minimum_guarantee": 300000, "agency_commission_percent": "20",
        "payment_terms_days": 30}


def _world(ctx):
    agency = add_organisation(ctx, kind=OrganisationKind.AGENCY, name="Polar Models")
    brands = [add_organisation(ctx, kind=OrganisationKind.BRAND, name=n)
              for n in ("Nordvik", "Maison Lumière")]
    talents, licences = [], []
    for i, name in enumerate(("Astrid Lund", "Camille Moreau")):
        talent, twin = add_talent(ctx, name=name, agency_id=agency.id if i == 0 else None)
        grant_consent(ctx, talent_id=talent.id, document=consent_doc(ctx.today()))
        talents.append(talent)
        for brand in brands:
            licences.append(grant_licence(
                ctx, twin_id=twin.id, brand_id=brand.id,
                terms=terms(starts="2026-05-01", ends="2026-12-31", exclusive_categories=[],
                            fees=FEES)))
    _ensure_assets(ctx, licences)
    return {"agency": agency, "brands": brands, "talents": talents, "licences": licences}


def _asset_id(licence_id: str, n: int) -> str:
    return f"ast_{licence_id[4:16]}{n:04d}"


def _ensure_assets(ctx, licences, per_licence: int = 7, tag: str = "") -> None:
    """Asset rows for the events to refer to (billing checks that an asset exists and was
    made under the licence; making pixels is the generation issue's business)."""
    with ctx.uow() as uow:
        for lic in licences:
            for n in range(per_licence):
                asset_id = _asset_id(lic.id, n) + tag
                try:
                    uow.assets.get(asset_id)
                except NotFound:
                    uow.assets.add(Asset(id=asset_id, twin_id=lic.twin_id, licence_id=lic.id,
                                         brand_id=lic.brand_id, source="studio"))
        uow.commit()


def _events(licences, count: int, seed: int, tag: str = "") -> list[BillableEvent]:
    rng = random.Random(seed)
    out = []
    for n in range(count):
        lic = rng.choice(licences)
        at = datetime(2026, 6, 1 + rng.randrange(28), rng.randrange(24), tzinfo=UTC)
        asset_id = _asset_id(lic.id, n % 7) + tag
        if rng.random() < 0.5:
            out.append(BillableEvent(type=EventType.ASSET_APPROVED, licence_id=lic.id,
                                     asset_id=asset_id, occurred_at=at))
        else:
            out.append(BillableEvent(type=EventType.ASSET_PUBLISHED, licence_id=lic.id,
                                     asset_id=asset_id, occurred_at=at,
                                     channel=rng.choice(["social", "ooh", "email"]),
                                     territory="SE"))
    return out


def test_signing_a_licence_posts_its_flat_fee_once(ctx):
    world = _world(ctx)
    with ctx.uow() as uow:
        txns = uow.ledger.transactions()
    assert len(txns) == 4 and all(t.gross == 100000 for t in txns)
    agency_cut = [t.amount_for(f"agency_commission:{world['agency'].id}") for t in txns]
    assert sorted(agency_cut) == [-20000, -20000, 0, 0]
    assert check_ledger(ctx).ok


def test_posting_the_same_event_twice_posts_once(ctx):
    world = _world(ctx)
    event = BillableEvent(type=EventType.ASSET_PUBLISHED, licence_id=world["licences"][0].id,
                          asset_id=_asset_id(world["licences"][0].id, 1), channel="ooh",
                          territory="SE", occurred_at=ctx.now())
    first = post_event(ctx, event)
    second = post_event(ctx, event.model_copy(update={"occurred_at": ctx.now()
                                                      + timedelta(hours=1)}))
    assert first.posted and not second.posted and second.reason == "already posted"
    assert second.transaction == first.transaction
    report = check_ledger(ctx)
    assert report.ok and report.transactions == 5 and report.debits == report.credits


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), repeats=st.integers(1, 3))
def test_any_order_and_any_repetition_gives_the_same_balances(ctx, seed, repeats):
    with ctx.uow() as uow:
        fresh = not uow.licences.list()
    world = _world(ctx) if fresh else None
    with ctx.uow() as uow:
        licences = uow.licences.list()
        agencies = {t.id: t.agency_id for t in uow.talents.list()}
        before = balances(uow.ledger.transactions())
    # A distinct asset namespace per example keeps examples independent on one database.
    tag = f"{seed:07d}{repeats}"  # unique per example (seed < 10**7, repeats < 10)
    _ensure_assets(ctx, licences, tag=tag)
    events = _events(licences, 25, seed, tag=tag)
    replay = events * repeats
    random.Random(seed + 1).shuffle(replay)
    for event in replay:
        post_event(ctx, event)

    expected = dict(before)
    by_id = {lic.id: lic for lic in licences}
    seen = set()
    for event in events:
        if event.key in seen:
            continue
        seen.add(event.key)
        lic = by_id[event.licence_id]
        txn = transaction_for(event, lic, agency_id=agencies[lic.talent_id])
        for entry in txn.entries if txn else []:
            expected[entry.account] = expected.get(entry.account, 0) + entry.amount
    assert account_balances(ctx) == {k: v for k, v in sorted(expected.items()) if v}
    report = check_ledger(ctx)
    assert report.ok and report.debits == report.credits
    del world


def test_statement_sums_match_the_ledger(ctx):
    world = _world(ctx)
    for event in _events(world["licences"], 40, seed=7):
        post_event(ctx, event)
    bal = account_balances(ctx)
    for talent in world["talents"]:
        st_june = talent_statement(ctx, talent.id, "2026-06")
        st_may = talent_statement(ctx, talent.id, "2026-05")  # none yet
        st_signing = talent_statement(ctx, talent.id, "2026-06")
        assert st_may.lines == []
        assert st_june.total("net") == -bal[f"talent_receivable:{talent.id}"]
        assert st_signing.total("gross") == (st_june.total("net") + st_june.total("commission")
                                             + st_june.total("platform_fee"))
        assert sum(st_june.by("counterparty").values()) == st_june.total("net")
        assert sum(st_june.due_dates.values()) == st_june.total("net")
        assert st_june.history[-1] == ("2026-06", st_june.total("net"))
    for brand in world["brands"]:
        bs = brand_statement(ctx, brand.id, "2026-06")
        assert bs.total("gross") == bal[f"brand_payable:{brand.id}"]
        assert sum(bs.by("counterparty", "gross").values()) == bs.total("gross")


def test_concurrent_posters_post_each_event_exactly_once(ctx):
    world = _world(ctx)
    events = _events(world["licences"], 60, seed=3)
    unique = {e.key for e in events}
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def poster(order: list[BillableEvent]) -> None:
        barrier.wait()
        try:
            for event in order:
                post_event(ctx, event)
        except BaseException as error:  # pragma: no cover - reported by the assert
            errors.append(error)

    reverse = list(reversed(events))
    threads = [threading.Thread(target=poster, args=(o,)) for o in (events, reverse)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with ctx.uow() as uow:
        keys = [t.event_key for t in uow.ledger.transactions()
                if not t.event_key.startswith("licence_signed")]
    priced = {e.key for e in events if not (e.type is EventType.ASSET_PUBLISHED
                                            and e.channel == "email")}
    assert sorted(keys) == sorted(priced) and priced <= unique
    assert check_ledger(ctx).ok


def test_closing_a_month_tops_up_to_the_guarantee_once(ctx, clock):
    world = _world(ctx)
    lic = world["licences"][0]
    with pytest.raises(Conflict, match="not over"):
        close_period(ctx, "2026-06")
    post_event(ctx, BillableEvent(type=EventType.ASSET_APPROVED, licence_id=lic.id,
                                  asset_id=_asset_id(lic.id, 0),
                                  occurred_at=datetime(2026, 6, 3, tzinfo=UTC)))
    clock.advance(days=31)
    closed = close_period(ctx, "2026-06")
    mine = next(c for c in closed if c.licence_id == lic.id)
    # June earnings of this licence: flat fee (signed 1 June) 100000 + one asset 2500.
    assert mine.top_up == 300000 - 102500
    assert close_period(ctx, "2026-06") == []  # idempotent
    with pytest.raises(Conflict, match="closed"):
        post_event(ctx, BillableEvent(type=EventType.ASSET_APPROVED, licence_id=lic.id,
                                      asset_id=_asset_id(lic.id, 1),
                                      occurred_at=datetime(2026, 6, 20, tzinfo=UTC)))
    st_june = talent_statement(ctx, lic.talent_id, "2026-06")
    assert any(line.kind == "period closed" for line in st_june.lines)
    assert check_ledger(ctx).ok


def test_reversal_corrects_without_editing(ctx):
    world = _world(ctx)
    result = post_event(ctx, BillableEvent(type=EventType.ASSET_APPROVED,
                                           licence_id=world["licences"][1].id,
                                           asset_id=_asset_id(world["licences"][1].id, 2),
                                           occurred_at=ctx.now()))
    before = account_balances(ctx)
    rev = reverse_transaction(ctx, result.transaction.id, reason="approved by mistake",
                              actor="operator")
    assert rev.posted
    again = reverse_transaction(ctx, result.transaction.id, reason="twice", actor="operator")
    assert not again.posted
    after = account_balances(ctx)
    for entry in result.transaction.entries:
        assert after.get(entry.account, 0) == before[entry.account] - entry.amount
    assert check_ledger(ctx).ok


def test_ledger_check_finds_an_edited_entry(ctx, engine):
    _world(ctx)
    with engine.begin() as c:
        c.execute(text("UPDATE ledger_entries SET amount = amount + 1 WHERE id = "
                       "(SELECT MIN(id) FROM ledger_entries)"))
    report = check_ledger(ctx)
    assert not report.ok and report.debits != report.credits
    assert any("balance" in p.problem for p in report.problems)


def test_statement_csv_and_pdf_are_complete_and_readable(ctx, tmp_path):
    import pypdfium2

    world = _world(ctx)
    for event in _events(world["licences"], 30, seed=11):
        post_event(ctx, event)
    talent = world["talents"][0]
    st_june = talent_statement(ctx, talent.id, "2026-06")
    csv_path, pdf_path = tmp_path / "s.csv", tmp_path / "s.pdf"
    write_csv(st_june, csv_path)
    rows = list(csv.DictReader(csv_path.open()))
    assert rows[-1]["transaction_id"] == "TOTAL"
    assert sum(int(r["net"]) for r in rows[:-1]) == int(rows[-1]["net"]) == st_june.total("net")

    write_pdf(st_june, pdf_path)
    data = pdf_path.read_bytes()
    assert data.startswith(b"%PDF") and b"/Subtype /Image" in data  # the chart
    pdf = pypdfium2.PdfDocument(str(pdf_path))
    text_all = " ".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    from twinstudio.domain.money import Money

    assert "Astrid Lund" in text_all and "Nordvik" in text_all
    assert Money(amount=st_june.total("net"), currency="EUR").format() in text_all
    assert Money(amount=st_june.total("commission"), currency="EUR").format() in text_all
    ARTIFACTS.mkdir(exist_ok=True)
    pdf[0].render(scale=1.6).to_pil().save(ARTIFACTS / f"statement-{ctx_name(ctx)}.png")
    brand_pdf = tmp_path / "b.pdf"
    write_pdf(brand_statement(ctx, world["brands"][1].id, "2026-06"), brand_pdf)
    assert "Maison Lumière" in pypdfium2.PdfDocument(str(brand_pdf))[0].get_textpage()\
        .get_text_range()


def ctx_name(ctx) -> str:
    with ctx.uow() as uow:
        return uow.ledger._c.dialect.name  # type: ignore[attr-defined]


def test_a_partly_covered_month_guarantees_its_share_of_the_days(ctx, clock):
    world = _world(ctx)
    brand = add_organisation(ctx, kind=OrganisationKind.BRAND, name="Late Starter")
    with ctx.uow() as uow:
        twin = uow.twins.get_by_talent(world["talents"][1].id)
    late = grant_licence(ctx, twin_id=twin.id, brand_id=brand.id,
                         terms=terms(starts="2026-05-17", ends="2026-12-31",
                                     exclusive_categories=[], fees=FEES))
    closed = {c.licence_id: c.top_up for c in close_period(ctx, "2026-05")}
    assert closed[world["licences"][0].id] == 300000  # all of May, nothing earned in May
    assert closed[late.id] == 300000 * 15 // 31  # 17 to 31 May: 15 of 31 days
    clock.advance(days=250)  # 2027-02
    assert close_period(ctx, "2027-01") == []  # no licence was in force
    assert check_ledger(ctx).ok
