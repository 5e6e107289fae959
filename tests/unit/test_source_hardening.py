"""Hostile provider values are schema errors naming the provider and the field, never crashes.

The checked readers in ``sources/_parse.py`` are the boundary every connector reads through; the
connector cases below feed one bad value into a recorded response (tests/fixtures/providers).
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tokenwallet.domain.clock import FixedClock
from tokenwallet.domain.errors import ProviderSchemaError, RateLimitedError, UserInputError
from tokenwallet.domain.limits import MAX_MICROS, MAX_TOKENS, MAX_USD
from tokenwallet.secrets import ApiKey
from tokenwallet.sources import _parse as p
from tokenwallet.sources import anthropic, deepseek, litellm, moonshot, openai, openrouter
from tokenwallet.sources.http import (
    MAX_RETRY_AFTER_SECONDS,
    check_base_url,
    get_json,
    make_client,
    parse_retry_after,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "providers"
CLOCK = FixedClock(datetime(2026, 11, 25, 9, 30, tzinfo=UTC))
KEY = ApiKey("sk-hardening-test-key-0000")
EMPTY_PAGE = b'{"object":"page","data":[],"has_more":false,"next_page":null}'


def _schema_error(call: Any, *, provider: str, field: str) -> ProviderSchemaError:
    with pytest.raises(ProviderSchemaError) as info:
        call()
    message = str(info.value)
    assert provider in message and field in message, message
    assert info.value.provider == provider
    return info.value


# --- the checked readers ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value",
    [math.inf, -math.inf, math.nan, 1e30, 2**63, 2**64 + 1, MAX_TOKENS + 1, -1, "12", [], {}, True],
)
def test_token_counts_out_of_bounds_or_of_the_wrong_type(value: object) -> None:
    _schema_error(
        lambda: p.count({"output_tokens": value}, "output_tokens", "openai"), provider="openai", field="output_tokens"
    )


def test_token_counts_within_bounds() -> None:
    assert p.count({"n": MAX_TOKENS}, "n", "openai") == MAX_TOKENS
    assert p.count({"n": 12.0}, "n", "openai") == 12
    assert p.count({}, "n", "openai") == 0


@pytest.mark.parametrize(
    "value",
    [
        math.inf,
        -math.inf,
        math.nan,
        1e30,
        -1e30,
        2**64,
        "1e30",
        "NaN",
        "Infinity",
        "-inf",
        "1e999999999",
        "abc",
        [1],
        {},
    ],
)
def test_money_out_of_bounds_or_of_the_wrong_type(value: object) -> None:
    _schema_error(lambda: p.dollars(value, "openrouter", "usage_daily"), provider="openrouter", field="usage_daily")
    _schema_error(lambda: p.cents(value, "anthropic", "amount"), provider="anthropic", field="amount")


def test_money_at_the_bounds_is_exact() -> None:
    assert p.dollars(MAX_USD, "openrouter", "limit") == MAX_MICROS
    assert p.dollars(-MAX_USD, "moonshot", "cash_balance") == -MAX_MICROS  # a debt is negative money
    assert p.dollars("16.67", "deepseek", "total_balance") == 16_670_000
    assert p.cents(str(MAX_USD * 100), "anthropic", "amount") == MAX_MICROS
    assert p.cents("86.4215", "anthropic", "amount") == 864_215
    _schema_error(lambda: p.dollars(MAX_USD + 1, "openrouter", "limit"), provider="openrouter", field="limit")


@pytest.mark.parametrize(
    "value",
    [
        -62135596800,  # 0001-01-01
        253402300799,  # 9999-12-31
        2**63,
        2**64 + 1,
        math.inf,
        math.nan,
        1e30,
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "2200-01-01T00:00:00Z",
        "1969-12-31T23:59:59Z",
        "yesterday",
        ["2026-11-24T00:00:00Z"],
    ],
)
def test_times_outside_1970_to_2199_or_of_the_wrong_type(value: object) -> None:
    _schema_error(lambda: p.moment(value, "litellm", "key.expires"), provider="litellm", field="key.expires")


def test_times_within_bounds() -> None:
    assert p.moment("2026-11-24T00:00:00Z", "litellm", "expires") == datetime(2026, 11, 24, tzinfo=UTC)
    assert p.moment(0, "openai", "start_time") == datetime(1970, 1, 1, tzinfo=UTC)
    assert p.moment(None, "litellm", "expires") is None
    assert p.moment("2199-12-31T23:59:59+00:00", "litellm", "expires") == datetime(2199, 12, 31, 23, 59, 59, tzinfo=UTC)


@pytest.mark.parametrize("value", [{"a": 1}, [1, 2], "\ud800 lone surrogate"])
def test_text_fields_must_be_text(value: object) -> None:
    _schema_error(lambda: p.text({"model": value}, "model", "openai"), provider="openai", field="model")


def test_text_fields_keep_their_current_forms() -> None:
    assert p.text({"model": "gpt-5.2"}, "model", "openai") == "gpt-5.2"
    assert p.text({"model": None}, "model", "openai") == ""
    assert p.text({}, "model", "openai") == ""
    assert p.text({"project_id": 12}, "project_id", "openai") == "12"


def test_deeply_nested_json_is_a_schema_error_not_a_recursion_error() -> None:
    body = b'{"data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    error = _schema_error(lambda: p.load_json(body, "deepseek", 200), provider="deepseek", field="nested")
    assert error.status == 200
    assert p.load_json(b'{"data": [[[[1]]]]}', "deepseek", 200) == {"data": [[[[1]]]]}
    # brackets inside strings are text, not nesting
    assert p.load_json(b'{"label": "' + b"[" * 10_000 + b'"}', "deepseek", 200)["label"] == "[" * 10_000


def test_enormous_integers_reach_the_field_check_instead_of_failing_in_the_decoder() -> None:
    body = b'{"data": {"usage": ' + b"9" * 5000 + b"}}"
    data = p.load_json(body, "openrouter", 200)["data"]
    _schema_error(lambda: p.dollars(data["usage"], "openrouter", "usage"), provider="openrouter", field="usage")


# --- connectors, one hostile value in a recorded response ---------------------------------------
def _client(routes: dict[str, bytes]) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        for suffix, body in routes.items():
            if request.url.path.endswith(suffix):
                return httpx.Response(200, content=body)
        return httpx.Response(200, content=EMPTY_PAGE)

    return make_client(transport=httpx.MockTransport(handler))


def _fixture(provider: str, name: str) -> Any:
    return json.loads((FIXTURES / provider / name).read_bytes())


def _run(fetch: Any, base: str, routes: dict[str, Any]) -> None:
    encoded = {k: v if isinstance(v, bytes) else json.dumps(v).encode() for k, v in routes.items()}
    with _client(encoded) as client:
        for _page in fetch(client, base, KEY, "acct", {}, CLOCK):
            pass


def test_anthropic_bucket_ending_before_it_starts() -> None:
    body = _fixture("anthropic", "messages.json")
    bucket = body["data"][0]
    bucket["starting_at"], bucket["ending_at"] = bucket["ending_at"], bucket["starting_at"]
    _schema_error(
        lambda: _run(anthropic.fetch, "https://api.anthropic.com", {"/usage_report/messages": body}),
        provider="anthropic",
        field="ending_at",
    )


@pytest.mark.parametrize("end", [253402300799, 2**64, 1.5e9])
def test_openai_bucket_times_out_of_range(end: int | float) -> None:
    body = _fixture("openai", "completions.json")
    body["data"][0]["end_time"] = end
    _schema_error(
        lambda: _run(openai.fetch, "https://api.openai.com/v1", {"/usage/completions": body}),
        provider="openai",
        field="end_time",
    )


def test_openai_tokens_above_two_to_the_53() -> None:
    body = _fixture("openai", "completions.json")
    body["data"][0]["results"][0]["output_tokens"] = MAX_TOKENS + 1
    _schema_error(
        lambda: _run(openai.fetch, "https://api.openai.com/v1", {"/usage/completions": body}),
        provider="openai",
        field="output_tokens",
    )


def test_openrouter_infinite_and_nan_money() -> None:
    for value, field in ((b"Infinity", "limit"), (b"NaN", "limit"), (b"1e400", "limit")):
        raw = (FIXTURES / "openrouter" / "key.json").read_bytes().replace(b'"limit":50', b'"limit":' + value, 1)
        assert raw != (FIXTURES / "openrouter" / "key.json").read_bytes()
        _schema_error(
            lambda raw=raw: _run(openrouter.fetch, "https://openrouter.ai/api/v1", {"/key": raw}),
            provider="openrouter",
            field=field,
        )


def test_litellm_expiry_in_year_9999() -> None:
    body = _fixture("litellm", "key_info.json")
    body["info"]["expires"] = "9999-12-31T23:59:59+00:00"
    _schema_error(
        lambda: _run(litellm.fetch, "https://llm.corp.example", {"/key/info": body}),
        provider="litellm",
        field="expires",
    )


def test_moonshot_balance_of_1e30() -> None:
    body = _fixture("moonshot", "balance.json")
    body["data"]["available_balance"] = 1e30
    _schema_error(
        lambda: _run(moonshot.fetch, "https://api.moonshot.cn/v1", {"/users/me/balance": body}),
        provider="moonshot",
        field="available_balance",
    )


@pytest.mark.parametrize(
    ("fetch", "base", "path", "field"),
    [
        (openai.fetch, "https://api.openai.com/v1", "/usage/completions", "data"),
        (anthropic.fetch, "https://api.anthropic.com", "/usage_report/messages", "data"),
        (openrouter.fetch, "https://openrouter.ai/api/v1", "/key", "data"),
        (litellm.fetch, "https://llm.corp.example", "/key/info", "info"),
        (deepseek.fetch, "https://api.deepseek.com", "/user/balance", "balance_infos"),
        (moonshot.fetch, "https://api.moonshot.cn/v1", "/users/me/balance", "data"),
    ],
)
def test_an_empty_object_is_not_a_successful_answer(fetch: Any, base: str, path: str, field: str) -> None:
    provider = fetch.__module__.rsplit(".", 1)[-1]
    _schema_error(lambda: _run(fetch, base, {path: b"{}"}), provider=provider, field=field)


# --- HTTP layer ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url",
    [
        "https://[::1",
        "https://[::1]:99999",
        "https://host:port",
        "https://exa mple.com",
        "https://example.com/v1?x=1",
        "https://example.com/#frag",
        "https://\x00example.com",
        "https://",
        "",
    ],
)
def test_malformed_base_urls_are_user_input_errors(url: str) -> None:
    with pytest.raises(UserInputError) as info:
        check_base_url(url)
    assert "base URL" in str(info.value)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ({"retry-after": "1e400"}, MAX_RETRY_AFTER_SECONDS),
        ({"retry-after": "9" * 5000}, MAX_RETRY_AFTER_SECONDS),
        ({"retry-after": "Fri, 31 Dec 9999 23:59:59 GMT"}, MAX_RETRY_AFTER_SECONDS),
        ({"retry-after-ms": "1e400"}, MAX_RETRY_AFTER_SECONDS),
        ({"retry-after": "nan"}, None),
        ({"retry-after": "-5"}, 0.0),
        ({"retry-after": "Sat, 01 Jan 10000 00:00:00 GMT"}, None),
    ],
)
def test_retry_after_is_clamped_to_a_day(header: dict[str, str], expected: float | None) -> None:
    assert parse_retry_after(header, datetime(2026, 11, 15, 12, 0, tzinfo=UTC)) == expected


def test_a_rate_limit_with_an_absurd_retry_after_waits_a_day_at_most() -> None:
    def handler(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, content=b"{}", headers={"Retry-After": "1e400"})

    with make_client(transport=httpx.MockTransport(handler)) as client, pytest.raises(RateLimitedError) as info:
        get_json(client, "https://api.example.com/x", provider="demo", headers={})
    assert info.value.retry_after == MAX_RETRY_AFTER_SECONDS == 24 * 3600


@pytest.mark.parametrize(
    "body",
    [
        b'{"error": {"message": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}",
        b'{"error": {"message": {"nested": ["x"]}, "type": ["budget_exceeded"]}}',
        b'{"error": "' + b"x" * 100_000 + b'"}',
    ],
)
def test_hostile_error_bodies_still_map_to_the_status(body: bytes) -> None:
    def handler(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, content=body)

    from tokenwallet.domain.errors import AuthError

    with make_client(transport=httpx.MockTransport(handler)) as client, pytest.raises(AuthError) as info:
        get_json(client, "https://api.example.com/x", provider="demo", headers={})
    assert len(str(info.value)) < 400


# --- found by the fuzz run: sums and differences of in-bound values -------------------------------
def test_anthropic_cache_writes_that_add_up_beyond_two_to_the_53() -> None:
    body = _fixture("anthropic", "messages.json")
    body["data"][0]["results"][0]["cache_creation"] = {
        "ephemeral_5m_input_tokens": MAX_TOKENS,  # each one within bounds
        "ephemeral_1h_input_tokens": 1,
    }
    _schema_error(
        lambda: _run(anthropic.fetch, "https://api.anthropic.com", {"/usage_report/messages": body}),
        provider="anthropic",
        field="cache_creation",
    )


def test_litellm_budget_left_beyond_the_money_bound() -> None:
    body = _fixture("litellm", "key_info.json")
    body["info"]["max_budget"], body["info"]["spend"] = MAX_USD, -1  # each one within bounds
    _schema_error(
        lambda: _run(litellm.fetch, "https://llm.corp.example", {"/key/info": body}),
        provider="litellm",
        field="key.max_budget - spend",
    )


def test_openrouter_credits_left_beyond_the_money_bound() -> None:
    key = _fixture("openrouter", "key.json")
    key["data"]["is_management_key"] = True
    credits = {"data": {"total_credits": -MAX_USD, "total_usage": MAX_USD}}
    _schema_error(
        lambda: _run(openrouter.fetch, "https://openrouter.ai/api/v1", {"/key": key, "/credits": credits}),
        provider="openrouter",
        field="total_credits - total_usage",
    )


def test_anthropic_region_that_sqlite_cannot_store() -> None:
    raw = (FIXTURES / "anthropic" / "messages.json").read_bytes()
    hostile = raw.replace(b'"inference_geo":null', b'"inference_geo":"\\ud800"', 1)
    assert hostile != raw
    _schema_error(
        lambda: _run(anthropic.fetch, "https://api.anthropic.com", {"/usage_report/messages": hostile}),
        provider="anthropic",
        field="inference_geo",
    )
