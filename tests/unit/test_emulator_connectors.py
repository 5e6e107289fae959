"""Each connector against the emulator over real HTTP: exact tokens and exact money."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from tokenwallet.domain.money import cents_to_micros, usd_to_micros
from tokenwallet.domain.usage import SnapshotKind, Source
from tokenwallet.emulator import Scenario
from tokenwallet.emulator.scenario import ANTHROPIC_PRICES, ANTHROPIC_TOKEN_TYPES, OPENAI_PRICES
from tokenwallet.secrets import ApiKey
from tokenwallet.sources import anthropic, deepseek, litellm, moonshot, openai, openrouter
from tokenwallet.sources.http import make_client


@pytest.fixture
def client():  # type: ignore[no-untyped-def]
    with make_client(httpx.Timeout(2.0, connect=1.0)) as c:
        yield c


def _collect(pages):  # type: ignore[no-untyped-def]
    records, snaps, cursor = [], [], {}
    for page in pages:
        records.extend(page.records)
        snaps.extend(page.snapshots)
        cursor = page.cursor or cursor
    return records, snaps, cursor


def _day(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def test_openai_tokens_and_billed_money_match_the_scenario(emulator, client, clock, now) -> None:  # type: ignore[no-untyped-def]
    key = ApiKey(emulator.keys["openai"])
    records, _, cursor = _collect(openai.fetch(client, emulator.base_url("openai"), key, "acct", {}, clock))
    sc = Scenario()
    # Ten days back is older than the hourly week: one daily bucket.  Two days back: 24 hours.
    for back, buckets in ((10, 1), (2, 24)):
        day = (now - timedelta(days=back)).date()
        start = _day(day)
        usage = [
            r
            for r in records
            if r.source is Source.API_USAGE and start <= r.bucket_start < start + timedelta(days=1)
            if r.kind == "completions"
        ]
        assert {r.model for r in usage} == set(OPENAI_PRICES)
        assert len({r.bucket_start for r in usage}) == buckets
        for model in OPENAI_PRICES:
            rows = [r for r in usage if r.model == model]
            expected = sc.openai_completions(model, day, now)
            assert sum(r.input_tokens for r in rows) == expected["input_uncached_tokens"]
            assert sum(r.cached_input_tokens for r in rows) == expected["input_cached_tokens"]
            assert sum(r.output_tokens for r in rows) == expected["output_tokens"]
            assert all(r.cost_micros is None for r in rows)  # money only comes from the costs endpoint
        costs = [r for r in records if r.source is Source.API_COST and r.bucket_start == start]
        assert [r.cost_micros for r in costs] == [usd_to_micros(sc.openai_cost_usd(day, now))]
    assert cursor == {"since": int(now.timestamp())}
    # the first poll reads 31 days: 24 of them daily, then the hours of 6 whole days and of today up to 12:00
    assert len({r.bucket_start for r in records if r.kind == "completions"}) == 24 + 6 * 24 + 13
    hours = [r for r in records if r.kind == "completions" and r.bucket_end - r.bucket_start == timedelta(hours=1)]
    assert min(r.bucket_start for r in hours) == _day(now.date()) - timedelta(days=6)


def test_openai_pagination_follows_next_page(emulator, client, clock) -> None:  # type: ignore[no-untyped-def]
    emulator.page_size = 2
    key = ApiKey(emulator.keys["openai"])
    records, _, _ = _collect(openai.fetch(client, emulator.base_url("openai"), key, "acct", {}, clock))
    assert len({r.bucket_start for r in records if r.kind == "completions"}) == 24 + 6 * 24 + 13
    pages = [e for e in emulator.requests if e.path.endswith("/completions")]
    daily, hourly = 24 // 2, -(-(6 * 24 + 13) // 2)  # two buckets a page
    assert len(pages) == daily + hourly and sum("page=" in e.query for e in pages) == daily + hourly - 2


def test_anthropic_cache_writes_and_exact_cents(emulator, client, clock, now) -> None:  # type: ignore[no-untyped-def]
    key = ApiKey(emulator.keys["anthropic"])
    records, _, _ = _collect(anthropic.fetch(client, emulator.base_url("anthropic"), key, "acct", {}, clock))
    sc = Scenario()
    day = (now - timedelta(days=1)).date()
    start = _day(day)
    for model in ANTHROPIC_PRICES:
        t = sc.anthropic_messages(model, day, now)
        rows = [
            r
            for r in records
            if r.kind == "messages" and start <= r.bucket_start < start + timedelta(days=1) and r.model == model
        ]
        assert len(rows) == 24  # yesterday is read by the hour
        assert sum(r.input_tokens for r in rows) == t["uncached_input_tokens"]
        assert sum(r.cache_write_tokens for r in rows) == (
            t["cache_creation.ephemeral_5m_input_tokens"] + t["cache_creation.ephemeral_1h_input_tokens"]
        )
        assert sum(r.cached_input_tokens for r in rows) == t["cache_read_input_tokens"]
        cost = sum(
            r.cost_micros or 0
            for r in records
            if r.source is Source.API_COST and r.bucket_start == start and r.model == model
        )
        expected = sum(cents_to_micros(sc.anthropic_cost_cents(model, tt, day, now)) for tt in ANTHROPIC_TOKEN_TYPES)
        assert cost == expected


def test_openrouter_key_limit_snapshot_and_daily_spend(emulator, client, clock, now) -> None:  # type: ignore[no-untyped-def]
    key = ApiKey(emulator.keys["openrouter"])
    records, snaps, _ = _collect(openrouter.fetch(client, emulator.base_url("openrouter"), key, "acct", {}, clock))
    sc = Scenario()
    monthly = sc.spend_between("openrouter", now.date().replace(day=1), now)
    (snap,) = snaps
    assert snap.kind is SnapshotKind.LIMIT and snap.limit_micros == 50_000_000
    assert snap.spent_micros == usd_to_micros(monthly)
    assert snap.remaining_micros == usd_to_micros(Decimal(50) - monthly)
    assert snap.resets_at == datetime(2026, 12, 1, tzinfo=UTC)
    # The first poll places the month so far: today, this week before today, the month before the week.
    assert {(r.source, r.confidence.value, r.kind) for r in records} == {(Source.BALANCE, "gateway", "counter")}
    assert sum(r.cost_micros or 0 for r in records) == usd_to_micros(monthly)
    (today,) = [r for r in records if r.bucket_start == _day(now.date())]
    assert (today.bucket_end, today.cost_micros) == (
        now,
        usd_to_micros(sc.daily_gateway_spend("openrouter", now.date(), now)),
    )
    assert all(r.bucket_end - r.bucket_start <= timedelta(days=1) for r in records)
    assert not any("/credits" in e.path for e in emulator.requests)


def test_openrouter_management_key_reads_credits(emulator, client, clock) -> None:  # type: ignore[no-untyped-def]
    key = ApiKey(emulator.keys["openrouter-management"])
    _, snaps, _ = _collect(openrouter.fetch(client, emulator.base_url("openrouter"), key, "acct", {}, clock))
    credits = [s for s in snaps if s.name == "credits"]
    assert credits and credits[0].kind is SnapshotKind.BALANCE
    assert credits[0].remaining_micros == credits[0].limit_micros - credits[0].spent_micros  # type: ignore[operator]


def test_litellm_tightest_budget_wins(emulator, client, clock) -> None:  # type: ignore[no-untyped-def]
    key = ApiKey(emulator.keys["litellm"])
    _, snaps, _ = _collect(litellm.fetch(client, emulator.base_url("litellm") + "/v1", key, "acct", {}, clock))
    by_name = {s.name: s for s in snaps}
    assert set(by_name) == {"key", "user", "team", "effective"}
    assert by_name["key"].soft_limit_micros == 80_000_000
    assert by_name["key"].resets_at == datetime(2026, 12, 1, tzinfo=UTC)
    tight = min((by_name[n] for n in ("key", "user", "team")), key=lambda s: s.remaining_micros)  # type: ignore[arg-type,return-value]
    assert by_name["effective"].remaining_micros == tight.remaining_micros
    assert by_name["effective"].extra["from"] == tight.name


def test_deepseek_and_moonshot_balances(emulator, client, clock) -> None:  # type: ignore[no-untyped-def]
    _, ds, _ = _collect(
        deepseek.fetch(client, emulator.base_url("deepseek"), ApiKey(emulator.keys["deepseek"]), "a", {}, clock)
    )
    assert ds[0].kind is SnapshotKind.BALANCE and ds[0].currency == "USD" and ds[0].remaining_micros is not None
    _, ms, _ = _collect(
        moonshot.fetch(client, emulator.base_url("moonshot"), ApiKey(emulator.keys["moonshot"]), "a", {}, clock)
    )
    assert ms[0].name == "available" and ms[0].remaining_micros is not None


def test_anthropic_claude_code_report_keeps_subscription_rows_only(emulator, client, clock, now) -> None:  # type: ignore[no-untyped-def]
    key = ApiKey(emulator.keys["anthropic"])
    records, _, cursor = _collect(anthropic.fetch(client, emulator.base_url("anthropic"), key, "acct", {}, clock))
    cc = [r for r in records if r.kind == "claude_code"]
    assert {r.bucket_start.date() for r in cc} == {now.date() - timedelta(days=1), now.date()}
    assert all(r.extra["actor"] == "alice@corp.example" and r.cost_micros is None for r in cc)
    expected = Scenario().claude_code_tokens("subscription", now.date(), now)
    (today,) = [r for r in cc if r.bucket_start.date() == now.date()]
    assert (today.input_tokens, today.output_tokens, today.cached_input_tokens, today.cache_write_tokens) == (
        expected["input"],
        expected["output"],
        expected["cache_read"],
        expected["cache_creation"],
    )
    assert today.extra["estimated_cost_micros"] == cents_to_micros(
        Scenario().claude_code_cents("subscription", now.date(), now)
    )
    assert cursor["claude_code"] is True
