"""Finding: overspending was hidden.  At $281.74 spent of $270 the meter read "100% used" and "Remaining
$0.00", and no export said by how much the allowance was exceeded.  Now status (text and JSON), budget
check, alert notices and the CSV, JSON and PDF reports give the amount over the allowance."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from tests.unit.meter_world import World, days, openai_paid
from tokenwallet.domain.clock import FixedClock
from tokenwallet.domain.money import usd_to_micros as usd
from tokenwallet.emulator import start_emulator

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
OVER = usd("281.74") - usd(270)


@pytest.fixture
def world(tmp_path: Path) -> World:
    world = World(tmp_path / "home", FixedClock(NOW))
    world.run("allowance", "add", "work", "--amount", "270", "--timezone", "UTC")
    world.run("usage", "add", "--amount", "200", "--provider", "openai", "--at", "2026-11-05T10:00:00Z")
    world.run("usage", "add", "--amount", "81.74", "--provider", "anthropic", "--at", "2026-11-19T10:00:00Z")
    return world


def test_status_says_by_how_much(world: World) -> None:
    work = world.allowance("work")
    assert (work["spent"], work["remaining"], work["overspent"]) == (usd(270), 0, OVER)
    assert work["percent_used"] == 100.0  # the contract's meaning is kept
    assert work["percent_spent"] == round(100 * 281.74 / 270, 2)
    assert work["formatted"]["overspent"] == "$11.74"
    text = world.run("status").output
    assert "work: $11.74 over the allowance ($281.74 spent of $270.00, 104.3%)." in text


def test_budget_check_says_the_allowance_is_already_over(world: World) -> None:
    text = world.run("budget", "check", "--amount", "1", code=1).output
    assert "does not fit" in text and "already $11.74 over the allowance" in text
    answer = json.loads(world.run("budget", "check", "--amount", "1", "--json", code=1).stdout)
    [check] = answer["checks"]
    assert (check["overspent"], check["formatted"]["overspent"]) == (OVER, "$11.74")


def test_the_alert_notice_says_by_how_much(world: World) -> None:
    # The allowance got the default rules (80, 95 and 100 % used, ...) when it was added.
    events = world.json("alerts", "check", "--no-notify")["events"]
    [event] = [e for e in events if e["title"] == "work: 100% used"]
    assert event["message"] == "$281.74 spent of $270.00 (104%): $11.74 over the allowance."


def test_reports_give_the_overspent_amount(world: World, tmp_path: Path) -> None:
    report = json.loads(world.run("report", "--month", "2026-11", "--format", "json").stdout)
    [line] = report["allowances"]
    assert (line["spent"], line["overspent"]) == (usd("281.74"), OVER)
    table = world.run("report", "--month", "2026-11", "--format", "csv", "--table", "allowances").stdout
    [row] = csv.DictReader(io.StringIO(table))
    assert (row["spent"], row["remaining"], row["overspent"]) == ("281.740000", "0.000000", "11.740000")
    if shutil.which("pdftotext") is None:
        pytest.skip("needs poppler-utils for the PDF")
    pdf = tmp_path / "november.pdf"
    world.run("report", "--month", "2026-11", "--format", "pdf", "-o", str(pdf))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Overspent" in text and "$11.74" in text


def test_billed_spend_beyond_the_allowance_is_over_by_the_difference(tmp_path: Path) -> None:
    clock = FixedClock(datetime(2026, 11, 15, 12, 0, tzinfo=UTC))
    with start_emulator(clock=clock) as emulator:
        world = World(tmp_path / "home", clock, emulator)
        world.add_account("openai")
        world.run("poll", "--once")
        world.run("allowance", "add", "small", "--amount", "20", "--timezone", "UTC")
        billed = sum(openai_paid(d, clock()) for d in days(date(2026, 11, 1), date(2026, 11, 15)))
        assert billed > usd(20)
        small = world.allowance("small")
        assert (small["spent"], small["overspent"], small["remaining"]) == (usd(20), billed - usd(20), 0)
