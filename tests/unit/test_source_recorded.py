"""Connectors against recorded responses (tests/fixtures/providers): exact tokens and exact money."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tokenwallet.domain.clock import FixedClock
from tokenwallet.domain.errors import BudgetExceededError
from tokenwallet.domain.usage import SnapshotKind, Source
from tokenwallet.secrets import ApiKey
from tokenwallet.sources import anthropic, deepseek, litellm, moonshot, openai, openrouter
from tokenwallet.sources.http import make_client

FIXTURES = Path(__file__).parent.parent / "fixtures" / "providers"
CLOCK = FixedClock(datetime(2026, 11, 25, 9, 30, tzinfo=UTC))
KEY = ApiKey("sk-recorded-test-key-0000")
STEADY = {"since": int(CLOCK().timestamp())}
"""A cursor after an earlier poll: each report is asked for once (the recorded body is one bucket)."""
EMPTY_PAGE = b'{"object":"page","data":[],"has_more":false,"next_page":null}'


def _client(routes: dict[str, tuple[int, bytes]], seen: list[httpx.Request] | None = None) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        for suffix, (status, body) in routes.items():
            if request.url.path.endswith(suffix):
                return httpx.Response(status, content=body)
        return httpx.Response(200, content=EMPTY_PAGE)

    return make_client(transport=httpx.MockTransport(handler))


def _file(provider: str, name: str) -> tuple[int, bytes]:
    return 200, (FIXTURES / provider / name).read_bytes()


def _run(fetch: Callable[..., object], base: str, routes: dict[str, tuple[int, bytes]], cursor=None):  # type: ignore[no-untyped-def]
    records, snaps = [], []
    with _client(routes) as client:
        for page in fetch(client, base, KEY, "acct", cursor or {}, CLOCK):  # type: ignore[operator]
            records.extend(page.records)
            snaps.extend(page.snapshots)
    return records, snaps


def test_openai_recorded_usage_and_costs() -> None:
    seen: list[httpx.Request] = []
    routes = {"/usage/completions": _file("openai", "completions.json"), "/costs": _file("openai", "costs.json")}
    records = []
    with _client(routes, seen) as client:
        for page in openai.fetch(client, "https://api.openai.com/v1", KEY, "acct", STEADY, CLOCK):
            records.extend(page.records)
    (usage,) = [r for r in records if r.source is Source.API_USAGE]
    assert (usage.input_tokens, usage.cached_input_tokens, usage.cache_write_tokens, usage.output_tokens) == (
        172400,
        640000,
        0,
        41230,
    )
    assert usage.requests == 212 and usage.model == "gpt-5.2-codex" and usage.cost_micros is None
    (cost,) = [r for r in records if r.source is Source.API_COST]
    assert cost.cost_micros == 3_418_700 and cost.project == "proj_Qx81" and cost.confidence.value == "billed"
    first = seen[0]
    assert first.headers["authorization"] == f"Bearer {KEY.reveal()}"
    assert first.url.params.get_list("group_by") == ["model", "project_id"]  # repeated key, not group_by[]
    assert int(first.url.params["start_time"]) % 86400 == 0  # whole UTC days
    assert first.url.params["bucket_width"] == "1h"  # the recent days are read by the hour
    (costs,) = [r for r in seen if r.url.path.endswith("/costs")]
    assert costs.url.params["bucket_width"] == "1d"  # the costs endpoint has daily buckets only


def test_openai_older_response_without_uncached_field() -> None:
    records, _ = _run(
        openai.fetch,
        "https://api.openai.com/v1",
        {"/usage/completions": _file("openai", "completions_2025.json")},
        STEADY,
    )
    (usage,) = [r for r in records if r.source is Source.API_USAGE]
    assert usage.input_tokens == 141201 and usage.cached_input_tokens == 0 and usage.output_tokens == 9756


def test_anthropic_recorded_messages_and_cost_report() -> None:
    routes = {
        "/usage_report/messages": _file("anthropic", "messages.json"),
        "/cost_report": _file("anthropic", "cost_report.json"),
    }
    records, _ = _run(anthropic.fetch, "https://api.anthropic.com", routes, STEADY)
    (usage,) = [r for r in records if r.source is Source.API_USAGE]
    assert (usage.input_tokens, usage.cache_write_tokens, usage.cached_input_tokens, usage.output_tokens) == (
        18230,
        42000,
        1930400,
        61210,
    )
    (cost,) = [r for r in records if r.source is Source.API_COST]
    assert cost.cost_micros == 864_215  # "86.4215" cents = $0.864215, exactly
    assert cost.bucket_start == datetime(2026, 11, 24, tzinfo=UTC)


def test_openrouter_recorded_key() -> None:
    records, snaps = _run(openrouter.fetch, "https://openrouter.ai/api/v1", {"/key": _file("openrouter", "key.json")})
    (snap,) = snaps
    assert snap.kind is SnapshotKind.LIMIT and snap.period == "monthly"
    assert (snap.limit_micros, snap.remaining_micros, snap.spent_micros) == (50_000_000, 12_750_000, 37_250_000)
    assert snap.resets_at == datetime(2026, 12, 1, tzinfo=UTC)
    assert snap.expires_at == datetime(2027, 1, 31, 23, 59, 59, tzinfo=UTC)
    # The first poll places the month so far (Wednesday Nov 25, 09:30): today's $1.90, the week's other
    # 9.60 - 1.90 over Monday and Tuesday, the month's other 37.25 - 9.60 over Nov 1-22.
    by_day = {r.bucket_start.day: r.cost_micros for r in records}
    assert sum(by_day.values()) == 37_250_000 and len(by_day) == 25
    assert (by_day[25], by_day[24], by_day[23]) == (1_900_000, 3_850_000, 3_850_000)
    assert sum(by_day[d] for d in range(1, 23)) == 27_650_000
    assert {(r.source, r.confidence.value) for r in records} == {(Source.BALANCE, "gateway")}


def test_litellm_recorded_key_info_and_budget_error() -> None:
    _, snaps = _run(litellm.fetch, "https://llm.corp.example/v1", {"/key/info": _file("litellm", "key_info.json")})
    key = next(s for s in snaps if s.name == "key")
    assert (key.spent_micros, key.limit_micros, key.remaining_micros, key.soft_limit_micros) == (
        73_214_000,
        100_000_000,
        26_786_000,
        80_000_000,
    )
    assert key.period == "30d" and key.resets_at == datetime(2026, 12, 1, tzinfo=UTC)
    assert key.expires_at == datetime(2027, 3, 31, 23, 59, 59, tzinfo=UTC)
    with pytest.raises(BudgetExceededError):
        _run(
            litellm.fetch,
            "https://llm.corp.example",
            {"/key/info": (400, (FIXTURES / "litellm" / "budget_exceeded.json").read_bytes())},
        )


def test_deepseek_and_moonshot_recorded_balances() -> None:
    _, ds = _run(deepseek.fetch, "https://api.deepseek.com", {"/user/balance": _file("deepseek", "balance.json")})
    assert ds[0].currency == "CNY" and ds[0].remaining_micros == 110_000_000
    _, ms = _run(moonshot.fetch, "https://api.moonshot.cn/v1", {"/users/me/balance": _file("moonshot", "balance.json")})
    assert ms[0].currency == "CNY" and ms[0].remaining_micros == 49_588_940


def test_anthropic_without_claude_code_report_stops_asking() -> None:
    seen: list[httpx.Request] = []
    routes = {"/usage_report/claude_code": (404, b'{"type":"error","error":{"type":"not_found_error","message":"x"}}')}
    with _client(routes, seen) as client:
        pages = list(anthropic.fetch(client, "https://api.anthropic.com", KEY, "acct", {}, CLOCK))
        assert pages[-1].cursor["claude_code"] is False
        seen.clear()
        list(anthropic.fetch(client, "https://api.anthropic.com", KEY, "acct", pages[-1].cursor, CLOCK))
    assert not any(r.url.path.endswith("/claude_code") for r in seen)
