"""Regressions for defects found in review: each was reproduced before it was fixed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from tests.conftest import consent_doc, terms
from tests.integration.test_provenance import licence, marked, pctx
from tests.support.images import decode, encode, scene
from twinstudio.domain.asset import Asset, AssetState
from twinstudio.domain.errors import InvalidInput, RightsRefused
from twinstudio.domain.ledger import BillableEvent, EventType
from twinstudio.domain.parties import OrganisationKind
from twinstudio.domain.twin import TwinState
from twinstudio.provenance import credentials
from twinstudio.provenance.keys import SigningCredentials, create_development_chain
from twinstudio.services.billing import (
    close_period,
    post_event,
    reverse_transaction,
    talent_statement,
)
from twinstudio.services.parties import add_organisation, add_talent, set_twin_state
from twinstudio.services.provenance import mark_asset, set_asset_state
from twinstudio.services.rights import (
    check_use,
    grant_consent,
    grant_licence,
    revoke_licence,
    verify_licence,
)
from twinstudio.services.verification import verify_image

__all__ = ["licence", "marked", "pctx"]  # fixtures


def _attacker() -> SigningCredentials:
    ca, chain, key = create_development_chain(organisation="not us")
    return SigningCredentials(chain, key, ca, True)


def _claiming(asset_id: str) -> dict:
    return {"claim_generator_info": [{"name": "x", "version": "1"}], "title": "x",
            "assertions": [{"label": "c2pa.actions.v2", "data": {"actions": [{
                "action": "c2pa.created", "digitalSourceType":
                "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"}]}},
                {"label": "com.twinstudio.asset", "data": {"asset_id": asset_id}}]}


def test_a_credential_from_an_untrusted_signer_names_nothing(pctx, licence, marked):
    forged = credentials.sign(encode(scene(77), quality=90), "image/jpeg",
                              _claiming(marked.asset.id), _attacker())
    result = verify_image(pctx, forged)
    assert result.signals.c2pa.valid and not result.signals.c2pa.trusted
    assert result.verdict == "unknown" and result.asset_id is None
    other = mark_asset(pctx, licence_id=licence.id, image=encode(scene(5), quality=92),
                       source="studio")
    set_asset_state(pctx, other.asset.id, AssetState.WITHDRAWN, reason="x", actor="t")
    relabelled = credentials.sign(encode(decode(other.image), quality=95), "image/jpeg",
                                  _claiming(marked.asset.id), _attacker())
    result = verify_image(pctx, relabelled)
    assert result.verdict == "withdrawn" and result.asset_id == other.asset.id
    nowhere = credentials.sign(encode(scene(78), quality=90), "image/jpeg",
                               _claiming("ast_nope"), _attacker())
    assert verify_image(pctx, nowhere).verdict == "unknown"


def test_assets_of_a_twin_that_is_no_longer_active_are_withdrawn(pctx, licence, marked):
    set_twin_state(pctx, licence.twin_id, TwinState.RETIRED, reason="retired", actor="t")
    assert verify_image(pctx, marked.image).verdict == "withdrawn"


def test_terms_edited_in_the_database_are_not_obeyed(pctx, engine, licence, marked):
    widened = licence.terms.model_copy(update={"max_assets": 1000}).model_dump_json()
    with engine.begin() as c:
        c.execute(text("UPDATE licences SET terms = :t WHERE id = :i"),
                  {"t": widened, "i": licence.id})
    with pytest.raises(RightsRefused) as refused:
        mark_asset(pctx, licence_id=licence.id, image=encode(scene(9)), source="studio")
    assert "licence_integrity_failed" in {r.code for r in refused.value.reasons}


def test_a_signature_by_a_non_party_is_invalid_not_an_error(pctx, engine, licence):
    with engine.connect() as c:
        row = c.execute(text("SELECT signatures FROM licences WHERE id = :i"),
                        {"i": licence.id}).scalar()
    with engine.begin() as c:
        c.execute(text("UPDATE licences SET signatures = :s WHERE id = :i"),
                  {"s": row.replace(licence.brand_id, "brd_0000000000000000"),
                   "i": licence.id})
    assert not verify_licence(pctx, licence.id).valid
    from twinstudio.domain.policy import ProposedUse

    use = ProposedUse(channel="social", territory="FR", date="2026-07-01",
                      product_category="outerwear")
    assert "licence_integrity_failed" in check_use(pctx, licence.id, use).codes()


def _guaranteed(ctx):
    brand = add_organisation(ctx, kind=OrganisationKind.BRAND, name="G")
    talent, twin = add_talent(ctx, name="Guaranteed")
    grant_consent(ctx, talent_id=talent.id, document=consent_doc(ctx.today()))
    fees = {"currency": "EUR", "per_asset": 2500, "minimum_guarantee": 300000}
    lic = grant_licence(ctx, twin_id=twin.id, brand_id=brand.id,
                        terms=terms(starts="2026-06-01", ends="2026-12-31", fees=fees))
    return talent, lic


def test_no_guarantee_after_revocation_and_a_reversed_top_up_is_not_billed_again(ctx, clock):
    talent, lic = _guaranteed(ctx)
    clock.advance(days=30)  # 1 July
    june = {c.licence_id: c for c in close_period(ctx, "2026-06")}[lic.id]
    assert june.top_up == 300000
    reverse_transaction(ctx, june.transaction_id, reason="waived", actor="ops")
    clock.advance(days=31)  # 1 August
    july = {c.licence_id: c for c in close_period(ctx, "2026-07")}[lic.id]
    assert july.top_up == 300000  # not 600000: June's reversal is June's business
    revoke_licence(ctx, lic.id, reason="ended early", actor="brand")  # on 1 August
    clock.advance(days=62)  # October
    august = {c.licence_id: c for c in close_period(ctx, "2026-08")}[lic.id]
    assert august.top_up == 300000 * 1 // 31  # in force one day of August
    assert close_period(ctx, "2026-09") == []  # nothing after the revocation
    # July's statement shows the correction made in July (June's top-up reversed) and
    # July's own top-up: corrections appear when they are made, never as edits.
    july_lines = talent_statement(ctx, talent.id, "2026-07").lines
    assert sorted(line.gross for line in july_lines) == [-300000, 300000]


def test_events_are_checked_before_they_are_billed(ctx):
    _, lic = _guaranteed(ctx)
    with pytest.raises(ValueError, match="period"):
        BillableEvent(type=EventType.ASSET_APPROVED, licence_id=lic.id, asset_id="a",
                      occurred_at=datetime(2026, 6, 2, tzinfo=UTC), period="2026-05")
    with ctx.uow() as uow:
        uow.assets.add(Asset(id="ast_regression0001", twin_id=lic.twin_id, licence_id=lic.id,
                             brand_id=lic.brand_id, source="studio"))
        uow.commit()
    early = BillableEvent(type=EventType.ASSET_APPROVED, licence_id=lic.id,
                          asset_id="ast_regression0001",
                          occurred_at=datetime(2026, 5, 2, tzinfo=UTC))
    from twinstudio.domain.errors import Conflict

    with pytest.raises(Conflict, match="not in force"):
        post_event(ctx, early)


def test_a_talent_paid_in_two_currencies_gets_one_statement_per_currency(ctx):
    talent, lic = _guaranteed(ctx)
    with ctx.uow() as uow:
        uow.assets.add(Asset(id="ast_regression0002", twin_id=lic.twin_id, licence_id=lic.id,
                             brand_id=lic.brand_id, source="studio"))
        uow.commit()
    post_event(ctx, BillableEvent(type=EventType.ASSET_APPROVED, licence_id=lic.id,
                                  asset_id="ast_regression0002", occurred_at=ctx.now()))
    brand = add_organisation(ctx, kind=OrganisationKind.BRAND, name="Dollar")
    with ctx.uow() as uow:
        twin = uow.twins.get_by_talent(talent.id)
    grant_consent(ctx, talent_id=talent.id, document=consent_doc(
        ctx.today(), rate_of_pay={"currency": "USD", "amount": 1000, "basis": "per_asset"}))
    grant_licence(ctx, twin_id=twin.id, brand_id=brand.id,
                  terms=terms(starts="2026-06-01", ends="2026-12-31", exclusive_categories=[],
                              product_categories=["dresses"],
                              fees={"currency": "USD", "per_asset": 2000, "flat_fee": 900000}))
    with pytest.raises(InvalidInput, match="--currency"):
        talent_statement(ctx, talent.id, "2026-06")
    usd = talent_statement(ctx, talent.id, "2026-06", "USD")
    assert usd.currency == "USD" and usd.total("gross") == 900000
    assert talent_statement(ctx, talent.id, "2026-06", "EUR").total("gross") == 2500
