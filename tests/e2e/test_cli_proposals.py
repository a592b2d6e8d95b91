"""The CLI is the workspace operator's: ``licence grant`` grants at once, and ``licence
propose / accept / refuse / withdraw`` and ``twin offers`` act for a party. Each is audited
as ``operator:NAME`` acting on behalf of the party; the relation rule holds here too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_cli import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    EXIT_REFUSED,
    World,
    build_world,
    invoke,
    licence_terms,
)


@pytest.fixture
def w(tmp_path: Path) -> World:
    """test_cli's workspace: its licence granted by ``licence grant`` (the operator)."""
    return build_world(tmp_path, invoke)


def _events(w: World, kind: str) -> list[dict[str, Any]]:
    outcome = w.run("audit", "show", "--limit", "10000", "--json")
    assert outcome.code == EXIT_OK, outcome
    return [e for e in outcome.json() if e["type"] == kind]


def test_the_operator_grant_is_audited_as_the_operator_acting_for_both_parties(w: World) -> None:
    world = w
    (granted,) = _events(world, "LicenceGranted")  # the world's licence, granted by the CLI
    assert granted["actor"].startswith("operator:")
    assert granted["payload"]["path"] == "operator"
    assert granted["payload"]["on_behalf_of"] == {"talent_id": world.talent,
                                                  "brand_id": world.brand}
    terms = world.file("tops.json", licence_terms(product_categories=["tops"],
                                                  exclusive_categories=[]))
    outcome = world.run("licence", "grant", "--twin", world.twin, "--brand",
                        world.rival_brand, "--terms", terms, "--operator", "alice", "--json")
    assert outcome.code == EXIT_OK, outcome
    assert _events(world, "LicenceGranted")[-1]["actor"] == "operator:alice"
    bad = world.run("licence", "grant", "--twin", world.twin, "--brand", world.rival_brand,
                    "--terms", terms, "--operator", "not a name")
    assert bad.code == EXIT_BAD_INPUT and "operator name" in bad.stderr


def test_the_operator_proposes_and_answers_for_the_parties(w: World) -> None:
    world = w
    terms = world.file("tops.json", licence_terms(product_categories=["tops"],
                                                  exclusive_categories=[]))
    propose = ("licence", "propose", "--twin", world.twin, "--brand", world.rival_brand,
               "--terms", terms, "--operator", "bob", "--json")
    hidden = world.run(*propose)
    assert hidden.code == EXIT_BAD_INPUT and f"twin '{world.twin}' not found" in hidden.stderr
    opened = world.run("twin", "offers", world.twin, "--open", "--operator", "bob", "--json")
    assert opened.code == EXIT_OK and opened.json()["open_to_offers"] is True

    first, second, third = (world.run(*propose).json() for _ in range(3))
    assert first["state"] == "proposed" and "brand_signature" not in first
    listed = world.run("licence", "proposals", "--state", "proposed", "--json").json()
    assert [p["id"] for p in listed] == [first["id"], second["id"], third["id"]]
    assert world.run("licence", "list", "--brand", world.rival_brand, "--json").json() == []

    accepted = world.run("licence", "accept", first["id"], "--operator", "bob", "--json")
    assert accepted.code == EXIT_OK, accepted
    licence = accepted.json()["licence"]
    assert licence["id"] == accepted.json()["proposal"]["licence_id"]
    assert world.run("licence", "verify", licence["id"]).code == EXIT_OK
    refused = world.run("licence", "refuse", second["id"], "--code", "fees_too_low",
                        "--operator", "bob", "--json")
    assert refused.code == EXIT_OK and refused.json()["refusal_code"] == "fees_too_low"
    assert world.run("licence", "refuse", third["id"], "--code", "nope").code == EXIT_BAD_INPUT
    assert world.run("licence", "withdraw", third["id"], "--operator", "bob").code == EXIT_OK
    assert world.run("licence", "accept", third["id"]).code == EXIT_BAD_INPUT  # withdrawn

    (accept_event,) = _events(world, "LicenceProposalAccepted")
    assert accept_event["actor"] == "operator:bob"
    assert accept_event["payload"]["on_behalf_of"] == world.talent
    assert _events(world, "LicenceProposed")[0]["payload"]["on_behalf_of"] == world.rival_brand
    assert _events(world, "LicenceProposalWithdrawn")[0]["payload"]["on_behalf_of"] == \
        world.rival_brand

    exclusive = world.file("outer.json", licence_terms())  # outerwear: exclusive elsewhere
    clash = world.run("licence", "propose", "--twin", world.twin, "--brand",
                      world.rival_brand, "--terms", exclusive)
    assert clash.code == EXIT_REFUSED and "exclusivity_conflict" in clash.stderr
    # the operator sees every licence (as the admin does through the API): in full
    assert world.licence in clash.stderr
