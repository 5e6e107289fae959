"""The shared HTTP layer: URL rules, Retry-After and status mapping (no network: MockTransport)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from tokenwallet.domain.errors import (
    AuthError,
    BudgetExceededError,
    KeyExpiredError,
    ProviderSchemaError,
    ProviderUnavailableError,
    RateLimitedError,
    UserInputError,
)
from tokenwallet.sources.http import USER_AGENT, check_base_url, get_json, make_client, parse_retry_after

SECRET = "sk-verysecret-abcdefgh1234"


@pytest.mark.parametrize(
    "url", ["https://api.openai.com/v1/", "http://127.0.0.1:4000", "http://localhost:8080/v1", "http://[::1]:9"]
)
def test_allowed_base_urls(url: str) -> None:
    assert not check_base_url(url).endswith("/")


@pytest.mark.parametrize("url", ["http://llm.example.com", "ftp://x", "notaurl", "https://u:p@host"])
def test_refused_base_urls(url: str) -> None:
    with pytest.raises(UserInputError):
        check_base_url(url)


def test_retry_after_forms() -> None:
    now = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
    assert parse_retry_after({"retry-after": "7"}) == 7
    assert parse_retry_after({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert parse_retry_after({"retry-after": "Sun, 15 Nov 2026 12:01:00 GMT"}, now) == 60
    assert parse_retry_after({}) is None and parse_retry_after({"retry-after": "soon"}) is None


def _client(status: int, body: bytes, headers: dict[str, str] | None = None) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["user-agent"] == USER_AGENT
        return httpx.Response(status, content=body, headers=headers or {})

    return make_client(transport=httpx.MockTransport(handler))


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (401, b'{"error":{"message":"bad key ' + SECRET.encode() + b'"}}', AuthError),
        (403, b"{}", AuthError),
        (500, b"oops", ProviderUnavailableError),
        (503, b"{}", ProviderUnavailableError),
        (200, b"{not json", ProviderSchemaError),
        (200, b"[1, 2]", ProviderSchemaError),
        (
            400,
            b'{"error":{"message":"Budget has been exceeded!","type":"budget_exceeded","code":"400"}}',
            BudgetExceededError,
        ),
        (401, b'{"error":{"message":"Expired Key","type":"expired_key","code":"401"}}', KeyExpiredError),
    ],
)
def test_status_mapping_never_leaks_the_key(status: int, body: bytes, error: type[Exception]) -> None:
    with _client(status, body) as client, pytest.raises(error) as info:
        get_json(client, "https://api.example.com/x", provider="demo", headers={"Authorization": f"Bearer {SECRET}"})
    assert SECRET not in str(info.value) and "demo" in str(info.value)


def test_rate_limit_carries_retry_after() -> None:
    with _client(429, b"{}", {"Retry-After": "12"}) as client, pytest.raises(RateLimitedError) as info:
        get_json(client, "https://api.example.com/x", provider="demo", headers={})
    assert info.value.retry_after == 12 and info.value.kind == "rate_limited"


def test_plain_http_to_remote_host_is_refused_before_sending() -> None:
    with _client(200, b"{}") as client, pytest.raises(UserInputError):
        get_json(client, "http://api.example.com/x", provider="demo", headers={})
