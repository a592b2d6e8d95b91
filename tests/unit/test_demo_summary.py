"""The demo's summary: the JSON ``demo --json`` prints has the same keys at every level
as it always had (a small hand-built summary, no workspace)."""

from __future__ import annotations

import json
from pathlib import Path

from twinstudio.demo.billing import BillingDemoResult, StatementSummary
from twinstudio.demo.campaign import ApprovalsResult, CampaignDemoResult, PublishedAsset
from twinstudio.demo.provenance import VerifyCopyResult
from twinstudio.demo.run import DemoResult
from twinstudio.demo.uses import DemoUse, UseDecisionResult
from twinstudio.demo.world import (
    DemoPerson,
    DemoWorld,
    EnrolmentRefusal,
    EnrolmentSummary,
    GrantAttempt,
)
from twinstudio.domain.audit import ChainReport
from twinstudio.domain.consent import DigitalReplicaConsent
from twinstudio.domain.licence import Licence
from twinstudio.domain.parties import Organisation, Talent
from twinstudio.domain.policy import Decision, Reason
from twinstudio.domain.twin import Twin
from twinstudio.services.billing import LedgerCheck
from twinstudio.services.campaigns import CampaignStatusResult

REFUSED = Reason(code="exclusivity_conflict", message="Nordvik holds outerwear exclusively")


def _summary(tmp_path: Path, *, campaign: bool) -> DemoResult:
    person = DemoPerson(Talent.model_construct(id="tal_1", name="Aiko Ito"),
                        Twin.model_construct(id="twn_1"),
                        DigitalReplicaConsent.model_construct(id="con_1"))
    world = DemoWorld(
        people=[person], agencies=[], brands=[Organisation.model_construct(id="org_1")],
        licences={"nordvik-0": Licence.model_construct(id="lic_1")},
        grant_attempts=[GrantAttempt("Maison Lumière asks for outerwear", granted=False,
                                     reasons=[REFUSED])],
        enrolment=EnrolmentSummary(
            enrolled=0, total=1, reviewed=0, reviewer="compliance@demo", reason="distinct",
            seconds=1.0, refused=[EnrolmentRefusal(talent="Aiko Ito", code="too_few_photos",
                                                   message="2 usable photo(s)")]))
    use = DemoUse("Nordvik: Aiko on a US billboard", "lic_1",
                  {"channel": "ooh", "territory": "US"})
    billing = BillingDemoResult(
        events_posted=2, closed_period="2026-01", top_ups=1,
        statement=StatementSummary(talent="Aiko Ito", period="2026-02", net=1, gross=2,
                                   commission=1, pdf=tmp_path / "s.pdf", csv=tmp_path / "s.csv"),
        ledger=LedgerCheck(transactions=1, entries=2, debits=5, credits=5))
    run = CampaignDemoResult(
        campaign_id="cmp_1", name="Nordvik AW26 launch", queued=8, refused=2,
        refusal_codes={"twin_has_no_body": 2}, beyond_cap=0, status=CampaignStatusResult(
            campaign_id="cmp_1", name="Nordvik AW26 launch", brand_id="org_1", jobs={},
            total=0, done=True, assets={}, refused=2, failures=[]),
        seconds=1.5, workers=2, images_per_minute=320.0,
        approvals=ApprovalsResult(approved=1, rejected=1, published=[
            PublishedAsset("ast_1", "social", "SE", ["AI-generated"])]),
        contact_sheet=tmp_path / "sheet.png", images_per_twin={"Aiko Ito": 8},
        revoked_talent="Aiko Ito", after_revocation={"withdrawn": 1})
    return DemoResult(
        workspace=tmp_path, world=world,
        uses=[UseDecisionResult(use, Decision.of([REFUSED]))],
        billing=billing,
        provenance=[VerifyCopyResult("the signed master", "licensed", "ast_1", "valid",
                                     "high", "exact")],
        campaign=run if campaign else None,
        audit=ChainReport(ok=True, events=3, head_seq=3, head_hash="ab"))


def test_demo_summary_json_keeps_its_keys_at_every_level(tmp_path):
    summary = json.loads(json.dumps(_summary(tmp_path, campaign=True).as_dict()))
    assert list(summary) == ["workspace", "talents", "brands", "licences", "enrolment",
                             "grant_attempts", "uses", "billing", "provenance", "campaign",
                             "audit"]
    assert (summary["talents"], summary["brands"], summary["licences"]) == (1, 1, 1)
    assert summary["enrolment"] == {
        "enrolled": 0, "total": 1, "through_review": 0, "reviewer": "compliance@demo",
        "reason": "distinct", "seconds": 1.0, "duplicate": None, "refused": [
            {"talent": "Aiko Ito", "code": "too_few_photos", "message": "2 usable photo(s)"}]}
    assert summary["grant_attempts"] == [{"attempt": "Maison Lumière asks for outerwear",
                                          "granted": False, "reasons": [REFUSED.model_dump()]}]
    assert list(summary["uses"][0]) == ["use", "licence", "request", "allowed", "reasons"]
    assert list(summary["billing"]) == ["events_posted", "closed_period", "top_ups",
                                        "statement", "ledger"]
    assert list(summary["billing"]["statement"]) == ["talent", "period", "net", "gross",
                                                     "commission", "pdf", "csv"]
    assert list(summary["billing"]["ledger"]) == ["ok", "transactions", "entries", "debits",
                                                  "credits", "problems"]
    assert list(summary["provenance"][0]) == ["file", "verdict", "asset_id", "c2pa",
                                              "watermark", "fingerprint"]
    assert list(summary["campaign"]) == [
        "campaign_id", "name", "queued", "refused", "refusal_codes", "beyond_cap", "status",
        "seconds", "workers", "images_per_minute", "approved", "rejected", "published",
        "contact_sheet", "after_revocation", "images_per_twin", "revoked_talent"]
    assert summary["campaign"]["images_per_twin"] == {"Aiko Ito": 8}
    assert summary["campaign"]["published"] == [{"asset_id": "ast_1", "channel": "social",
                                                 "territory": "SE", "labels": ["AI-generated"]}]
    assert list(summary["audit"]) == ["ok", "events", "head_seq", "head_hash", "first_bad_seq",
                                      "problem", "checkpoints", "anchored_seq"]


def test_demo_summary_without_a_campaign_says_null(tmp_path):
    assert _summary(tmp_path, campaign=False).as_dict()["campaign"] is None
