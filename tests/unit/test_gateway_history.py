"""Finding: gateway spend was mostly missing.  LiteLLM wrote no usage rows at all; OpenRouter wrote one row
per UTC day it happened to be polled, with the figure of that moment (a day polled at noon kept its noon
figure).  Now a gateway's history is read per day and model where the gateway offers it (LiteLLM
``/user/daily/activity``, OpenRouter ``/activity`` with a management key), else from the differences of the
key's running counter between polls; every row has confidence ``gateway``.  The emulator's gateway keys
spend the scenario's daily dollars; expected figures are sums of them."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.unit.meter_world import World, days
from tokenwallet.domain.clock import FixedClock
from tokenwallet.domain.money import usd_to_micros
from tokenwallet.emulator import Scenario, start_emulator
from tokenwallet.emulator.scenario import GATEWAY_MODELS

SC = Scenario()
NOV_1 = date(2026, 11, 1)
NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)


def paid(provider: str, first: date, at: datetime) -> int:
    """What a gateway key spent from ``first`` (a UTC day) up to ``at``: each day's dollars in micro-USD."""
    return sum(usd_to_micros(SC.daily_gateway_spend(provider, d, at)) for d in days(first, at.date()))


def day_paid(provider: str, day: date, at: datetime) -> int:
    return usd_to_micros(SC.daily_gateway_spend(provider, day, at))


@pytest.fixture
def world(tmp_path: Path):  # type: ignore[no-untyped-def]
    clock = FixedClock(NOW)
    emulator = start_emulator(clock=clock)
    world = World(tmp_path / "home", clock, emulator)
    world.run("allowance", "add", "november", "--amount", "500", "--timezone", "UTC")
    yield world
    emulator.stop()


def rows(world: World, account: str) -> list[dict[str, Any]]:
    return world.json("usage", "list", "--account", account, "--limit", "10000")["usage"]  # type: ignore[no-any-return]


def on(day: date, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in found if r["bucket_start"].startswith(day.isoformat())]


def spent(world: World) -> int:
    return int(world.allowance("november")["period_spent"])


# --- LiteLLM -------------------------------------------------------------------------------------
def test_litellm_history_per_day_and_model_is_what_the_key_spent(world: World) -> None:
    litellm = world.add_account("litellm")
    world.run("poll", "--once")
    assert spent(world) == paid("litellm", NOV_1, NOW)
    history = rows(world, litellm)
    assert {(r["source"], r["confidence"]) for r in history} == {("api_usage", "gateway")}
    # One row per UTC day and model over the first poll's month (Oct 16 - Nov 15).
    assert len(history) == 31 * len(GATEWAY_MODELS["litellm"])
    for model, spend in SC.gateway_model_spend("litellm", date(2026, 11, 3), NOW).items():
        [row] = [r for r in on(date(2026, 11, 3), history) if r["model"] == model]
        assert row["cost_micros"] == usd_to_micros(spend)
    assert world.emulator is not None
    [asked] = [e for e in world.emulator.requests if e.path.endswith("/user/daily/activity")]
    own = hashlib.sha256(world.emulator.keys["litellm"].encode()).hexdigest()
    assert f"api_key={own}" in asked.query  # the key's own history, not its user's (who has a second key)
    # The next morning: today's filling row and yesterday's are replaced, nothing is added twice.
    later = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
    world.at(later)
    world.run("poll", "--once")
    assert spent(world) == paid("litellm", NOV_1, later)
    assert len(on(date(2026, 11, 15), rows(world, litellm))) == len(GATEWAY_MODELS["litellm"])


def test_litellm_without_history_counts_the_differences_of_the_keys_spend(world: World) -> None:
    assert world.emulator is not None
    world.emulator.set_fault("/litellm/user/daily/activity", "403", count=None)
    litellm = world.add_account("litellm")
    world.run("poll", "--once")
    # The first poll spreads the key's spend of its budget period (November) over the days so far.
    assert spent(world) == paid("litellm", NOV_1, NOW)
    for moment in (datetime(2026, 11, 15, 18, 0, tzinfo=UTC), datetime(2026, 11, 16, 9, 0, tzinfo=UTC)):
        world.at(moment)
        world.run("poll", "--once")
        assert spent(world) == paid("litellm", NOV_1, moment)
    counter = rows(world, litellm)
    assert {(r["source"], r["confidence"]) for r in counter} == {("balance", "gateway")}
    assert all(
        r["bucket_start"][:10] == r["bucket_end"][:10] or r["bucket_end"].endswith("T00:00:00Z") for r in counter
    )
    asked = [e for e in world.emulator.requests if e.path.endswith("/user/daily/activity")]
    assert len(asked) == 2  # asked again on the next UTC day (still refused), not on every poll
    # Once the gateway answers, its history replaces the counter's rows of the month read.
    world.emulator.clear_faults()
    latest = datetime(2026, 11, 17, 9, 0, tzinfo=UTC)
    world.at(latest)
    world.run("poll", "--once")
    assert spent(world) == paid("litellm", NOV_1, latest)
    assert {r["source"] for r in rows(world, litellm)} == {"api_usage"}


# --- OpenRouter ----------------------------------------------------------------------------------
def test_openrouter_counts_the_whole_day_even_when_polled_at_noon(world: World) -> None:
    world.at(datetime(2026, 11, 14, 12, 0, tzinfo=UTC))
    openrouter = world.add_account("openrouter")
    world.run("poll", "--once")
    assert spent(world) == paid("openrouter", NOV_1, world.now)
    world.at(NOW - timedelta(hours=3))  # Nov 15 09:00
    world.run("poll", "--once")
    assert spent(world) == paid("openrouter", NOV_1, world.now)
    found = rows(world, openrouter)
    assert {(r["source"], r["confidence"]) for r in found} == {("balance", "gateway")}
    # Nov 14 was polled at noon; its afternoon came with the next poll (the rise of the key's usage
    # less what usage_daily says was spent after midnight).
    assert sum(r["cost_micros"] for r in on(date(2026, 11, 14), found)) == day_paid(
        "openrouter", date(2026, 11, 14), NOW
    )
    today = on(date(2026, 11, 15), found)
    assert sum(r["cost_micros"] for r in today) == day_paid("openrouter", date(2026, 11, 15), world.now)
    assert len(today) == 1 and today[0]["bucket_start"] == "2026-11-15T00:00:00Z"


def test_openrouter_with_a_management_key_reads_the_history_per_day_and_model(world: World) -> None:
    assert world.emulator is not None
    emulator = world.emulator
    inference = hashlib.sha256(emulator.keys["openrouter"].encode()).hexdigest()
    output = world.run(
        "account",
        "add",
        "openrouter",
        "--label",
        "OpenRouter (management)",
        "--base-url",
        emulator.base_url("openrouter"),
        "--key-stdin",
        "--api-key-id",
        inference,
        stdin=emulator.keys["openrouter-management"] + "\n",
    ).output
    account = output.split()[1]
    world.run("poll", "--once")
    # Completed days from /activity per model; today, not yet in the history, from the key's usage_daily.
    assert spent(world) == paid("openrouter", NOV_1, NOW)
    found = rows(world, account)
    nov_3 = {r["model"]: r["cost_micros"] for r in on(date(2026, 11, 3), found)}
    assert nov_3 == {
        m: usd_to_micros(v) for m, v in SC.gateway_model_spend("openrouter", date(2026, 11, 3), NOW).items()
    }
    assert all(f"api_key_hash={inference}" in e.query for e in emulator.requests if e.path.endswith("/activity"))
    # The key's limit comes from /keys/{hash}: an allowance can be backed by it.
    status = world.json("account", "list")["accounts"][0]
    assert status["filters"]["api_key_ids"] == [inference]
    # The next morning yesterday's history replaces its counter rows.
    later = datetime(2026, 11, 16, 7, 0, tzinfo=UTC)
    world.at(later)
    emulator.clear_requests()
    world.run("poll", "--once")
    assert spent(world) == paid("openrouter", NOV_1, later)
    assert {r["source"] for r in on(date(2026, 11, 15), rows(world, account))} == {"api_usage"}
    [asked] = [e for e in emulator.requests if e.path.endswith("/activity")]
    assert "date=2026-11-15" in asked.query


def test_a_backed_allowance_takes_spend_burn_and_forecast_from_its_gateway(world: World) -> None:
    world.add_account("openai")  # other spend, which a gateway budget does not hold
    openrouter = world.add_account("openrouter")
    world.run("poll", "--once")
    world.run("allowance", "add", "key", "--amount", "50", "--backing-account", openrouter, "--timezone", "UTC")
    world.run("allowance", "add", "same rows", "--amount", "50", "--scope", openrouter, "--timezone", "UTC")
    backed, plain = world.allowance("key"), world.allowance("same rows")
    monthly = paid("openrouter", NOV_1, NOW)
    assert backed["spent"] == monthly and backed["remaining"] == usd_to_micros(SC.openrouter_limit_usd) - monthly
    # The burn rate and the forecast come from the gateway's own rows, not from the OpenAI bill.
    assert backed["burn_rate_per_day"] == plain["burn_rate_per_day"] > 0
    assert backed["burn_rate_per_day"] < world.allowance("november")["burn_rate_per_day"]
    assert backed["streams"] == plain["streams"] and {s["stream"] for s in backed["streams"]} == {openrouter}
