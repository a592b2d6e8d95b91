"""Golden files of the command line's ``--json`` output and of a few API bodies.

They pin the structure of what the CLI and the API print (every key, key order, types,
verdicts, codes, messages and counts) so that a refactoring can be shown to change none
of it. What legitimately varies from run to run (ids, timestamps, dates, hashes,
signatures, timings, temporary paths) is replaced by placeholders by ``normalise``; ids
become ``<prefix#n>`` numbered by first appearance, so that which id refers to which
object is still checked.

``TWINSTUDIO_UPDATE_GOLDEN=1`` rewrites the files from the code under test (review the
diff before committing it).
"""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Clock
from tests.e2e.test_cli import EXIT_OK, EXIT_REFUSED, World, licence_terms, proposed_use, world
from tests.integration.test_api_generation import brief
from tests.support.fakes import FIT, PROFILE
from tests.support.images import encode, scene
from tests.support.world import build_world as build_api_world
from tests.support.world import world_context
from twinstudio.bootstrap import bootstrap, build_engine
from twinstudio.config import Settings
from twinstudio.domain.accounts import Role
from twinstudio.services.bodies import set_twin_body
from twinstudio.store.database import create_db_engine

__all__ = ["world"]

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("TWINSTUDIO_UPDATE_GOLDEN") == "1"

ID = re.compile(r"\b([a-z]{2,6})_[0-9a-f]{24}\b")
DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[+-]\d{2}:\d{2}|Z)?")
DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
HEX = re.compile(r"\b[0-9a-f]{32,}\b")
# values that are secrets, signatures, keys or digests whatever their encoding
OPAQUE_KEYS = {"signature", "public_key", "api_key", "secret", "head_hash", "hash",
               "prev_hash", "document_hash", "token"}
MARK_CODE = re.compile(r"^[0-9a-f]{8}$")  # the watermark's asset code (reason codes are words)
# timings, and the fingerprint distance of a marked image (its watermark carries the asset
# code, which differs per asset, so the pixels and their PDQ hash differ by a few bits)
TIMING_KEYS = re.compile(r"(^|_)(ms|seconds|elapsed)$|^timings|^distance_bits$")


class Normaliser:
    """Replace what varies between runs by placeholders, keeping the structure."""

    def __init__(self, tmp_path: Path, *, dates: bool) -> None:
        self.paths = sorted({str(tmp_path), str(tmp_path.resolve())}, key=len, reverse=True)
        self.dates = dates
        self.ids: dict[str, str] = {}

    def _id(self, match: re.Match[str]) -> str:
        found = match.group(0)
        if found not in self.ids:
            prefix = match.group(1)
            n = sum(1 for v in self.ids.values() if v.startswith(f"<{prefix}#")) + 1
            self.ids[found] = f"<{prefix}#{n}>"
        return self.ids[found]

    def seed(self, *ids: str) -> None:
        """Number these ids first, in this order."""
        for ident in ids:
            self.text(ident)

    def text(self, value: str) -> str:
        for path in self.paths:
            value = value.replace(path, "<tmp>")
        value = ID.sub(self._id, value)
        if self.dates:
            value = DATETIME.sub("<datetime>", value)
            value = DATE.sub("<date>", value)
        return HEX.sub("<hex>", value)

    def __call__(self, value: Any, key: str = "", timed: bool = False) -> Any:
        timed = timed or bool(TIMING_KEYS.search(key))
        if isinstance(value, dict):
            return {self.text(k): self(v, k, timed) for k, v in value.items()}
        if isinstance(value, list):
            return [self(v, key, timed) for v in value]
        if isinstance(value, str) and (key in OPAQUE_KEYS
                                       or (key == "code" and MARK_CODE.match(value))):
            return "<opaque>"
        if timed and isinstance(value, int | float) and not isinstance(value, bool):
            return f"<{type(value).__name__}>"
        if isinstance(value, str):
            return self.text(value)
        return value


def check_golden(name: str, value: Any, normalise: Normaliser) -> None:
    text = json.dumps(normalise(value), indent=2, ensure_ascii=False) + "\n"
    path = GOLDEN / f"{name}.json"
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.is_file(), f"no golden file {path}; run with TWINSTUDIO_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"


# ---------------------------------------------------------------------------- the CLI


def run_json(w: World, *args: str | Path, code: int = EXIT_OK) -> Any:
    outcome = w.run(*args, "--json")
    assert outcome.code == code, outcome
    return outcome.json()


def give_body(w: World) -> None:
    """The body twin that ``twin body`` would fit (without fitting), so that a campaign
    plan queues jobs."""
    settings = Settings(workspace=w.workspace)
    engine = build_engine(settings)
    try:
        set_twin_body(bootstrap(settings, engine=engine), twin_id=w.twin, profile=PROFILE,
                      fit=FIT, actor="golden")
    finally:
        engine.dispose()


def campaign_brief(w: World, parka: str, skirt: str) -> Path:
    return w.file("brief.json", {
        "name": "AW26 capsule", "twins": [w.twin], "looks": [[parka], [skirt]],
        "poses": ["relaxed"], "formats": ["feed", "square"], "scenes": ["gradient_frost"],
        "markets": [{"channel": "social", "territory": "SE"}], "max_assets": 4})


def test_cli_json_outputs_match_their_golden_files(world: World, tmp_path: Path) -> None:
    n = Normaliser(tmp_path, dates=True)

    check_golden("talent_add", run_json(world, "talent", "add", "--name", "Björn Berg",
                                        "--language", "sv"), n)
    check_golden("talent_list", run_json(world, "talent", "list"), n)
    check_golden("policy_check_allowed", run_json(
        world, "policy", "check", "--licence", world.licence,
        "--use", world.file("use.json", proposed_use())), n)
    check_golden("policy_check_refused", run_json(
        world, "policy", "check", "--licence", world.licence,
        "--use", world.file("use.json", proposed_use(
            channel="ooh", territory="US", alterations=["hair_color", "body_shape"])),
        code=EXIT_REFUSED), n)

    parka = run_json(world, "garment", "add", "--brand", world.brand, "--category", "coat",
                     "--name", "Parka", "--fabric-color", "#2f4f6f")["id"]
    skirt = run_json(world, "garment", "add", "--brand", world.brand, "--category", "skirt",
                     "--name", "Skirt", "--fabric-color", "#333333")["id"]
    give_body(world)
    plan = run_json(world, "campaign", "create", "--brand", world.brand,
                    "--brief", campaign_brief(world, parka, skirt))
    check_golden("campaign_create", plan, n)
    check_golden("campaign_status", run_json(world, "campaign", "status",
                                             plan["campaign_id"]), n)

    source = world.files / "frame.jpg"
    source.write_bytes(encode(scene(11), quality=92))
    marked = world.files / "marked.jpg"
    check_golden("asset_mark", run_json(
        world, "asset", "mark", "--licence", world.licence, "--image", source,
        "--out", marked, "--source", "studio", "--alteration", "background"), n)
    check_golden("verify_marked", run_json(world, "verify", marked), n)
    unrelated = world.files / "other.jpg"
    unrelated.write_bytes(encode(scene(12)))
    check_golden("verify_unrelated", run_json(world, "verify", unrelated), n)

    check_golden("ledger_check", run_json(world, "ledger", "check"), n)
    check_golden("consent_revoke", run_json(world, "consent", "revoke", world.consent,
                                            "--reason", "talent withdrew"), n)
    check_golden("campaign_status_after_revoke", run_json(world, "campaign", "status",
                                                          plan["campaign_id"]), n)


def test_cli_licence_revoke_matches_its_golden_file(world: World, tmp_path: Path) -> None:
    n = Normaliser(tmp_path, dates=True)
    source = world.files / "frame.jpg"
    source.write_bytes(encode(scene(21), quality=92))
    run_json(world, "asset", "mark", "--licence", world.licence, "--image", source,
             "--out", world.files / "marked.jpg", "--source", "studio")
    check_golden("licence_revoke", run_json(world, "licence", "revoke", world.licence,
                                            "--reason", "campaign cancelled",
                                            "--by", world.brand), n)
    # a refusal prints its reasons as JSON too (the error handler), exit 3
    check_golden("licence_grant_refused", run_json(
        world, "licence", "grant", "--twin", world.twin, "--brand", world.rival_brand,
        "--terms", world.file("terms.json", licence_terms(representation="none",
                                                          intended_uses="")),
        code=EXIT_REFUSED), n)


# ---------------------------------------------------------------------------- the API


@pytest.fixture
def api_world(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = create_db_engine(f"sqlite:///{tmp_path / 'api.db'}")
    clock = Clock(datetime(2026, 6, 1, 12, 0, tzinfo=UTC))
    yield build_api_world(world_context(engine, tmp_path, clock))
    engine.dispose()


def test_api_bodies_match_their_golden_files(api_world: Any, tmp_path: Path) -> None:
    from twinstudio.bootstrap import build_api

    w = api_world
    n = Normaliser(tmp_path, dates=False)
    n.seed(w.a.talent, w.a.twin, w.a.brand, w.a.consent, w.a.licence, *w.a.assets,
           *w.a.garments)
    api = TestClient(build_api(w.ctx), raise_server_exceptions=False)

    def headers(role: Role) -> dict[str, str]:
        return {"X-API-Key": w.key(role)}

    # as the talent: one twin (the world's clock is fixed, so two twins' order is by id)
    twins = api.get("/api/v1/twins", headers=headers(Role.TALENT))
    assert twins.status_code == 200, twins.text
    check_golden("api_twins_list", twins.json(), n)
    twin = api.get(f"/api/v1/twins/{w.a.twin}", headers=headers(Role.TALENT))
    assert twin.status_code == 200, twin.text
    check_golden("api_twin_read", twin.json(), n)

    image = api.get(f"/api/v1/assets/{w.a.assets[1]}/image", headers=headers(Role.TALENT))
    verdict = api.post("/api/v1/verify",
                       files={"image": ("x.jpg", image.content, "image/jpeg")},
                       headers=headers(Role.BRAND_EDITOR))
    assert verdict.status_code == 200, verdict.text
    check_golden("api_verify", verdict.json(), n)

    plan = api.post("/api/v1/campaigns", json=brief(w), headers=headers(Role.BRAND_EDITOR))
    assert plan.status_code == 201, plan.text
    body = plan.json()
    # the refusals share the fixed clock's timestamp, so the API lists them in key order
    # (random ids); sort them by what tells them apart
    body["refused"].sort(key=lambda r: (r["format"], r["garment_ids"] != [w.a.garments[0]]))
    check_golden("api_campaign_create", body, n)

    revoked = api.post(f"/api/v1/consents/{w.a.consent}/revoke",
                       json={"reason": "changed my mind"}, headers=headers(Role.TALENT))
    assert revoked.status_code == 200, revoked.text
    body = revoked.json()
    body["withdrawn_assets"].sort(key=w.a.assets.index)  # same timestamp: in id order
    check_golden("api_consent_revoke", body, n)
