"""End-to-end: the bugs a newcomer met in their first hour with the CLI (issue 22).

Each test drives the real Typer app on a SQLite workspace built by the README's flow
(``tests.e2e.test_cli.build_world``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_cli import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    World,
    proposed_use,
    world,
)
from tests.support.images import encode, scene
from twinstudio.domain.body import BodyFit, BodyProfile
from twinstudio.domain.errors import InvalidInput

__all__ = ["world"]  # the fixture, imported for pytest


def _mark(w: World, seed: int) -> tuple[str, Path]:
    source = w.files / f"frame{seed}.jpg"
    source.write_bytes(encode(scene(seed), quality=92))
    marked = w.files / f"marked{seed}.jpg"
    outcome = w.run("asset", "mark", "--licence", w.licence, "--image", source, "--out",
                    marked, "--source", "studio", "--json")
    assert outcome.code == EXIT_OK, outcome
    return outcome.json()["asset_id"], marked


# ---------------------------------------------------------------- 1. unapproved assets


def test_an_unapproved_asset_is_not_licensed_until_it_is_approved(world: World) -> None:
    # the README's licence requires approval: a marked asset waits for the talent
    asset, marked = _mark(world, 21)
    assert world.run("asset", "show", asset, "--json").json()["state"] == "pending_approval"

    verified = world.run("verify", marked, "--json").json()
    assert verified["verdict"] == "not_approved" and verified["asset_id"] == asset
    assert verified["asset_state"] == "pending_approval"
    assert "pending" in verified["explanation"] and "not licensed" in verified["explanation"]
    plain = world.run("verify", marked)
    assert plain.code == EXIT_OK and "not_approved" in plain.stdout

    out = world.files / "post.jpg"
    refused = world.run("asset", "rendition", asset, "--channel", "social", "--territory",
                        "FR", "--category", "outerwear", "--out", out)
    assert refused.code == EXIT_BAD_INPUT, refused
    assert "pending_approval" in refused.stderr and "approve" in refused.stderr
    assert not out.exists()

    assert world.run("asset", "approve", asset, "--by", world.talent).code == EXIT_OK
    assert world.run("verify", marked, "--json").json()["verdict"] == "licensed"
    made = world.run("asset", "rendition", asset, "--channel", "social", "--territory", "FR",
                     "--category", "outerwear", "--out", out, "--json")
    assert made.code == EXIT_OK, made
    assert made.json()["labels"] == ["AI-generated"] and out.is_file()


# ------------------------------------------------------- 3. every failed field, one line each


def test_bad_options_name_every_failed_field_with_its_message(world: World) -> None:
    asset, _ = _mark(world, 22)
    outcome = world.run("asset", "publish", asset, "--channel", "socail", "--territory", "XX")
    assert outcome.code == EXIT_BAD_INPUT, outcome
    lines = outcome.stderr_lines()
    assert len(lines) == 2, outcome
    assert "channel" in lines[0] and "'socail'" in lines[0] and "social" in lines[0]
    assert "territory" in lines[1] and "'XX'" in lines[1]
    assert "pydantic" not in outcome.stderr and "further information" not in outcome.stderr

    rendition = world.run("asset", "rendition", asset, "--channel", "socail", "--territory",
                          "FR", "--category", "outerwear", "--out", world.files / "r.jpg")
    assert rendition.code == EXIT_BAD_INPUT, rendition
    assert rendition.stderr_lines() == [
        "error: publication: channel: unknown code(s) 'socail'; known: ecommerce, email, "
        "ooh, print, social, video"]


def test_a_document_names_every_failed_field_on_its_own_line(world: World) -> None:
    use = world.file("use.json", proposed_use(channel="socail", territory="XX",
                                              alterations=["hair_colour"]))
    outcome = world.run("policy", "check", "--licence", world.licence, "--use", use)
    assert outcome.code == EXIT_BAD_INPUT, outcome
    lines = outcome.stderr_lines()
    assert len(lines) == 3, outcome
    assert [line.split(": ")[2] for line in lines] == ["channel", "territory", "alterations"]
    assert all(line.startswith(f"error: {use}: ") for line in lines)


# ---------------------------------------------------------------- 2. optional measurements


class _FitLikeAnny:
    """Answers as the anny adapter does (``body3d.fit``): a row for every measurement of
    the mesh, with a target and an error only for those the profile gave."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail

    def fit(self, profile: BodyProfile) -> BodyFit:
        if self.fail:
            raise InvalidInput("the body model could not reach these measurements")
        given = profile.measurements.as_dict()
        rows: list[dict[str, float | str]] = []
        for name in ("height", "bust", "underbust", "waist", "hips", "inseam",
                     "shoulder_width"):
            row: dict[str, float | str] = {"measurement": name, "achieved_cm": 40.0}
            if f"{name}_cm" in given:
                target = given[f"{name}_cm"]
                row.update(achieved_cm=target + 0.2, target_cm=target, error_mm=2.0)
            rows.append(row)
        return BodyFit(phenotypes={"gender": 1.0}, local_changes={}, rows=rows,
                       iterations=3, seconds=0.1)


PROFILE_WITHOUT_OPTIONALS: dict[str, Any] = {
    "sex": "female", "age": 27, "appearance": {"skin_tone": 5},
    "measurements": {"height_cm": 176, "bust_cm": 84, "waist_cm": 62, "hips_cm": 90,
                     "inseam_cm": 84}}


def _body_events(w: World) -> list[dict[str, Any]]:
    events = w.run("audit", "show", "--limit", "10000", "--json").json()
    return [e for e in events if e["type"] == "TwinBodySet"]


def test_a_body_profile_without_the_optional_measurements_is_fitted(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("twinstudio.bootstrap._body_fitting", lambda: _FitLikeAnny())
    profile = world.file("body.json", PROFILE_WITHOUT_OPTIONALS)

    outcome = world.run("twin", "body", world.twin, "--profile", profile)
    assert outcome.code == EXIT_OK, outcome
    assert "worst of 5 measurements 2.0 mm off" in outcome.stdout
    assert outcome.stderr == ""
    assert len(_body_events(world)) == 1

    again = world.run("twin", "body", world.twin, "--profile", profile, "--json")
    assert again.code == EXIT_OK, again
    fit = again.json()["fit"]
    assert fit["worst_error_mm"] == 2.0
    rows = {r["measurement"]: r for r in fit["measurements"]}
    assert "error_mm" not in rows["underbust"] and "error_mm" not in rows["shoulder_width"]


def test_a_body_fit_that_fails_records_nothing(world: World,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("twinstudio.bootstrap._body_fitting", lambda: _FitLikeAnny(True))
    profile = world.file("body.json", PROFILE_WITHOUT_OPTIONALS)
    outcome = world.run("twin", "body", world.twin, "--profile", profile)
    assert outcome.code == EXIT_BAD_INPUT, outcome
    assert len(outcome.stderr_lines()) == 1 and "Traceback" not in outcome.stderr
    assert _body_events(world) == []


# ------------------------------------------------------------- 4. names in a brief, counts


def _brief(w: World, garment: str, **changes: Any) -> Path:
    brief = {"name": "AW26", "twins": [w.twin], "looks": [[garment]],
             "poses": ["relaxed", "contrapposto"], "formats": ["feed"],
             "scenes": ["cyclorama_white"], "markets": [{"channel": "social",
                                                          "territory": "SE"}]}
    return w.file("brief.json", {**brief, **changes})


def test_a_misspelt_pose_is_refused_at_planning_and_counts_add_up(world: World) -> None:
    added = world.run("garment", "add", "--brand", world.brand, "--category", "coat",
                      "--name", "Parka", "--fabric-color", "#2f4f6f", "--json")
    assert added.code == EXIT_OK, added
    garment = added.json()["id"]

    misspelt = _brief(world, garment, poses=["relaxed", "contraposto"])
    outcome = world.run("campaign", "create", "--brand", world.brand, "--brief", misspelt)
    assert outcome.code == EXIT_BAD_INPUT, outcome
    (line,) = outcome.stderr_lines()
    assert "poses" in line and "'contraposto'" in line and "contrapposto" in line
    assert world.run("campaign", "list", "--json").json() == []

    planned = world.run("campaign", "create", "--brand", world.brand, "--brief",
                        _brief(world, garment))
    assert planned.code == EXIT_OK, planned
    # the twin has no body twin yet: both variants are refused, and said so
    assert ("2 variants: 0 queued, 0 already queued, 2 refused, 0 beyond max_assets"
            in planned.stdout), planned


# ------------------------------------------------------------- 7. help texts, full ids


def test_help_texts_read_well() -> None:
    from tests.e2e.test_cli import invoke

    agency = invoke("agency", "--help").stdout
    assert "Register an agency" in agency and "List agencies." in agency
    assert "Register a brand" in invoke("brand", "--help").stdout


@pytest.mark.parametrize("columns", ["80", "200"])
def test_list_tables_show_ids_in_full(world: World, monkeypatch: pytest.MonkeyPatch,
                                      columns: str) -> None:
    import twinstudio.cli._app as cli_app

    asset, _ = _mark(world, 23)
    monkeypatch.setattr(cli_app.out, "_width", int(columns))
    for command, ids in ((("talent", "list"), [world.talent, world.twin]),
                         (("licence", "list"), [world.licence, world.twin, world.brand]),
                         (("asset", "list"), [asset, world.twin, world.licence])):
        outcome = world.run(*command)
        assert outcome.code == EXIT_OK, outcome
        for ident in ids:
            assert ident in outcome.stdout, (command, outcome.stdout)
        assert "…" not in outcome.stdout, outcome.stdout


# ------------------------------------------------------------- 8. errors that say more


def test_errors_say_what_to_do(world: World) -> None:
    country = world.run("brand", "add", "--name", "Lund Studio", "--country", "se")
    assert country.code == EXIT_BAD_INPUT, country
    assert "upper case: 'SE'" in country.stderr

    use = world.file("use.json", proposed_use(territory="fr"))
    territory = world.run("policy", "check", "--licence", world.licence, "--use", use)
    assert territory.code == EXIT_BAD_INPUT and "upper case: 'FR'" in territory.stderr

    user = world.run("user", "add", "--email", "admin@nordvik.example", "--role",
                     "brand_admin", "--password", "a long enough password")
    assert user.code == EXIT_BAD_INPUT, user
    (line,) = user.stderr_lines()
    assert "--organisation" in line and "brand" in line and "an brand" not in line

    posted = world.run("ledger", "post", "--licence", world.licence, "--type",
                       "asset_published", "--asset", "ast_x")
    assert posted.code == EXIT_BAD_INPUT, posted
    assert [line.split(" (")[0] for line in posted.stderr_lines()] == [
        "error: --type asset_published needs --channel",
        "error: --type asset_published needs --territory"]
    assert "None" not in posted.stderr


def test_a_date_that_cannot_be_read_says_the_form_it_must_have(world: World) -> None:
    use = world.file("use.json", proposed_use(date="01/12/2026"))
    outcome = world.run("policy", "check", "--licence", world.licence, "--use", use)
    assert outcome.code == EXIT_BAD_INPUT, outcome
    assert outcome.stderr_lines() == [
        f"error: {use}: date: expected a date such as 2026-12-01 (YYYY-MM-DD), "
        "got '01/12/2026'"]
    assert "invalid character" not in outcome.stderr
