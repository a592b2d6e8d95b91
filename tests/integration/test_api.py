"""The REST API's behaviour on a real store (SQLite and PostgreSQL): auth, the talent's
and the brand's flows, reasons in refusals, pagination, statements, verify, and bad
uploads answered with clear 4xx JSON errors (never 500)."""

from __future__ import annotations

import io
import os
import struct
import zlib

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from tests.support.images import encode, scene
from tests.support.world import PASSWORD, as_
from twinstudio.bootstrap import build_api
from twinstudio.domain.accounts import Role
from twinstudio.domain.capture import CaptureReport
from twinstudio.domain.consent import BiometricReleaseDocument
from twinstudio.domain.errors import Unauthenticated
from twinstudio.services.accounts import (
    authenticate_api_key,
    authenticate_password,
    create_api_key,
    revoke_api_key,
)
from twinstudio.services.parties import add_talent
from twinstudio.services.rights import grant_biometric_release


@pytest.fixture
def api(world):
    return TestClient(build_api(world.ctx, max_body_bytes=3 * 1024 * 1024),
                      raise_server_exceptions=False)



def test_passwords_are_argon2_hashed_and_checked(world):
    with world.ctx.uow() as uow:
        user = uow.users.by_email(world.email(Role.TALENT))
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    assert authenticate_password(world.ctx, world.email(Role.TALENT), PASSWORD).role \
        is Role.TALENT
    for email, password in ((world.email(Role.TALENT), "wrong password!"),
                            ("nobody@example.com", PASSWORD)):
        with pytest.raises(Unauthenticated, match="email or password is not correct"):
            authenticate_password(world.ctx, email, password)


def test_an_api_key_is_stored_hashed_and_stops_working_when_revoked(world, api):
    created = create_api_key(world.ctx, email=world.email(Role.BRAND_ADMIN), name="ci")
    with world.ctx.uow() as uow:
        stored = uow.api_keys.get(created.key.id)
    assert created.secret not in stored.model_dump_json()
    assert authenticate_api_key(world.ctx, created.secret).role is Role.BRAND_ADMIN
    me = api.get("/api/v1/me", headers={"X-API-Key": created.secret})
    assert me.status_code == 200 and me.json()["organisation_id"] == world.a.brand
    revoke_api_key(world.ctx, created.key.id, actor="test")
    refused = api.get("/api/v1/me", headers={"X-API-Key": created.secret})
    assert refused.status_code == 401
    assert refused.json()["error"]["type"] == "unauthenticated"


def test_a_talent_sees_their_consents_and_revoking_one_suspends_its_licence(world, api):
    mine = api.get("/api/v1/consents", headers=as_(world, Role.TALENT)).json()
    assert [c["id"] for c in mine["items"]] == [world.a.consent] and mine["total"] == 1
    revoked = api.post(f"/api/v1/consents/{world.a.consent}/revoke",
                       json={"reason": "changed my mind"}, headers=as_(world, Role.TALENT))
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["suspended_licences"] == [world.a.licence]
    assert set(revoked.json()["withdrawn_assets"]) == set(world.a.assets)
    licence = api.get(f"/api/v1/licences/{world.a.licence}", headers=as_(world, Role.BRAND_ADMIN))
    assert licence.json()["state"] == "suspended"
    again = api.post(f"/api/v1/consents/{world.a.consent}/revoke", json={"reason": "x"},
                     headers=as_(world, Role.TALENT))
    assert again.status_code == 409 and again.json()["error"]["type"] == "conflict"


def test_a_refused_licence_lists_every_reason_code(world, api):
    body = {"twin_id": world.a.twin, "brand_id": world.a.brand, "terms": {
        "channels": ["ecommerce"], "territories": ["SE"], "starts": "2026-06-01",
        "ends": "2026-09-30", "product_categories": ["tops"], "permitted_alterations": [],
        "prohibited_content": [], "exclusive_categories": [], "approval_required": True,
        "max_assets": 10, "intended_uses": "stuff", "representation": "none",
        "fees": {"currency": "USD", "per_asset": 1}}}
    response = api.post("/api/v1/licences", json=body, headers=as_(world, Role.BRAND_ADMIN))
    assert response.status_code == 403, response.text
    error = response.json()["error"]
    assert error["type"] == "rights_refused"
    # two problems, each named: fees in USD under a consent paid in EUR, and uses that
    # say nothing ("stuff")
    assert sorted(r["code"] for r in error["reasons"]) == ["fee_currency_mismatch",
                                                           "intended_uses_too_vague"]
    assert len(error["reasons"]) == 2 and all(r["message"] for r in error["reasons"])
    editor = api.post("/api/v1/licences", json=body, headers=as_(world, Role.BRAND_EDITOR))
    assert editor.status_code == 403 and editor.json()["error"]["type"] == "permission_denied"


def test_policy_check_explains_a_refusal(world, api):
    use = {"channel": "social", "territory": "US", "date": "2026-07-01",
           "product_category": "tops", "alterations": ["body_shape"], "content_tags": []}
    response = api.post("/api/v1/policy/check", json={"licence_id": world.a.licence,
                                                      "use": use},
                        headers=as_(world, Role.BRAND_EDITOR))
    assert response.status_code == 200
    decision = response.json()
    assert not decision["allowed"]
    assert {"territory_not_licensed", "alteration_not_permitted"} <= {
        r["code"] for r in decision["reasons"]}


def test_bad_documents_answer_422_with_each_field(world, api):
    response = api.post("/api/v1/consents", json={"talent_id": world.a.talent, "document": {
        "purpose": "short", "scope": {}, "starts": "2026-13-01"}},
        headers=as_(world, Role.TALENT))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["type"] == "invalid_input" and len(error["reasons"]) >= 3


def test_pagination_gives_total_limit_and_offset(world, api):
    first = api.get("/api/v1/assets", params={"limit": 1}, headers=as_(world, Role.ADMIN))
    second = api.get("/api/v1/assets", params={"limit": 1, "offset": 1},
                     headers=as_(world, Role.ADMIN))
    assert first.json()["total"] == 4 and len(first.json()["items"]) == 1
    assert first.json()["items"][0]["id"] != second.json()["items"][0]["id"]
    assert api.get("/api/v1/assets", params={"limit": 0},
                   headers=as_(world, Role.ADMIN)).status_code == 422
    filtered = api.get("/api/v1/assets", params={"state": "pending_approval"},
                       headers=as_(world, Role.BRAND_EDITOR)).json()
    assert [a["id"] for a in filtered["items"]] == [world.a.assets[0]]


def test_statements_download_as_json_csv_and_pdf(world, api):
    url = f"/api/v1/talents/{world.a.talent}/statements/2026-06"
    statement = api.get(url, headers=as_(world, Role.TALENT))
    assert statement.status_code == 200, statement.text
    assert statement.json()["totals"]["gross"] == 10000 + 2500
    csv = api.get(url, params={"format": "csv"}, headers=as_(world, Role.AGENCY))
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0].startswith("transaction_id,")
    pdf = api.get(url, params={"format": "pdf"}, headers=as_(world, Role.TALENT))
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content[:5] == b"%PDF-"
    brand = api.get(f"/api/v1/brands/{world.a.brand}/statements/2026-06",
                    headers=as_(world, Role.BRAND_ADMIN))
    assert brand.status_code == 200 and brand.json()["party_kind"] == "brand"
    bad = api.get(f"/api/v1/talents/{world.a.talent}/statements/2026-13",
                  headers=as_(world, Role.TALENT))
    assert bad.status_code == 422


def test_an_asset_image_downloads_and_verifies_as_licensed(world, api):
    image = api.get(f"/api/v1/assets/{world.a.assets[1]}/image", headers=as_(world, Role.TALENT))
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    verdict = api.post("/api/v1/verify", files={"image": ("x.jpg", image.content, "image/jpeg")},
                       headers=as_(world, Role.BRAND_EDITOR))
    assert verdict.status_code == 200, verdict.text
    body = verdict.json()
    assert body["verdict"] == "licensed" and body["asset_id"] == world.a.assets[1]
    assert {"c2pa", "watermark", "fingerprint", "face"} <= set(body["signals"])
    withdrawn = api.post(f"/api/v1/assets/{world.a.assets[1]}/withdraw",
                         json={"reason": "takedown"}, headers=as_(world, Role.BRAND_EDITOR))
    assert withdrawn.status_code == 200 and withdrawn.json()["state"] == "withdrawn"
    again = api.post("/api/v1/verify", files={"image": ("x.jpg", image.content, "image/jpeg")},
                     headers=as_(world, Role.BRAND_EDITOR))
    assert again.json()["verdict"] == "withdrawn"


def _bomb_png(side: int = 20000) -> bytes:
    """A PNG that declares side×side pixels in a few kilobytes of zlib (a bomb)."""
    raw = zlib.compress(b"\x00" * (side + 1) * 64, 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + \
        chunk(b"IEND", b"")


@pytest.mark.parametrize("name,data,status,phrase", [
    ("notes.png", b"these are my notes, not a picture\n" * 20, 422, "not an image"),
    ("empty.png", b"", 422, "empty"),
    ("bomb.png", _bomb_png(), 422, "decompression bomb"),
    ("truncated.jpg", encode(scene(3, 320, 400), quality=90)[:2000], 422, "cannot be decoded"),
])
def test_bad_uploads_answer_a_clear_4xx(world, api, name, data, status, phrase):
    response = api.post("/api/v1/verify", files={"image": (name, data, "image/png")},
                        headers=as_(world, Role.COMPLIANCE))
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert phrase in error["message"], error


def test_an_oversize_body_is_refused_with_413_json(world, api):
    noise = Image.frombytes("RGB", (1400, 1400), os.urandom(1400 * 1400 * 3))
    out = io.BytesIO()
    noise.save(out, "PNG")
    assert len(out.getvalue()) > 3 * 1024 * 1024
    response = api.post("/api/v1/verify", files={"image": ("big.png", out.getvalue(),
                                                           "image/png")},
                        headers=as_(world, Role.COMPLIANCE))
    assert response.status_code == 413, response.text
    assert response.json()["error"]["type"] == "too_large"

    def chunks():  # no Content-Length: refused while streaming
        for _ in range(8):
            yield b"x" * (512 * 1024)

    streamed = api.post("/api/v1/verify", content=chunks(),
                        headers={**as_(world, Role.COMPLIANCE),
                                 "Content-Type": "multipart/form-data; boundary=b"})
    assert streamed.status_code == 413, streamed.text


def test_enrolment_upload_of_wrong_type_or_without_release_is_refused(world, api):
    png = encode(scene(2, 320, 400), "PNG")
    wrong = api.post(f"/api/v1/twins/{world.a.twin}/enrolment",
                     files=[("photos", ("a.png", b"GIF89a not really", "image/png"))],
                     headers=as_(world, Role.TALENT))
    assert wrong.status_code == 422 and "a.png" in wrong.json()["error"]["message"]
    api.post(f"/api/v1/biometric-releases/{world.a.release}/revoke",
             headers=as_(world, Role.TALENT))
    refused = api.post(f"/api/v1/twins/{world.a.twin}/enrolment",
                       files=[("photos", (f"{i}.png", png, "image/png")) for i in range(3)],
                       headers=as_(world, Role.TALENT))
    assert refused.status_code == 403
    assert [r["code"] for r in refused.json()["error"]["reasons"]] == [
        "biometric_release_missing"]


class _Checks:
    """CaptureChecks answering from a table (the photo's bytes as keys)."""

    def __init__(self, table: dict[bytes, CaptureReport]) -> None:
        self.table = table

    def check(self, data: bytes) -> CaptureReport:
        return self.table[data]

    def check_many(self, photos):
        return [self.check(data) for data in photos]


def test_a_refused_capture_set_answers_403_with_each_photos_reason(world, api):
    talent, twin = add_talent(world.ctx, name="New Face", agency_id=world.a.agency)
    grant_biometric_release(world.ctx, talent_id=talent.id, document=BiometricReleaseDocument(
        purpose="Face template to check the identity of generated images",
        retention_days=365, written_release=True, explicit_consent=True, language="en"))
    png = [encode(scene(20 + i, 320, 400), "PNG") for i in range(2)]
    world.ctx.captures = _Checks({
        png[0]: CaptureReport(True, view="front", width=768, height=1024),
        png[1]: CaptureReport(False, [{"code": "blurry", "message": "sharpness 3"}])})
    refused = api.post(f"/api/v1/twins/{twin.id}/enrolment",
                       files=[("photos", (f"{i}.png", data, "image/png"))
                              for i, data in enumerate(png)],
                       headers=as_(world, Role.AGENCY))
    assert refused.status_code == 403, refused.text
    assert [(r["code"], r["message"]) for r in refused.json()["error"]["reasons"]] == [
        ("too_few_photos", "1 usable photo(s); at least 3 are needed"),
        ("photo_blurry", "1.png: sharpness 3")]


def test_compliance_reads_the_audit_chain_and_others_may_not(world, api):
    chain = api.get("/api/v1/audit/chain", headers=as_(world, Role.COMPLIANCE))
    assert chain.status_code == 200 and chain.json()["ok"]
    events = api.get("/api/v1/audit/events", params={"limit": 5},
                     headers=as_(world, Role.COMPLIANCE)).json()
    assert len(events["items"]) == 5 and events["total"] > 20
    assert events["items"][0]["seq"] > events["items"][1]["seq"]
    assert api.get("/api/v1/audit/chain", headers=as_(world, Role.TALENT)).status_code == 403


def test_the_audit_chain_checks_a_head_published_earlier(world, api):
    compliance = as_(world, Role.COMPLIANCE)
    head = api.get("/api/v1/audit/chain", headers=compliance).json()
    published = f"{head['head_seq']}:{head['head_hash']}"
    kept = api.get("/api/v1/audit/chain", params={"expect_head": published}, headers=compliance)
    assert kept.status_code == 200 and kept.json()["ok"], kept.text
    forged = f"{head['head_seq']}:{'0' * 64}"
    lost = api.get("/api/v1/audit/chain", params={"expect_head": forged},
                   headers=compliance).json()
    assert not lost["ok"] and forged in lost["problem"]
    bare_hash = api.get("/api/v1/audit/chain", params={"expect_head": head["head_hash"]},
                        headers=compliance)
    assert bare_hash.status_code == 422


def test_an_agency_adds_a_talent_to_its_own_agency(world, api):
    response = api.post("/api/v1/talents", json={"name": "New Face", "agency_id": None},
                        headers=as_(world, Role.AGENCY))
    assert response.status_code == 201, response.text
    assert response.json()["agency_id"] == world.a.agency
    listed = api.get("/api/v1/talents", headers=as_(world, Role.AGENCY)).json()
    assert {t["name"] for t in listed["items"]} == {"Talent a", "New Face"}


def test_the_talent_approves_a_pending_asset_and_the_brand_may_not(world, api):
    pending = world.a.assets[0]
    brand = api.post(f"/api/v1/assets/{pending}/approve", headers=as_(world, Role.BRAND_ADMIN))
    assert brand.status_code == 403 and brand.json()["error"]["type"] == "permission_denied"
    approved = api.post(f"/api/v1/assets/{pending}/approve", headers=as_(world, Role.TALENT))
    assert approved.status_code == 200, approved.text
    assert approved.json()["state"] == "approved"
    again = api.post(f"/api/v1/assets/{pending}/reject", json={"reason": "no"},
                     headers=as_(world, Role.TALENT))
    assert again.status_code == 409
    statement = api.get(f"/api/v1/talents/{world.a.talent}/statements/2026-06",
                        headers=as_(world, Role.TALENT)).json()
    assert statement["totals"]["gross"] == 10000 + 2 * 2500


def test_demo_logins_are_created_once_and_can_sign_in(world):
    from twinstudio.services.accounts import create_demo_logins

    logins = create_demo_logins(world.ctx)
    assert {login["role"] for login in logins} == {"talent", "agency", "brand_admin",
                                                   "compliance"}
    assert create_demo_logins(world.ctx) == logins
    talent = next(login for login in logins if login["role"] == "talent")
    principal = authenticate_password(world.ctx, talent["email"], talent["password"])
    assert principal.talent_id in (world.a.talent, world.b.talent)


def test_a_service_validation_error_lists_every_failed_field_as_reasons(world, api):
    published = api.post(f"/api/v1/assets/{world.a.assets[1]}/publish",
                         json={"channel": "socail", "territory": "XX", "date": "2026-07-01"},
                         headers=as_(world, Role.BRAND_EDITOR))
    assert published.status_code == 422, published.text
    error = published.json()["error"]
    assert error["type"] == "invalid_input"
    messages = [r["message"] for r in error["reasons"]]
    assert len(messages) == 2, error
    assert messages[0].startswith("channel: unknown code(s) 'socail'")
    assert messages[1].startswith("territory: unknown code(s) 'XX'")
    assert error["message"].startswith("publication: channel: ")
