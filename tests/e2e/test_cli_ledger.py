"""End-to-end tests of the ledger and statement commands (SQLite workspace)."""

from __future__ import annotations

import csv
import sqlite3
from datetime import date

from tests.e2e.test_cli import EXIT_BAD_INPUT, EXIT_INTEGRITY, EXIT_OK, World, world
from tests.support.images import encode, scene

__all__ = ["world"]  # the fixture, imported for pytest


def _asset(w: World, seed: int) -> str:
    """A real asset under the world's licence (billing refuses assets that do not exist)."""
    source = w.files / f"frame{seed}.jpg"
    source.write_bytes(encode(scene(seed)))
    outcome = w.run("asset", "mark", "--licence", w.licence, "--image", source, "--out",
                    w.files / f"marked{seed}.jpg", "--source", "studio", "--json")
    assert outcome.code == EXIT_OK, outcome
    return outcome.json()["asset_id"]


def _post(w: World, *extra: str) -> dict:
    outcome = w.run("ledger", "post", "--licence", w.licence, *extra, "--json")
    assert outcome.code == EXIT_OK, outcome
    return outcome.json()


def test_posting_an_event_twice_posts_once_and_the_ledger_checks(world: World) -> None:
    asset = _asset(world, 1)
    first = _post(world, "--type", "asset_published", "--asset", asset, "--channel", "social",
                  "--territory", "SE")
    again = _post(world, "--type", "asset_published", "--asset", asset, "--channel", "social",
                  "--territory", "SE")
    assert first["posted"] and first["transaction"]["gross"] == 5000
    assert not again["posted"] and again["reason"] == "already posted"
    nothing = _post(world, "--type", "asset_published", "--asset", asset, "--channel", "email",
                    "--territory", "SE")
    assert not nothing["posted"] and "nothing due" in nothing["reason"]
    check = world.run("ledger", "check", "--json")
    assert check.code == EXIT_OK and check.json()["ok"] and check.json()["transactions"] == 1
    balances = world.run("ledger", "balances", "--json").json()
    assert balances[f"brand_payable:{world.brand}"] == 5000
    assert balances[f"talent_receivable:{world.talent}"] == -5000


def test_statement_prints_and_writes_csv_and_pdf(world: World) -> None:
    asset = _asset(world, 2)
    _post(world, "--type", "asset_approved", "--asset", asset)
    _post(world, "--type", "asset_published", "--asset", asset, "--channel", "social",
              "--territory", "SE")
    period = date.today().strftime("%Y-%m")
    csv_path, pdf_path = world.files / "s.csv", world.files / "s.pdf"
    outcome = world.run("statement", "--talent", world.talent, "--period", period,
                        "--csv", csv_path, "--pdf", pdf_path, "--json")
    assert outcome.code == EXIT_OK, outcome
    data = outcome.json()
    assert data["totals"] == {"gross": 7500, "commission": 0, "platform_fee": 0, "net": 7500}
    assert data["by_channel"] == {"-": 2500, "social": 5000}
    rows = list(csv.DictReader(csv_path.open()))
    assert int(rows[-1]["net"]) == 7500 and len(rows) == 3
    assert pdf_path.read_bytes().startswith(b"%PDF")
    brand = world.run("statement", "--brand", world.brand, "--period", period, "--json")
    assert brand.json()["totals"]["gross"] == 7500
    table = world.run("statement", "--talent", world.talent, "--period", period)
    assert "75.00 EUR" in table.stdout


def test_statement_and_close_refuse_bad_requests(world: World) -> None:
    both = world.run("statement", "--talent", world.talent, "--brand", world.brand,
                     "--period", "2026-01")
    assert both.code == EXIT_BAD_INPUT and "exactly one" in both.stderr
    bad_period = world.run("statement", "--talent", world.talent, "--period", "2026-13")
    assert bad_period.code == EXIT_BAD_INPUT and len(bad_period.stderr_lines()) == 1
    this_month = world.run("ledger", "close", "--period", date.today().strftime("%Y-%m"))
    assert this_month.code == EXIT_BAD_INPUT and "not over" in this_month.stderr
    bad_type = world.run("ledger", "post", "--licence", world.licence, "--type", "tip")
    assert bad_type.code == EXIT_BAD_INPUT and len(bad_type.stderr_lines()) == 1
    assert world.run("ledger", "check", "--json").json()["transactions"] == 0
    unknown = world.run("ledger", "post", "--licence", world.licence, "--type",
                        "asset_approved", "--asset", "ast_does_not_exist")
    assert unknown.code == EXIT_BAD_INPUT and "not found" in unknown.stderr


def test_ledger_check_exits_4_when_an_entry_was_edited(world: World) -> None:
    _post(world, "--type", "asset_approved", "--asset", _asset(world, 3))
    with sqlite3.connect(world.workspace / "twinstudio.db") as db:
        db.execute("UPDATE ledger_entries SET amount = amount - 1 WHERE amount < 0")
    outcome = world.run("ledger", "check", "--json")
    assert outcome.code == EXIT_INTEGRITY
    assert not outcome.json()["ok"] and outcome.json()["problems"]
