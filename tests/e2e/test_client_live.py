"""The typed client (``twinstudio.client``) against a live ``twinstudio serve`` on
127.0.0.1 over the API tests' two-tenant world (``tests/support/world.py``), on SQLite and
on PostgreSQL: a real call of every resource, pagination over a real list, each error
type the server can produce from that world (TooManyAttempts is the portal's sign-in
throttle only; the unit tests cover its mapping), a retried create with one idempotency
key making one object, sync and async. One server per database for the whole module."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import PG_URL, consent_doc, create_pg_schema, drop_pg_schema, terms
from tests.support.images import encode, scene
from tests.support.served import Served, build_world_workspace, serve
from tests.support.world import World
from twinstudio.client import (
    AsyncClient,
    Busy,
    Client,
    Conflict,
    IntegrityError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RightsRefused,
    TooLarge,
    Unauthenticated,
)
from twinstudio.domain.accounts import Role

pytestmark = [pytest.mark.xdist_group("served")]

PERIOD = "2026-06"
# one perception place and no queue: concurrent verifies are refused with 503 (Busy)
NARROW_GATE = {"TWINSTUDIO_PERCEPTION_CONCURRENCY": "1", "TWINSTUDIO_PERCEPTION_QUEUE": "0",
               "TWINSTUDIO_WEBHOOK_ALLOW": "127.0.0.1"}


@dataclass
class Live:
    served: Served
    world: World
    image: bytes        # a marked image of tenant a's licence
    workspace: Path

    def client(self, role: Role = Role.BRAND_ADMIN, **options: object) -> Client:
        return Client(self.served.url, self.world.key(role), timeout=120,
                      **options)  # type: ignore[arg-type]

    def async_client(self, role: Role = Role.BRAND_ADMIN) -> AsyncClient:
        return AsyncClient(self.served.url, self.world.key(role), timeout=120)


def _build(workspace: Path, database_url: str | None) -> tuple[World, bytes]:
    """The world in a real workspace, and a marked image of tenant a's licence."""
    from twinstudio.services.provenance import mark_asset

    world = build_world_workspace(workspace, database_url)
    marked = mark_asset(world.ctx, licence_id=world.a.licence, source="studio",
                        image=encode(scene(5, 320, 400), quality=90))
    return world, marked.image


def _postgres_url() -> tuple[str, str]:
    """A fresh schema in the test PostgreSQL, and the URL whose search path is it (the
    server process and the world builder share it)."""
    schema = create_pg_schema("c")
    joiner = "&" if "?" in (PG_URL or "") else "?"
    return schema, f"{PG_URL}{joiner}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="module", params=[
    "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def live(request: pytest.FixtureRequest,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    schema, database_url = _postgres_url() if request.param == "postgresql" else (None, None)
    workspace = tmp_path_factory.mktemp(f"client-{request.param}") / "ws"
    try:
        world, image = _build(workspace, database_url)
        with serve(workspace, env=NARROW_GATE, database_url=database_url) as served:
            yield Live(served, world, image, workspace)
    finally:
        if schema:
            drop_pg_schema(schema)


def _photos(n: int = 3) -> list[tuple[str, bytes]]:
    return [(f"capture-{i}.jpg", encode(scene(40 + i, 320, 400), quality=90))
            for i in range(n)]


# ------------------------------------------------------------------ accounts and parties


def test_me_organisations_and_talents(live: Live) -> None:
    a = live.world.a
    with live.client() as client:
        me = client.me.get()
        assert me.role is Role.BRAND_ADMIN and me.organisation_id == a.brand
        organisations = client.organisations.list()
        assert a.brand in {o.id for o in organisations.items}
        assert live.world.b.brand not in {o.id for o in organisations.items}
        assert {o.id for o in client.organisations.iter(kind="brand")} == {a.brand}
    with live.client(Role.ADMIN) as admin:
        talents = admin.talents.list(limit=1)
        assert len(talents.items) == 1 and talents.total >= 2
        assert {t.id for t in admin.talents.iter(page_size=1)} >= {a.talent,
                                                                  live.world.b.talent}
        talent = admin.talents.get(a.talent)
        assert talent.twin_id == a.twin and talent.twin_state.value == "active"
        added = admin.talents.create("Client Talent", agency_id=a.agency)
        assert added.agency_id == a.agency and added.twin_state.value == "enrolling"
        assert admin.talents.get(added.id).name == "Client Talent"


def test_twins_offers_and_enrolment(live: Live) -> None:
    a = live.world.a
    with live.client(Role.TALENT) as talent:
        twins = talent.twins.list()
        assert [t.id for t in twins.items] == [a.twin] and twins.total == 1
        assert talent.twins.get(a.twin).biometric_key
        assert talent.twins.set_offers(a.twin, True).open_to_offers
        assert not talent.twins.set_offers(a.twin, False).open_to_offers
        with pytest.raises(Conflict) as conflict:  # an active twin does not enrol again
            talent.twins.enrol(a.twin, _photos())
        assert conflict.value.status == 409
    with live.client(Role.ADMIN) as admin:
        fresh = admin.talents.create("Unreleased Talent")
        with pytest.raises(RightsRefused) as refused:  # no biometric release in force
            admin.twins.enrol(fresh.twin_id, _photos())
        assert refused.value.status == 403 and "release_missing" in refused.value.codes[0]


def test_consents_sign_verify_and_revoke(live: Live) -> None:
    a = live.world.a
    with live.client(Role.TALENT) as talent:
        consents = talent.consents.list(twin_id=a.twin)
        assert a.consent in {c.id for c in consents.items}
        assert talent.consents.get(a.consent).state.value == "active"
        verification = talent.consents.verification(a.consent)
        assert verification.valid and verification.document_hash_ok
        signed = talent.consents.create(a.talent, consent_doc(date(2026, 6, 1)))
        assert signed.talent_id == a.talent and signed.state.value == "active"
        assert signed.id in {c.id for c in talent.consents.iter(twin_id=a.twin)}
        revoked = talent.consents.revoke(signed.id, "I signed a newer one")
        assert revoked.consent_id == signed.id and revoked.suspended_licences == []
        assert talent.consents.get(signed.id).state.value == "revoked"


def test_biometric_releases(live: Live) -> None:
    a = live.world.a
    with live.client(Role.ADMIN) as admin:
        assert a.release in {r.id for r in admin.releases.iter(page_size=1)}
        assert admin.releases.list().total >= 2
        assert admin.releases.get(a.release).talent_id == a.talent
        fresh = admin.talents.create("Released Talent")
        release = admin.releases.create(fresh.id, {
            "purpose": "Face template to check the identity of generated images",
            "retention_days": 365, "written_release": True, "explicit_consent": True,
            "language": "en"})
        assert release.state.value == "active"
        assert admin.releases.revoke(release.id).state.value == "revoked"


# ------------------------------------------------------------------ licences and proposals

NEW_TERMS = terms(starts="2026-07-01", ends="2026-12-31", exclusive_categories=[],
                  channels=["email"], fees={"currency": "EUR", "per_asset": 3000})


def test_licences_propose_accept_verify_and_revoke(live: Live) -> None:
    a = live.world.a
    with live.client() as brand, live.client(Role.TALENT) as talent:
        licences = brand.licences.list(brand_id=a.brand, state="active")
        assert [lic.id for lic in licences.items] == [a.licence]
        assert brand.licences.get(a.licence).twin_id == a.twin
        assert brand.licences.verification(a.licence).valid
        proposal = brand.licences.propose(a.twin, a.brand, NEW_TERMS, expires_in_days=7)
        assert proposal.state.value == "proposed" and proposal.licence_id is None
        assert proposal.id in {p.id for p in talent.proposals.iter(state="proposed")}
        assert talent.proposals.get(proposal.id).terms.channels == ["email"]
        licence = talent.proposals.accept(proposal.id)
        assert licence.state.value == "active" and licence.terms.channels == ["email"]
        assert brand.proposals.get(proposal.id).licence_id == licence.id
        revocation = talent.licences.revoke(licence.id, "no more email campaigns")
        assert revocation.licence_id == licence.id
        assert brand.licences.get(licence.id).state.value == "revoked"
        assert {lic.id for lic in brand.licences.iter(page_size=1)} >= {a.licence, licence.id}


def test_proposals_refuse_and_withdraw(live: Live) -> None:
    a = live.world.a
    with live.client() as brand, live.client(Role.AGENCY) as agency:
        # the world's proposal of 1 June has lapsed by now; the brand still lists it
        assert a.proposal in {p.id for p in brand.proposals.iter(brand_id=a.brand)}
        proposal = brand.licences.propose(a.twin, a.brand, NEW_TERMS)
        waiting = agency.proposals.list(state="proposed", twin_id=a.twin)
        assert proposal.id in {p.id for p in waiting.items}
        refused = agency.proposals.refuse(proposal.id, "fees_too_low", "my rate is higher")
        assert refused.state.value == "refused" and refused.refusal_code is not None
        with pytest.raises(Conflict):  # an answered proposal is not accepted later
            agency.proposals.accept(proposal.id)
        other = brand.licences.propose(a.twin, a.brand, NEW_TERMS)
        assert brand.proposals.withdraw(other.id).state.value == "withdrawn"


def test_policy_check_lists_every_failed_condition(live: Live) -> None:
    a = live.world.a
    use = {"channel": "social", "territory": "SE", "date": "2026-07-01",
           "product_category": "outerwear"}
    with live.client() as brand:
        assert brand.policy.check(a.licence, use).allowed
        refused = brand.policy.check(a.licence, {**use, "territory": "US"})
        assert not refused.allowed and refused.reasons


# ------------------------------------------------------------------ garments and campaigns


def test_garments(live: Live) -> None:
    a = live.world.a
    with live.client() as brand:
        garments = brand.garments.list()
        assert {g.id for g in garments.items} == set(a.garments)
        assert brand.garments.get(a.garments[0]).category.value == "coat"
        assert [g.id for g in brand.garments.iter(category="skirt")] == [a.garments[1]]
        scarf = brand.garments.create("Client Shirt", "shirt", fabric_color="#123456",
                                      colorways=["#aa3344", "#dddddd"])
        assert scarf.brand_id == a.brand and scarf.colorways == ["#aa3344", "#dddddd"]
        packshot = brand.garments.create("Client Tee", "tee",
                                         image=encode(scene(3, 200, 240), quality=90))
        assert packshot.colour_source == "image" and packshot.image_sha256
        with pytest.raises(Conflict):  # names are unique per brand
            brand.garments.create("Client Shirt", "shirt", fabric_color="#123456")


def test_campaigns_plan_run_and_jobs(live: Live) -> None:
    a = live.world.a
    with live.client() as brand:
        assert a.campaign in {c.id for c in brand.campaigns.list().items}
        assert [c.id for c in brand.campaigns.iter(brand_id=a.brand)] == [a.campaign]
        campaign = brand.campaigns.get(a.campaign)
        assert campaign.total == 2 and campaign.jobs["queued"] == 2
        jobs = brand.campaigns.jobs(a.campaign, limit=1)
        assert len(jobs.items) == 1 and jobs.total == 2
        assert {j.id for j in brand.campaigns.iter_jobs(a.campaign, page_size=1)} == set(a.jobs)
        # a market the licence does not cover: every variant refused, nothing to render
        plan = brand.campaigns.create({
            "name": "Client US launch", "looks": [[a.garments[0]]], "poses": ["relaxed"],
            "formats": ["feed"], "scenes": ["cyclorama_white"],
            "markets": [{"channel": "social", "territory": "US"}]})
        assert plan.queued == 0 and plan.refused and plan.refused[0].reasons
        run = brand.campaigns.run(plan.campaign_id)
        assert run.campaign_id == plan.campaign_id and run.queued == 0
        assert brand.campaigns.get(plan.campaign_id).refused == plan.variants


# ------------------------------------------------------------------ assets, verification


def test_assets_approve_reject_publish_withdraw_and_edit(live: Live) -> None:
    a, b = live.world.a, live.world.b
    with live.client() as brand, live.client(Role.TALENT) as talent, \
            live.client(Role.ADMIN) as admin:
        listed = brand.assets.list(licence_id=a.licence)
        assert set(a.assets) <= {x.id for x in listed.items}
        assert brand.assets.get(a.assets[0]).state.value == "pending_approval"
        assert brand.assets.image(a.assets[0])[:3] == b"\xff\xd8\xff"
        assert talent.assets.reject(a.assets[0], "the hair is not mine").state.value == \
            "rejected"
        assert admin.assets.approve(b.assets[0]).state.value == "approved"
        assert admin.assets.withdraw(b.assets[0], "taken down").state.value == "withdrawn"
        # the world's assets were marked, not generated by a campaign: publishing one
        # needs a product category the API cannot be told
        with pytest.raises(Conflict) as unpublishable:
            brand.assets.publish(a.assets[1], channel="social", territory="SE",
                                 date="2026-07-01")
        assert "not generated by a campaign" in unpublishable.value.message
        assert [x.id for x in brand.assets.iter(state="approved")] == [a.assets[1]]
        with pytest.raises(InvalidInput):  # not an image: refused at the edge
            brand.assets.edit(a.assets[1], ("retouched.jpg", b"not an image at all"))


def test_verify_a_marked_image_from_bytes_and_from_a_path(live: Live, tmp_path: Path) -> None:
    with live.client() as brand:
        verdict = brand.verify(live.image)
        assert verdict.asset_id is not None and verdict.licence_id == live.world.a.licence
        path = tmp_path / "found-online.jpg"
        path.write_bytes(live.image)
        assert brand.verify(path).asset_id == verdict.asset_id


# ------------------------------------------------------------------ money, reviews, audit


def test_statements_as_json_csv_and_pdf(live: Live) -> None:
    a = live.world.a
    with live.client(Role.TALENT) as talent, live.client() as brand:
        statement = talent.statements.talent(a.talent, PERIOD)
        assert statement.party_id == a.talent and statement.period == PERIOD
        assert statement.lines  # the approval fee of the world's approved asset
        assert b"," in talent.statements.talent(a.talent, PERIOD, format="csv")
        assert brand.statements.brand(a.brand, PERIOD).party_id == a.brand
        assert brand.statements.brand(a.brand, PERIOD, format="pdf")[:5] == b"%PDF-"


def test_reviews_notices_and_models(live: Live) -> None:
    with live.client(Role.COMPLIANCE) as compliance, live.client(Role.TALENT) as talent:
        reviews = compliance.reviews.list(state="pending")
        assert reviews.total == len(reviews.items) == 0
        assert list(compliance.reviews.iter()) == []
        with pytest.raises(NotFound):
            compliance.reviews.get("lrv_000000000000000000000000")
        with pytest.raises(NotFound):
            compliance.reviews.photos("lrv_000000000000000000000000")
        assert talent.notices.list(unread=True).total == 0
        with pytest.raises(NotFound):
            talent.notices.read("ntc_000000000000000000000000")
        assert compliance.models.list(kind="base").items == []
        with pytest.raises(NotFound):
            compliance.models.get("no-such-model")


def test_audit_chain_and_events_page_by_page(live: Live) -> None:
    with live.client(Role.COMPLIANCE) as compliance:
        chain = compliance.audit.chain()
        assert chain.ok and chain.events > 10
        first = compliance.audit.events(limit=5)
        assert len(first.items) == 5 and first.total >= chain.events
        every = list(compliance.audit.iter_events(page_size=7))
        seqs = [e.seq for e in every]
        assert len(seqs) == len(set(seqs)) >= chain.events  # no event twice, none left out
        assert seqs == sorted(seqs, reverse=True)  # newest first, across pages
        granted = list(compliance.audit.iter_events(type="LicenceGranted", page_size=1))
        assert granted and {e.type for e in granted} == {"LicenceGranted"}


def test_webhooks_and_their_delivery_log(live: Live) -> None:
    a = live.world.a
    with live.client() as brand:
        types = {t.type for t in brand.webhooks.event_types()}
        assert {"asset.approved", "licence.granted"} <= types
        assert a.webhook in {w.id for w in brand.webhooks.list().items}
        assert brand.webhooks.get(a.webhook).organisation_id == a.brand
        created = brand.webhooks.create("http://127.0.0.1:9/hooks", ["asset.approved"],
                                        description="client test")
        assert created.secret.startswith("whsec_")
        assert created.id in {w.id for w in brand.webhooks.iter(page_size=1)}
        rotated = brand.webhooks.rotate_secret(created.id)
        assert rotated.secret != created.secret
        assert not brand.webhooks.disable(created.id).active
        deliveries = brand.webhooks.deliveries(a.webhook)
        assert a.delivery in {d.id for d in brand.webhooks.iter_deliveries(a.webhook)}
        assert deliveries.total >= 1
        detail = brand.webhooks.delivery(a.delivery)
        assert detail.id == a.delivery
        try:  # pending answers 409; delivered or failed is sent again
            assert brand.webhooks.replay(a.delivery).id == a.delivery
        except Conflict as pending:
            assert pending.status == 409


# ------------------------------------------------------------------ errors


def test_each_error_type_the_server_produces(live: Live) -> None:
    a, b = live.world.a, live.world.b
    with Client(live.served.url, "tsk_nope_nope", retries=0) as stranger, \
            pytest.raises(Unauthenticated) as unauthenticated:
        stranger.me.get()
    assert unauthenticated.value.status == 401
    with live.client(Role.TALENT) as talent, pytest.raises(PermissionDenied) as denied:
        talent.campaigns.create({"name": "Not mine", "looks": [[a.garments[0]]],
                                 "poses": ["relaxed"], "formats": ["feed"],
                                 "scenes": ["cyclorama_white"],
                                 "markets": [{"channel": "social", "territory": "SE"}]})
    assert denied.value.status == 403 and denied.value.type == "permission_denied"
    with live.client() as brand:
        with pytest.raises(NotFound) as missing:  # another tenant's licence: 404
            brand.licences.get(b.licence)
        assert missing.value.status == 404
        with pytest.raises(InvalidInput) as invalid:
            brand.talents.create("")
        assert invalid.value.status == 422 and invalid.value.reasons
        with pytest.raises(TooLarge) as large:  # a JSON body over 1 MB
            brand.policy.check(a.licence, {"channel": "x" * 1_100_000})
        assert large.value.status == 413 and large.value.codes == ["json_too_large"]


def test_a_blob_altered_on_disk_is_an_integrity_error(live: Live) -> None:
    b = live.world.b
    with live.world.ctx.uow() as uow:
        sha = uow.marks.get(b.assets[1]).blob_sha256
    blob = live.world.ctx.blobs.path(sha)  # type: ignore[union-attr]
    blob.chmod(0o600)
    blob.write_bytes(blob.read_bytes() + b"tampered")
    with live.client(Role.ADMIN) as admin, pytest.raises(IntegrityError) as altered:
        admin.assets.image(b.assets[1])
    assert altered.value.status == 409 and altered.value.type == "integrity_error"


def test_a_full_perception_gate_answers_busy_with_retry_after(live: Live) -> None:
    async def at_once() -> list[object]:
        clients = [AsyncClient(live.served.url, live.world.key(Role.BRAND_ADMIN),
                               timeout=120, retries=0) for _ in range(6)]
        try:
            return await asyncio.gather(*(c.verify(live.image) for c in clients),
                                        return_exceptions=True)
        finally:
            await asyncio.gather(*(c.aclose() for c in clients))

    answers = asyncio.run(at_once())
    busy = [a for a in answers if isinstance(a, Busy)]
    assert busy, answers
    assert all(e.status == 503 and e.retry_after for e in busy)
    assert all(isinstance(a, Busy) or getattr(a, "asset_id", None) for a in answers), answers


# ------------------------------------------------------------------ idempotency and async


def test_a_retried_create_with_the_same_idempotency_key_makes_one_object(live: Live) -> None:
    key = str(uuid.uuid4())
    with live.client(Role.ADMIN) as admin:
        before = admin.talents.list().total
        first = admin.talents.create("Idempotent Talent", idempotency_key=key)
        again = admin.talents.create("Idempotent Talent", idempotency_key=key)
        assert again.id == first.id and again.twin_id == first.twin_id
        assert admin.talents.list().total == before + 1
        with pytest.raises(InvalidInput) as reused:  # the same key for another body
            admin.talents.create("Another Talent", idempotency_key=key)
        assert reused.value.type == "idempotency_key_reused"


def test_the_async_client_against_the_server(live: Live) -> None:
    a, b = live.world.a, live.world.b

    async def scenario() -> None:
        async with live.async_client() as brand:
            me, licence = await asyncio.gather(brand.me.get(), brand.licences.get(a.licence))
            assert me.organisation_id == a.brand and licence.twin_id == a.twin
            assets = [x.id async for x in brand.assets.iter(licence_id=a.licence,
                                                            page_size=1)]
            assert set(a.assets) <= set(assets) and len(assets) == len(set(assets))
            page = await brand.garments.list(limit=1)
            assert page.total >= 2 and len(page.items) == 1
            with pytest.raises(NotFound):
                await brand.assets.get(b.assets[0])
            proposal = await brand.licences.propose(a.twin, a.brand, NEW_TERMS)
            assert (await brand.proposals.withdraw(proposal.id)).state.value == "withdrawn"
            assert (await brand.verify(live.image)).licence_id == a.licence
        async with live.async_client(Role.COMPLIANCE) as compliance:
            assert (await compliance.audit.chain()).ok
            events = [e.seq async for e in compliance.audit.iter_events(page_size=50)]
            assert len(events) == (await compliance.audit.events(limit=1)).total

    asyncio.run(scenario())
