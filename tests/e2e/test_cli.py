"""End-to-end tests of the ``twinstudio`` command line.

Most tests drive the real Typer app in-process with ``typer.testing.CliRunner`` (click 8.2+
keeps stdout and stderr apart, so ``stdout`` holds only what the command printed there);
a few run the installed console script and ``python -m twinstudio.cli`` in a subprocess to
prove the entry point. Every test builds its own workspace (SQLite) under ``tmp_path``.

Dates are relative to today so that the licence and consent always cover the use.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from twinstudio.bootstrap import bootstrap, build_engine
from twinstudio.cli import app
from twinstudio.config import Settings
from twinstudio.domain.twin import TwinState
from twinstudio.services.parties import set_twin_state

EXIT_OK, EXIT_BAD_INPUT, EXIT_REFUSED, EXIT_INTEGRITY = 0, 2, 3, 4
FLOW_EVENTS = ["BrandAdded", "BrandAdded", "TalentAdded", "ConsentGranted", "TwinActive",
               "LicenceGranted"]


# ---------------------------------------------------------------------------- documents


def day(offset: int) -> str:
    return (date.today() + timedelta(days=offset)).isoformat()


def licence_terms(**overrides: Any) -> dict[str, Any]:
    """The README's terms.json, with dates that cover today."""
    terms: dict[str, Any] = {
        "channels": ["ecommerce", "social"], "territories": ["SE", "FR"],
        "starts": day(-30), "ends": day(300),
        "product_categories": ["tops", "outerwear"],
        "permitted_alterations": ["hair_color", "makeup", "background", "lighting", "pose",
                                  "crop"],
        "prohibited_content": ["nudity", "lingerie", "swimwear", "alcohol", "tobacco",
                               "political"],
        "exclusive_categories": ["outerwear"], "approval_required": True, "max_assets": 500,
        "intended_uses": "E-commerce product pages and social posts for the AW26 outerwear line",
        "representation": "counsel",
        "fees": {"currency": "EUR", "per_asset": 2500, "per_publication": {"social": 5000}},
    }
    terms.update(overrides)
    return terms


def consent_document(**overrides: Any) -> dict[str, Any]:
    """The README's consent.json: covers the terms above (scope, dates, rate, language)."""
    document: dict[str, Any] = {
        "purpose": "Digital replica for fashion campaign imagery of licensed brands",
        "scope": {"channels": ["ecommerce", "social"], "territories": ["*"],
                  "product_categories": ["tops", "outerwear"], "alterations": [],
                  "prohibited_content": ["nudity"]},
        "rate_of_pay": {"currency": "EUR", "amount": 2000, "basis": "per_asset"},
        "starts": day(-60), "ends": day(700), "language": "sv",
    }
    document.update(overrides)
    return document


def proposed_use(**overrides: Any) -> dict[str, Any]:
    """A use inside the licence and the consent."""
    use: dict[str, Any] = {"channel": "social", "territory": "FR", "date": day(3),
                           "product_category": "outerwear", "alterations": ["hair_color"],
                           "content_tags": []}
    use.update(overrides)
    return use


# ---------------------------------------------------------------------------- running the CLI


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    def stderr_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]

    def __str__(self) -> str:
        return f"exit {self.code}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"


def invoke(*args: str | Path) -> Outcome:
    """Run the CLI in-process; an unexpected Python exception fails the test loudly."""
    result = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)
    return Outcome(result.exit_code, result.stdout, result.stderr)


def console_script() -> list[str]:
    """The installed ``twinstudio`` script next to this interpreter (the venv's bin)."""
    script = Path(sys.executable).parent / "twinstudio"
    found = str(script) if script.exists() else shutil.which("twinstudio")
    assert found, "the twinstudio console script is not installed"
    return [found]


def run_process(command: list[str], *args: str | Path, cwd: Path) -> Outcome:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWINSTUDIO_")}
    env["NO_COLOR"] = "1"
    done = subprocess.run([*command, *(str(a) for a in args)], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=60, check=False)
    return Outcome(done.returncode, done.stdout, done.stderr)


def write_json(folder: Path, name: str, data: Any) -> Path:
    path = folder / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def activate_twin(workspace: Path, twin_id: str) -> None:
    # Stands in for enrolment: the CLI has no twin activation command yet (capture and
    # enrolment come in a later issue), and only an active twin's uses can be allowed.
    settings = Settings(workspace=workspace)
    engine = build_engine(settings)
    try:
        ctx = bootstrap(settings, engine=engine)
        set_twin_state(ctx, twin_id, TwinState.ACTIVE, actor="e2e-test",
                       reason="e2e test: stands in for enrolment")
    finally:
        engine.dispose()


# ---------------------------------------------------------------------------- the world


@dataclass
class World:
    """An initialised workspace: two brands, a Swedish talent with an active twin, her
    consent and an exclusive outerwear licence of her twin to ``brand``."""

    workspace: Path
    files: Path
    brand: str
    rival_brand: str
    talent: str
    twin: str
    consent: str
    licence: str

    def run(self, *args: str | Path) -> Outcome:
        return invoke(*args, "--workspace", self.workspace)

    def file(self, name: str, data: Any) -> Path:
        return write_json(self.files, name, data)

    def check(self, use: dict[str, Any], licence: str | None = None) -> dict[str, Any]:
        outcome = self.run("policy", "check", "--licence", licence or self.licence,
                           "--use", self.file("use.json", use), "--json")
        decision = outcome.json()
        assert outcome.code == (EXIT_OK if decision["allowed"] else EXIT_REFUSED), outcome
        return decision

    def codes(self, use: dict[str, Any]) -> list[str]:
        return [reason["code"] for reason in self.check(use)["reasons"]]

    def licence_state(self) -> str:
        outcome = self.run("licence", "show", self.licence, "--json")
        assert outcome.code == EXIT_OK, outcome
        return outcome.json()["state"]

    def snapshot(self) -> dict[str, Any]:
        """Everything a failed command must leave untouched."""
        state: dict[str, Any] = {}
        for key, args in (("audit", ("audit", "show", "--limit", "10000")),
                          ("licences", ("licence", "list")), ("consents", ("consent", "list")),
                          ("talents", ("talent", "list")), ("brands", ("brand", "list"))):
            outcome = self.run(*args, "--json")
            assert outcome.code == EXIT_OK, outcome
            state[key] = outcome.stdout
        state["keys"] = sorted(p.name for p in (self.workspace / "keys").iterdir())
        return state

    def sql(self, statement: str, *params: Any) -> list[tuple[Any, ...]]:
        """Reach past twinstudio into its SQLite file, as an attacker with disk access."""
        connection = sqlite3.connect(self.workspace / "twinstudio.db")
        try:
            with connection:
                return connection.execute(statement, params).fetchall()
        finally:
            connection.close()


def build_world(tmp_path: Path, run: Callable[..., Outcome]) -> World:
    """The README flow, command by command, checking each command's JSON contract."""
    workspace, files = tmp_path / "ws", tmp_path / "files"
    files.mkdir()

    outcome = run("init", "--workspace", workspace)
    assert outcome.code == EXIT_OK, outcome
    assert (workspace / "twinstudio-workspace.json").is_file()
    assert (workspace / "twinstudio.db").is_file()

    brands = []
    for name, country in (("Nordvik Outerwear", "SE"), ("Maison Lumière", "FR")):
        outcome = run("brand", "add", "--workspace", workspace, "--name", name,
                      "--country", country, "--json")
        assert outcome.code == EXIT_OK, outcome
        brand = json.loads(outcome.stdout)
        assert (brand["kind"], brand["name"], brand["country"]) == ("brand", name, country)
        brands.append(brand["id"])

    outcome = run("talent", "add", "--workspace", workspace, "--name", "Astrid Lund",
                  "--language", "sv", "--json")
    assert outcome.code == EXIT_OK, outcome
    talent = json.loads(outcome.stdout)
    assert (talent["name"], talent["language"]) == ("Astrid Lund", "sv")
    assert talent["twin_id"] and talent["twin_state"] == "enrolling"

    outcome = run("consent", "grant", "--workspace", workspace, "--talent", talent["id"],
                  "--document", write_json(files, "consent.json", consent_document()),
                  "--json")
    assert outcome.code == EXIT_OK, outcome
    consent = json.loads(outcome.stdout)
    assert consent["state"] == "active"
    assert (consent["talent_id"], consent["twin_id"]) == (talent["id"], talent["twin_id"])
    assert consent["document"]["language"] == "sv"

    activate_twin(workspace, talent["twin_id"])

    terms = licence_terms()
    outcome = run("licence", "grant", "--workspace", workspace, "--twin", talent["twin_id"],
                  "--brand", brands[0], "--terms", write_json(files, "terms.json", terms),
                  "--json")
    assert outcome.code == EXIT_OK, outcome
    licence = json.loads(outcome.stdout)
    assert licence["id"] and licence["state"] == "active"
    assert (licence["twin_id"], licence["brand_id"], licence["consent_id"]) == (
        talent["twin_id"], brands[0], consent["id"])
    assert {k: licence["terms"][k] for k in terms if k != "fees"} == {
        k: v for k, v in terms.items() if k != "fees"}
    assert licence["terms"]["fees"].items() >= terms["fees"].items()
    assert {s["role"] for s in licence["signatures"]} == {"talent", "brand"}

    return World(workspace=workspace, files=files, brand=brands[0], rival_brand=brands[1],
                 talent=talent["id"], twin=talent["twin_id"], consent=consent["id"],
                 licence=licence["id"])


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    yield build_world(tmp_path, invoke)


# ---------------------------------------------------------------------------- 1. the contract


def test_documented_flow_works_through_the_installed_console_script(tmp_path: Path) -> None:
    script = console_script()

    def run(*args: str | Path) -> Outcome:
        return run_process(script, *args, cwd=tmp_path)

    w = build_world(tmp_path, run)
    outcome = run("policy", "check", "--workspace", w.workspace, "--licence", w.licence,
                  "--use", w.file("use.json", proposed_use()), "--json")
    assert outcome.code == EXIT_OK, outcome
    assert outcome.json() == {"allowed": True, "reasons": []}
    assert outcome.stderr == ""


def test_python_dash_m_entry_point_reports_bad_input_in_one_line(world: World) -> None:
    outcome = run_process([sys.executable, "-m", "twinstudio.cli"], "policy", "check",
                          "--workspace", world.workspace, "--licence", "lic_doesnotexist",
                          "--use", world.file("use.json", proposed_use()), "--json",
                          cwd=world.files)
    assert outcome.code == EXIT_BAD_INPUT, outcome
    assert outcome.stdout == ""
    assert len(outcome.stderr_lines()) == 1, outcome
    assert "lic_doesnotexist" in outcome.stderr
    assert "Traceback" not in outcome.stderr


def test_a_refused_policy_check_exits_3_as_the_readme_says(world: World) -> None:
    use = world.file("use.json", proposed_use(territory="US"))
    for extra in ((), ("--json",)):
        outcome = world.run("policy", "check", "--licence", world.licence, "--use", use,
                            *extra)
        assert outcome.code == EXIT_REFUSED, outcome
        assert "territory_not_licensed" in outcome.stdout
    allowed = world.run("policy", "check", "--licence", world.licence,
                        "--use", world.file("use.json", proposed_use()))
    assert allowed.code == EXIT_OK and "allowed" in allowed.stdout


def test_policy_check_json_has_exactly_allowed_and_reasons(world: World) -> None:
    refused = world.check(proposed_use(territory="US"))
    assert set(refused) == {"allowed", "reasons"}
    assert refused["allowed"] is False
    assert refused["reasons"]
    for reason in refused["reasons"]:
        assert set(reason) == {"code", "message"}
        assert isinstance(reason["code"], str) and reason["code"]
        assert isinstance(reason["message"], str) and reason["message"]


# ---------------------------------------------------------------------------- 2. decisions


def test_use_inside_licence_and_consent_is_allowed_with_no_reasons(world: World) -> None:
    assert world.check(proposed_use()) == {"allowed": True, "reasons": []}
    assert world.check(proposed_use(channel="ecommerce", territory="SE",
                                    product_category="tops", alterations=["background"])) == {
        "allowed": True, "reasons": []}


def test_policy_check_lists_every_failed_condition(world: World) -> None:
    decision = world.check(proposed_use(channel="ooh", territory="US"))
    assert decision["allowed"] is False
    codes = [reason["code"] for reason in decision["reasons"]]
    assert {"territory_not_licensed", "channel_not_licensed"} <= set(codes)
    messages = " ".join(reason["message"] for reason in decision["reasons"])
    assert "US" in messages and "ooh" in messages


def test_identity_alteration_not_in_licence_is_not_permitted(world: World) -> None:
    decision = world.check(proposed_use(alterations=["hair_color", "body_shape"]))
    assert decision["allowed"] is False
    assert [reason["code"] for reason in decision["reasons"]] == ["alteration_not_permitted"]
    assert "body_shape" in decision["reasons"][0]["message"]


def test_policy_check_does_not_touch_the_audit_chain(world: World) -> None:
    before = world.snapshot()
    world.check(proposed_use())
    world.check(proposed_use(territory="US"))
    assert world.snapshot() == before


# ---------------------------------------------------------------------------- 3. bad input


def _bad_json(w: World) -> tuple[str | Path, ...]:
    path = w.files / "terms.json"
    path.write_text('{"channels": ["social",', encoding="utf-8")
    return ("licence", "grant", "--twin", w.twin, "--brand", w.rival_brand, "--terms", path)


def _deeply_nested_json(w: World) -> tuple[str | Path, ...]:
    # Well under the 1 MB limit, but deeper than Python's JSON decoder can recurse.
    path = w.files / "terms.json"
    path.write_text('{"channels": ' + "[" * 100_000, encoding="utf-8")
    return ("licence", "grant", "--twin", w.twin, "--brand", w.rival_brand, "--terms", path)


def _terms_with_radio(w: World) -> tuple[str | Path, ...]:
    path = w.file("terms.json", licence_terms(channels=["social", "radio"]))
    return ("licence", "grant", "--twin", w.twin, "--brand", w.brand, "--terms", path)


def _use_on_radio(w: World) -> tuple[str | Path, ...]:
    path = w.file("use.json", proposed_use(channel="radio"))
    return ("policy", "check", "--licence", w.licence, "--use", path)


def _use_in_xx(w: World) -> tuple[str | Path, ...]:
    path = w.file("use.json", proposed_use(territory="XX"))
    return ("policy", "check", "--licence", w.licence, "--use", path)


def _terms_in_xx(w: World) -> tuple[str | Path, ...]:
    path = w.file("terms.json", licence_terms(territories=["SE", "XX"]))
    return ("licence", "grant", "--twin", w.twin, "--brand", w.brand, "--terms", path)


def _unknown_licence(w: World) -> tuple[str | Path, ...]:
    path = w.file("use.json", proposed_use())
    return ("policy", "check", "--licence", "lic_doesnotexist", "--use", path)


def _unknown_twin(w: World) -> tuple[str | Path, ...]:
    path = w.file("terms.json", licence_terms(exclusive_categories=[]))
    return ("licence", "grant", "--twin", "twn_doesnotexist", "--brand", w.rival_brand,
            "--terms", path)


def _missing_document(w: World) -> tuple[str | Path, ...]:
    return ("consent", "grant", "--talent", w.talent, "--document", w.files / "missing.json")


def _missing_terms(w: World) -> tuple[str | Path, ...]:
    return ("licence", "grant", "--twin", w.twin, "--brand", w.rival_brand,
            "--terms", w.files / "missing.json")


BAD_INPUT: dict[str, tuple[Callable[[World], tuple[str | Path, ...]], str]] = {
    "bad_json": (_bad_json, "invalid JSON"),
    "deeply_nested_json": (_deeply_nested_json, "terms.json"),
    "unknown_channel_in_terms": (_terms_with_radio, "radio"),
    "unknown_channel_in_use": (_use_on_radio, "radio"),
    "unknown_territory_in_use": (_use_in_xx, "XX"),
    "unknown_territory_in_terms": (_terms_in_xx, "XX"),
    "unknown_licence_id": (_unknown_licence, "lic_doesnotexist"),
    "unknown_twin_id": (_unknown_twin, "twn_doesnotexist"),
    "missing_consent_document": (_missing_document, "no such file"),
    "missing_terms_file": (_missing_terms, "no such file"),
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_exits_2_with_one_line_and_changes_nothing(world: World, case: str) -> None:
    make_args, expected = BAD_INPUT[case]
    args = make_args(world)
    before = world.snapshot()

    outcome = world.run(*args, "--json")

    assert outcome.code == EXIT_BAD_INPUT, outcome
    assert outcome.stdout == "", outcome
    lines = outcome.stderr_lines()
    assert len(lines) == 1, outcome
    assert expected in lines[0]
    assert "Traceback" not in outcome.stderr
    assert world.snapshot() == before


# ---------------------------------------------------------------------------- 4. refusals


REFUSED_GRANTS: dict[str, tuple[bool, dict[str, Any], list[str]]] = {
    # (to the rival brand?, term overrides, expected reason codes)
    "overlapping_exclusive": (True, {}, ["exclusivity_conflict"]),
    "vague_without_representation": (False, {"representation": "none", "intended_uses": ""},
                                     ["intended_uses_too_vague"]),
    "both": (True, {"representation": "none", "intended_uses": ""},
             ["exclusivity_conflict", "intended_uses_too_vague"]),
}


@pytest.mark.parametrize("case", list(REFUSED_GRANTS))
def test_refused_licence_grant_exits_3_names_every_reason_and_adds_nothing(
    world: World, case: str
) -> None:
    rival, overrides, expected = REFUSED_GRANTS[case]
    terms = world.file("terms.json", licence_terms(**overrides))
    before = world.snapshot()

    outcome = world.run("licence", "grant", "--twin", world.twin,
                        "--brand", world.rival_brand if rival else world.brand,
                        "--terms", terms, "--json")

    assert outcome.code == EXIT_REFUSED, outcome
    refusal = outcome.json()
    assert refusal["error"] == "rights_refused"
    assert sorted(reason["code"] for reason in refusal["reasons"]) == expected
    for code in expected:
        assert code in outcome.stderr
    assert "Traceback" not in outcome.stderr
    assert world.snapshot() == before


def test_non_overlapping_licence_to_another_brand_is_granted(world: World) -> None:
    terms = world.file("terms.json", licence_terms(product_categories=["tops"],
                                                   exclusive_categories=[]))
    outcome = world.run("licence", "grant", "--twin", world.twin, "--brand", world.rival_brand,
                        "--terms", terms, "--json")
    assert outcome.code == EXIT_OK, outcome
    listed = world.run("licence", "list", "--twin", world.twin, "--json").json()
    assert sorted(lic["brand_id"] for lic in listed) == sorted([world.brand, world.rival_brand])


# ---------------------------------------------------------------------------- 5. revocation


def test_consent_revoke_suspends_its_licences_and_policy_says_why(world: World) -> None:
    outcome = world.run("consent", "revoke", world.consent, "--reason",
                        "talent withdrew from digital work", "--json")
    assert outcome.code == EXIT_OK, outcome
    assert outcome.json()["suspended_licences"] == [world.licence]

    assert world.licence_state() == "suspended"
    consent = world.run("consent", "show", world.consent, "--json").json()
    assert consent["state"] == "revoked"

    decision = world.check(proposed_use())
    assert decision["allowed"] is False
    assert {"consent_revoked", "licence_suspended"} <= {r["code"] for r in decision["reasons"]}


def test_licence_revoke_makes_policy_refuse_with_licence_revoked(world: World) -> None:
    outcome = world.run("licence", "revoke", world.licence, "--reason", "campaign cancelled",
                        "--by", world.brand, "--json")
    assert outcome.code == EXIT_OK, outcome
    assert outcome.json()["state"] == "revoked"
    assert world.licence_state() == "revoked"

    decision = world.check(proposed_use())
    assert decision["allowed"] is False
    assert [reason["code"] for reason in decision["reasons"]] == ["licence_revoked"]
    assert "campaign cancelled" in decision["reasons"][0]["message"]


def test_revoking_an_already_revoked_licence_exits_2_and_changes_nothing(world: World) -> None:
    assert world.run("licence", "revoke", world.licence).code == EXIT_OK
    before = world.snapshot()
    outcome = world.run("licence", "revoke", world.licence)
    assert outcome.code == EXIT_BAD_INPUT, outcome
    assert len(outcome.stderr_lines()) == 1, outcome
    assert world.snapshot() == before


# ---------------------------------------------------------------------------- 6. audit chain


def test_audit_chain_verifies_after_the_flow(world: World) -> None:
    outcome = world.run("audit", "verify", "--json")
    assert outcome.code == EXIT_OK, outcome
    report = outcome.json()
    assert report["ok"] is True
    assert report["first_bad_seq"] is None
    assert report["events"] == report["head_seq"] == len(FLOW_EVENTS)

    events = world.run("audit", "show", "--limit", "10000", "--json").json()
    assert [e["type"] for e in sorted(events, key=lambda e: e["seq"])] == FLOW_EVENTS


def _edit_event_3(world: World) -> None:
    (payload,) = world.sql("SELECT payload FROM audit_events WHERE seq = 3")[0]
    edited = json.loads(payload)
    edited["language"] = "en"
    world.sql("UPDATE audit_events SET payload = ? WHERE seq = 3", json.dumps(edited))


def _garble_event_3(world: World) -> None:
    world.sql("UPDATE audit_events SET payload = 'not json' WHERE seq = 3")


def _reattribute_event_3(world: World) -> None:
    world.sql("UPDATE audit_events SET actor = 'mallory' WHERE seq = 3")


def _delete_event_2(world: World) -> None:
    world.sql("DELETE FROM audit_events WHERE seq = 2")


@pytest.mark.parametrize(("tamper", "first_bad"), [
    pytest.param(_edit_event_3, 3, id="edit_payload_of_event_3"),
    pytest.param(_garble_event_3, 3, id="garble_payload_of_event_3"),
    pytest.param(_reattribute_event_3, 3, id="change_actor_of_event_3"),
    pytest.param(_delete_event_2, 2, id="delete_event_2"),
])
def test_audit_verify_exits_4_and_names_the_first_bad_event(
    world: World, tamper: Callable[[World], None], first_bad: int
) -> None:
    tamper(world)

    outcome = world.run("audit", "verify", "--json")
    assert outcome.code == EXIT_INTEGRITY, outcome
    report = outcome.json()
    assert report["ok"] is False
    assert report["first_bad_seq"] == first_bad
    assert report["problem"]

    plain = world.run("audit", "verify")
    assert plain.code == EXIT_INTEGRITY, plain
    assert f"sequence {first_bad}" in plain.stdout


def test_audit_verify_detects_truncation_against_a_published_head(world: World) -> None:
    head = world.run("audit", "verify", "--json").json()
    published = f"{head['head_seq']}:{head['head_hash']}"
    assert world.run("audit", "verify", "--expect-head", published).code == EXIT_OK

    world.sql("DELETE FROM audit_events WHERE seq = ?", head["head_seq"])

    outcome = world.run("audit", "verify", "--expect-head", published, "--json")
    assert outcome.code == EXIT_INTEGRITY, outcome
    assert outcome.json()["first_bad_seq"] == head["head_seq"]


# ---------------------------------------------------------------------------- 7. licence integrity


def _stored_terms(world: World) -> dict[str, Any]:
    (stored,) = world.sql("SELECT terms FROM licences WHERE id = ?", world.licence)[0]
    return json.loads(stored)


def _store_terms(world: World, text: str) -> None:
    world.sql("UPDATE licences SET terms = ? WHERE id = ?", text, world.licence)


@pytest.mark.parametrize("territories", [["SE", "FR", "US"], ["*"]], ids=["add_US", "all"])
def test_tampered_licence_terms_fail_verification_and_decide_nothing(
    world: World, territories: list[str]
) -> None:
    ok = world.run("licence", "verify", world.licence, "--json")
    assert ok.code == EXIT_OK, ok
    assert ok.json()["valid"] is True

    _store_terms(world, json.dumps({**_stored_terms(world), "territories": territories}))

    outcome = world.run("licence", "verify", world.licence, "--json")
    assert outcome.code == EXIT_INTEGRITY, outcome
    report = outcome.json()
    assert report["valid"] is False
    assert report["document_hash_ok"] is False
    assert world.run("licence", "verify", world.licence).code == EXIT_INTEGRITY

    # US now "matches" the stored terms, but they are not what the parties signed.
    decision = world.check(proposed_use(territory="US"))
    assert decision["allowed"] is False
    assert [r["code"] for r in decision["reasons"]] == ["licence_integrity_failed"]
    assert "licence_integrity_failed" in world.codes(proposed_use())


@pytest.mark.parametrize("tampered", [
    pytest.param(lambda terms: json.dumps({**terms, "territories": ["SE", "FR", "ZZ"]}),
                 id="territory_outside_the_vocabulary"),
    pytest.param(lambda terms: "not json", id="not_json"),
])
def test_unreadable_tampered_licence_terms_are_an_integrity_failure_not_a_crash(
    world: World, tampered: Callable[[dict[str, Any]], str]
) -> None:
    _store_terms(world, tampered(_stored_terms(world)))

    outcome = world.run("licence", "verify", world.licence, "--json")
    assert outcome.code == EXIT_INTEGRITY, outcome

    outcome = world.run("policy", "check", "--licence", world.licence,
                        "--use", world.file("use.json", proposed_use()), "--json")
    if outcome.code == EXIT_REFUSED:
        decision = outcome.json()
        assert decision["allowed"] is False
        assert "licence_integrity_failed" in [r["code"] for r in decision["reasons"]]
    else:
        assert outcome.code == EXIT_INTEGRITY, outcome
        assert len(outcome.stderr_lines()) == 1, outcome


# ---------------------------------------------------------------------------- 8. not a workspace


NEEDS_WORKSPACE: dict[str, tuple[str, ...]] = {
    "brand_add": ("brand", "add", "--name", "Nordvik Outerwear"),
    "talent_add": ("talent", "add", "--name", "Astrid Lund", "--language", "sv"),
    "licence_list": ("licence", "list"),
    "policy_check": ("policy", "check", "--licence", "lic_x", "--use", "use.json"),
    "consent_revoke": ("consent", "revoke", "cns_x"),
    "audit_verify": ("audit", "verify"),
    "audit_show": ("audit", "show"),
    "integrity_check": ("integrity", "check"),
}


@pytest.mark.parametrize("folder", ["missing", "unrelated"])
@pytest.mark.parametrize("command", list(NEEDS_WORKSPACE))
def test_commands_outside_a_workspace_exit_2_and_point_to_init(
    tmp_path: Path, command: str, folder: str
) -> None:
    target = tmp_path / "not-a-workspace"
    if folder == "unrelated":
        target.mkdir()
        (target / "notes.txt").write_text("not twinstudio data", encoding="utf-8")
    write_json(tmp_path, "use.json", proposed_use())
    listing_before = sorted(p.name for p in tmp_path.rglob("*"))

    outcome = invoke(*NEEDS_WORKSPACE[command], "--workspace", target, "--json")

    assert outcome.code == EXIT_BAD_INPUT, outcome
    lines = outcome.stderr_lines()
    assert len(lines) == 1, outcome
    assert "twinstudio init" in lines[0]
    assert outcome.stdout == ""
    assert sorted(p.name for p in tmp_path.rglob("*")) == listing_before


# ---------------------------------------------------------------------------- 9. demo


def test_demo_builds_its_world_and_explains_each_decision(tmp_path: Path) -> None:
    workspace = tmp_path / "demo"
    outcome = invoke("demo", "--workspace", workspace, "--reset", "--campaign-size", "4",
                     "--json")
    assert outcome.code == EXIT_OK, outcome
    summary = outcome.json()
    campaign = summary["campaign"]
    assert campaign["queued"] == 4 and campaign["status"]["jobs"]["succeeded"] == 4
    assert campaign["images_per_twin"] and set(campaign["images_per_twin"].values()) == {1}
    assert Path(campaign["contact_sheet"]).is_file()
    # the provenance walk-through verifies copies of a campaign image (nothing else of
    # the demo is marked: no placeholder frames)
    verdicts = [v["verdict"] for v in summary["provenance"]]
    assert verdicts == ["licensed", "licensed", "licensed", "tampered", "unknown",
                        "withdrawn"]  # the last: another twin's, after its licence ended
    assert campaign["revoked_talent"] and campaign["after_revocation"]["withdrawn"] >= 1
    master = summary["provenance"][0]["asset_id"]
    assert master in {p["asset_id"] for p in campaign["published"]}
    assert invoke("asset", "show", master, "--workspace", workspace,
                  "--json").json()["request"] is not None  # made by the campaign
    assets = invoke("asset", "list", "--workspace", workspace, "--json").json()
    assert len(assets) == 4  # the campaign's images, and nothing else

    assert summary["talents"] == 30
    enrolment = summary["enrolment"]
    # every roster twin enrolled with a face template, look-alikes through review
    assert enrolment["enrolled"] == enrolment["total"] == 30 and enrolment["refused"] == []
    assert enrolment["through_review"] > 0
    assert enrolment["duplicate"]["decision"] == "same_person"
    assert enrolment["duplicate"]["notices"] >= 1
    assert summary["brands"] == 3
    assert summary["audit"]["ok"] is True
    uses = summary["uses"]
    allowed = [u for u in uses if u["allowed"]]
    refused = [u for u in uses if not u["allowed"]]
    assert allowed and all(u["reasons"] == [] for u in allowed)
    assert len(refused) >= 3
    for use in refused:
        assert use["reasons"], use
        assert all(r["code"] and r["message"] for r in use["reasons"])
    codes = {r["code"] for u in refused for r in u["reasons"]}
    assert {"territory_not_licensed", "channel_not_licensed", "alteration_not_permitted",
            "consent_revoked", "licence_suspended", "licence_revoked"} <= codes
    attempts = summary["grant_attempts"]
    assert attempts and all(not a["granted"] and a["reasons"] for a in attempts)

    talents = invoke("talent", "list", "--workspace", workspace, "--json").json()
    assert len(talents) == 31  # the roster and the duplicate record refused as the same person
    reviews = invoke("twin", "review", "list", "--workspace", workspace, "--json").json()
    assert len(reviews) == enrolment["through_review"] + 1
    assert {r["state"] for r in reviews} == {"distinct", "same_person"}
    brands = invoke("brand", "list", "--workspace", workspace, "--json").json()
    assert len(brands) == 3
    assert invoke("audit", "verify", "--workspace", workspace).code == EXIT_OK


def test_demo_refuses_to_run_twice_without_reset(tmp_path: Path) -> None:
    workspace = tmp_path / "demo"
    assert invoke("demo", "--workspace", workspace, "--reset", "--campaign-size", "0",
                  "--json").code == EXIT_OK
    audit_before = invoke("audit", "show", "--workspace", workspace, "--limit", "10000",
                          "--json").stdout

    outcome = invoke("demo", "--workspace", workspace, "--json")

    assert outcome.code == EXIT_BAD_INPUT, outcome
    lines = outcome.stderr_lines()
    assert len(lines) == 1, outcome
    assert "--reset" in lines[0]
    assert invoke("audit", "show", "--workspace", workspace, "--limit", "10000",
                  "--json").stdout == audit_before

    again = invoke("demo", "--workspace", workspace, "--reset", "--campaign-size", "0",
                   "--json")
    assert again.code == EXIT_OK, again
    assert again.json()["talents"] == 30
