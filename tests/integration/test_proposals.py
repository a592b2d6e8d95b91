"""Licence proposals on a real store (SQLite and PostgreSQL): a licence is a two-party act.
A brand proposes and signs; only the talent's acceptance (their signature) makes the
licence; refusals carry a code; unanswered proposals expire; a brand without a relation
to a twin cannot even tell it exists unless the talent lists it as open to offers."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from tests.conftest import consent_doc, terms
from twinstudio.bootstrap import bootstrap
from twinstudio.config import Settings
from twinstudio.domain.accounts import Scope
from twinstudio.domain.errors import (
    Conflict,
    IntegrityError,
    InvalidInput,
    NotFound,
    RightsRefused,
)
from twinstudio.domain.parties import OrganisationKind
from twinstudio.domain.policy import ReasonCode
from twinstudio.domain.proposals import ProposalState, RefusalCode
from twinstudio.domain.redaction import redact
from twinstudio.domain.twin import TwinState
from twinstudio.services.parties import add_organisation, add_talent, set_twin_state
from twinstudio.services.proposals import (
    accept_proposal,
    get_proposal,
    grant_as_operator,
    list_proposals,
    propose_licence,
    refuse_proposal,
    set_open_to_offers,
    withdraw_proposal,
)
from twinstudio.services.rights import expire_rights, grant_consent, verify_licence

DATES = {"starts": "2026-06-01", "ends": "2026-12-31"}
ABSENT_TWIN = "twn_0123456789abcdef01234567"


@pytest.fixture
def world(ctx) -> dict[str, Any]:
    agency = add_organisation(ctx, kind=OrganisationKind.AGENCY, name="Polar Models")
    brand = add_organisation(ctx, kind=OrganisationKind.BRAND, name="Nordvik")
    rival = add_organisation(ctx, kind=OrganisationKind.BRAND, name="Rival")
    talent, twin = add_talent(ctx, name="Astrid Lund", agency_id=agency.id)
    consent = grant_consent(ctx, talent_id=talent.id, document=consent_doc(ctx.today()))
    set_twin_state(ctx, twin.id, TwinState.ACTIVE, reason="test", actor="test")
    return {"agency": agency, "brand": brand, "rival": rival, "talent": talent, "twin": twin,
            "consent": consent}


def _offer(ctx, world, brand: str = "brand", **overrides: Any):  # type: ignore[no-untyped-def]
    return propose_licence(ctx, twin_id=world["twin"].id, brand_id=world[brand].id,
                           terms=terms(**{**DATES, **overrides}), actor=f"user:{brand}")


def _events(ctx) -> list[tuple[str, str, dict[str, Any]]]:  # type: ignore[no-untyped-def]
    with ctx.uow() as uow:
        return [(e.type, e.actor, e.payload) for e in uow.audit.all()]


def _licences(ctx, world) -> list[str]:  # type: ignore[no-untyped-def]
    with ctx.uow() as uow:
        return [lic.id for lic in uow.licences.list(twin_id=world["twin"].id)]


def test_a_proposal_becomes_a_licence_only_when_the_talent_accepts_and_signs(ctx, world,
                                                                               clock):
    set_open_to_offers(ctx, world["twin"].id, open_=True, actor=world["agency"].id)
    proposal = _offer(ctx, world, fees={"currency": "EUR", "per_asset": 2500,
                                        "flat_fee": 50000})
    assert proposal.state is ProposalState.PROPOSED
    assert proposal.brand_signature.role == "brand"
    assert _licences(ctx, world) == []  # the brand's act alone makes no licence
    with ctx.uow() as uow:
        assert uow.ledger.transactions(licence_id=proposal.licence_id) == []  # nothing owed

    clock.advance(hours=5)
    result = accept_proposal(ctx, proposal.id, actor=world["talent"].id)

    licence = result.licence
    assert result.proposal.state is ProposalState.ACCEPTED
    assert _licences(ctx, world) == [licence.id] == [proposal.licence_id]
    assert verify_licence(ctx, licence.id).valid
    signatures = {s.role: s for s in licence.signatures}
    assert signatures["brand"] == proposal.brand_signature  # signed when it was proposed
    assert signatures["talent"].signed_at == clock.now != proposal.created_at
    with ctx.uow() as uow:
        assert len(uow.ledger.transactions(licence_id=licence.id)) == 1  # flat fee on signing
    types = [t for t, _, _ in _events(ctx)]
    assert types[-4:] == ["LicenceProposed", "LicenceGranted", "LedgerPosted",
                          "LicenceProposalAccepted"]
    granted = next(p for t, _, p in _events(ctx) if t == "LicenceGranted")
    assert granted["proposal_id"] == proposal.id
    assert get_proposal(ctx, proposal.id).state is ProposalState.ACCEPTED
    with pytest.raises(Conflict):
        accept_proposal(ctx, proposal.id, actor=world["talent"].id)
    assert _licences(ctx, world) == [licence.id]


def test_the_talent_refuses_with_a_reason_code_and_no_licence_exists(ctx, world):
    set_open_to_offers(ctx, world["twin"].id, open_=True, actor=world["talent"].id)
    proposal = _offer(ctx, world)
    with pytest.raises(InvalidInput, match="refusal code"):
        refuse_proposal(ctx, proposal.id, code="too_ugly", actor=world["talent"].id)
    with pytest.raises(InvalidInput, match="needs a note"):
        refuse_proposal(ctx, proposal.id, code=RefusalCode.OTHER, actor=world["talent"].id)
    for note in ("fees\u202e too low", "call me\x1b[2J", "x" * 501):  # shown to the brand
        with pytest.raises(InvalidInput) as bad:
            refuse_proposal(ctx, proposal.id, code="other", note=note,
                            actor=world["talent"].id)
        assert bad.value.code in ("invalid_text", "refusal_note_too_long")
    assert get_proposal(ctx, proposal.id).state is ProposalState.PROPOSED

    refused = refuse_proposal(ctx, proposal.id, code="fees_too_low", note="  4000 EUR  ",
                              actor="user:agent", on_behalf_of=world["talent"].id)

    assert (refused.state, refused.refusal_code, refused.refusal_note) == (
        ProposalState.REFUSED, RefusalCode.FEES_TOO_LOW, "4000 EUR")
    assert get_proposal(ctx, proposal.id).refusal_code is RefusalCode.FEES_TOO_LOW
    kind, actor, payload = _events(ctx)[-1]
    assert (kind, actor) == ("LicenceProposalRefused", "user:agent")
    assert payload["code"] == "fees_too_low" and payload["on_behalf_of"] == world["talent"].id
    for answer in (lambda: accept_proposal(ctx, proposal.id, actor="x"),
                   lambda: refuse_proposal(ctx, proposal.id, code="other", note="n", actor="x"),
                   lambda: withdraw_proposal(ctx, proposal.id, actor="x")):
        with pytest.raises(Conflict, match="is refused"):
            answer()
    assert _licences(ctx, world) == []


def test_an_unanswered_proposal_expires_when_read_answered_or_swept(ctx, world, clock):
    set_open_to_offers(ctx, world["twin"].id, open_=True, actor=world["talent"].id)
    read, swept = _offer(ctx, world), _offer(ctx, world)
    assert (read.expires_at - read.created_at).days == ctx.proposal_days == 14
    clock.advance(days=13)
    assert get_proposal(ctx, read.id).state is ProposalState.PROPOSED
    clock.advance(days=1)

    assert get_proposal(ctx, read.id).state is ProposalState.EXPIRED  # seen at once
    assert [p.state for p in list_proposals(ctx)] == [ProposalState.EXPIRED] * 2
    with pytest.raises(Conflict) as late:
        accept_proposal(ctx, read.id, actor=world["talent"].id)
    assert late.value.code == "proposal_expired"
    with ctx.uow() as uow:  # the failed answer recorded the expiry
        assert uow.proposals.get(read.id).state is ProposalState.EXPIRED
        assert uow.proposals.get(swept.id).state is ProposalState.PROPOSED
    assert expire_rights(ctx).proposals == [swept.id]
    assert expire_rights(ctx).proposals == []
    assert [p["proposal_id"] for t, _, p in _events(ctx) if t == "LicenceProposalExpired"] == [
        read.id, swept.id]
    assert _licences(ctx, world) == []


def test_the_proposal_period_is_configurable(engine, tmp_path, clock, world):
    ctx = bootstrap(Settings(workspace=tmp_path / "ws", proposal_days=3), engine=engine,
                    clock=clock)
    set_open_to_offers(ctx, world["twin"].id, open_=True, actor=world["talent"].id)
    assert (_offer(ctx, world).expires_at - clock.now).days == 3
    short = propose_licence(ctx, twin_id=world["twin"].id, brand_id=world["brand"].id,
                            terms=terms(**DATES), actor="x", days=1)
    assert (short.expires_at - clock.now).days == 1
    with pytest.raises(InvalidInput):
        propose_licence(ctx, twin_id=world["twin"].id, brand_id=world["brand"].id,
                        terms=terms(**DATES), actor="x", days=365)


def test_no_proposal_without_a_relation_unless_the_twin_is_open_to_offers(ctx, world):
    before = _events(ctx)
    with pytest.raises(NotFound) as hidden:
        _offer(ctx, world)
    with pytest.raises(NotFound) as absent:
        propose_licence(ctx, twin_id=ABSENT_TWIN, brand_id=world["brand"].id,
                        terms=terms(**DATES), actor="x")
    # word for word, and code for code, what a twin that does not exist answers
    assert str(hidden.value) == str(absent.value).replace(ABSENT_TWIN, world["twin"].id)
    assert hidden.value.code == absent.value.code == "not_found"
    other, _ = add_talent(ctx, name="Other")
    foreign = grant_consent(ctx, talent_id=other.id, document=consent_doc(ctx.today()))
    set_open_to_offers(ctx, world["twin"].id, open_=True, actor="x")
    with pytest.raises(NotFound, match="consent") as foreign_consent:  # as an absent one
        propose_licence(ctx, twin_id=world["twin"].id, brand_id=world["brand"].id,
                        terms=terms(**DATES), actor="x", consent_id=foreign.id)
    assert str(foreign_consent.value) == f"consent {foreign.id!r} not found"
    set_open_to_offers(ctx, world["twin"].id, open_=False, actor="x")
    assert [t for t, _, _ in _events(ctx)[len(before):]] == [
        "TalentAdded", "ConsentGranted", "TwinOpenedToOffers", "TwinClosedToOffers"]

    set_open_to_offers(ctx, world["twin"].id, open_=True, actor=world["agency"].id)
    accepted = accept_proposal(ctx, _offer(ctx, world).id, actor=world["talent"].id)
    set_open_to_offers(ctx, world["twin"].id, open_=False, actor=world["agency"].id)

    again = _offer(ctx, world, max_assets=9, exclusive_categories=[])  # a relation now
    assert again.state is ProposalState.PROPOSED
    with pytest.raises(NotFound, match="twin"):
        _offer(ctx, world, brand="rival", exclusive_categories=[])
    assert _licences(ctx, world) == [accepted.licence.id]


def test_exclusivity_is_checked_at_proposal_without_naming_the_rival_and_again_at_acceptance(
        ctx, world):
    set_open_to_offers(ctx, world["twin"].id, open_=True, actor=world["talent"].id)
    first = _offer(ctx, world)                   # both exclusive outerwear, both waiting
    second = _offer(ctx, world, brand="rival")
    licence = accept_proposal(ctx, first.id, actor=world["talent"].id).licence

    with pytest.raises(RightsRefused) as at_acceptance:
        accept_proposal(ctx, second.id, actor=world["talent"].id)
    assert ReasonCode.EXCLUSIVITY_CONFLICT in {r.code for r in at_acceptance.value.reasons}
    assert get_proposal(ctx, second.id).state is ProposalState.PROPOSED  # still answerable
    assert _licences(ctx, world) == [licence.id]

    with pytest.raises(RightsRefused) as at_proposal:
        _offer(ctx, world, brand="rival")
    reasons = at_proposal.value.reasons
    assert [r.code for r in reasons] == [ReasonCode.EXCLUSIVITY_CONFLICT]
    assert licence.id in reasons[0].message  # in full for the audit and the operator
    rival = Scope(brand_id=world["rival"].id)  # what leaves for the rival brand
    told = " ".join(r.message for r in redact(reasons, rival))
    for secret in (licence.id, DATES["starts"], DATES["ends"], world["brand"].id):
        assert secret not in told
    assert "outerwear" in told and "another brand" in told
    with pytest.raises(RightsRefused) as consent:  # nor the talent's consent
        _offer(ctx, world, brand="rival", exclusive_categories=[], product_categories=["tops"],
               starts="2026-06-01", ends="2030-12-31")
    shown = " ".join(r.message for r in redact(consent.value.reasons, rival))
    assert world["consent"].id not in shown and "consent" in shown
    assert str(world["consent"].document.ends) not in shown


def test_a_proposal_edited_in_the_database_cannot_be_accepted(ctx, world, engine):
    set_open_to_offers(ctx, world["twin"].id, open_=True, actor=world["talent"].id)
    proposal = _offer(ctx, world)
    stored = terms(**{**DATES, "max_assets": 100000}).model_dump_json()
    with engine.begin() as connection:
        connection.execute(text("UPDATE licence_proposals SET terms = :t WHERE id = :i"),
                           {"t": stored, "i": proposal.id})
    with pytest.raises(IntegrityError, match="does not match what brand"):
        accept_proposal(ctx, proposal.id, actor=world["talent"].id)
    assert _licences(ctx, world) == []
    assert get_proposal(ctx, proposal.id).state is ProposalState.PROPOSED


def test_the_brand_withdraws_its_proposal_and_it_can_no_longer_be_accepted(ctx, world):
    set_open_to_offers(ctx, world["twin"].id, open_=True, actor=world["talent"].id)
    proposal = _offer(ctx, world)
    withdrawn = withdraw_proposal(ctx, proposal.id, actor="user:brand")
    assert withdrawn.state is ProposalState.WITHDRAWN
    with pytest.raises(Conflict, match="withdrawn"):
        accept_proposal(ctx, proposal.id, actor=world["talent"].id)
    assert _events(ctx)[-1][:2] == ("LicenceProposalWithdrawn", "user:brand")
    assert _licences(ctx, world) == []


def test_a_brand_may_keep_only_a_few_proposals_open_for_one_twin(ctx, world):
    set_open_to_offers(ctx, world["twin"].id, open_=True, actor=world["talent"].id)
    for _ in range(5):
        _offer(ctx, world, exclusive_categories=[])
    with pytest.raises(Conflict) as flood:
        _offer(ctx, world, exclusive_categories=[])
    assert flood.value.code == "too_many_open_proposals"
    assert _offer(ctx, world, brand="rival", exclusive_categories=[])  # another brand may


def test_the_operator_grant_names_the_operator_acting_for_both_parties(ctx, world):
    licence = grant_as_operator(ctx, twin_id=world["twin"].id, brand_id=world["brand"].id,
                                terms=terms(**DATES), operator="alice")
    kind, actor, payload = next(e for e in _events(ctx) if e[0] == "LicenceGranted")
    assert (kind, actor, payload["licence_id"]) == ("LicenceGranted", "operator:alice",
                                                    licence.id)
    assert payload["path"] == "operator"
    assert payload["on_behalf_of"] == {"talent_id": world["talent"].id,
                                       "brand_id": world["brand"].id}
    assert verify_licence(ctx, licence.id).valid
    with pytest.raises(InvalidInput, match="operator name"):
        grant_as_operator(ctx, twin_id=world["twin"].id, brand_id=world["rival"].id,
                          terms=terms(**DATES, exclusive_categories=[]), operator="a b\n")
    assert _licences(ctx, world) == [licence.id]
