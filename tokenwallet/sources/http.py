"""The shared HTTP client and the mapping of HTTP failures into the domain error tree.

One ``httpx.Client`` serves every connector: explicit timeouts, TLS always verified, a
``User-Agent``, and plain ``http://`` only to a loopback address (a gateway or the emulator on
this machine).  Error messages name the provider and the status, never the key.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from tokenwallet import __version__
from tokenwallet.domain.errors import (
    AuthError,
    BudgetExceededError,
    KeyExpiredError,
    ProviderSchemaError,
    ProviderUnavailableError,
    RateLimitedError,
    SourceError,
    UserInputError,
)
from tokenwallet.sources._parse import items, load_json

USER_AGENT = f"tokenwallet/{__version__} (+https://github.com/tokenwallet/tokenwallet)"
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


def make_client(
    timeout: httpx.Timeout = DEFAULT_TIMEOUT, *, transport: httpx.BaseTransport | None = None
) -> httpx.Client:
    """The client every connector shares; thread-safe per httpx, closed by its owner."""
    return httpx.Client(
        timeout=timeout,
        verify=True,
        follow_redirects=False,  # a redirect could carry the key to another host
        headers={"User-Agent": USER_AGENT},
        transport=transport or httpx.HTTPTransport(retries=2, verify=True),  # retries connects only
    )


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback IP addresses."""
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_base_url(url: str) -> str:
    """Validate a base URL (https anywhere, http only to loopback); returns it without a trailing slash.

    Anything that is not a plain absolute URL of a host (a broken IPv6 address, a bad port,
    spaces or control characters, a query or fragment that paths could not be appended to) is
    a :class:`UserInputError`, never a parser exception.
    """
    cleaned = url.strip()
    usable = f"{url!r} is not a usable base URL; give one like https://llm.example.com"
    if not cleaned or any(ch.isspace() or not ch.isprintable() for ch in cleaned):
        raise UserInputError(usable)
    try:
        parts = urlsplit(cleaned)
        parts.port  # noqa: B018  (reading it validates the port)
        httpx.URL(cleaned)  # what the client will send: IDNA host names, label lengths, ...
    except (ValueError, httpx.InvalidURL):
        raise UserInputError(usable) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UserInputError(usable)
    if parts.query or parts.fragment or "?" in cleaned or "#" in cleaned:
        raise UserInputError(f"{url!r} is not a usable base URL: it must not have a query (?) or a fragment (#)")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise UserInputError(
            f"{url!r} uses plain http to a remote host, which would send the key unencrypted; use https "
            "(plain http is only allowed to localhost)"
        )
    if parts.username or parts.password:
        raise UserInputError("the base URL must not contain a user name or password")
    return cleaned.rstrip("/")


MAX_RETRY_AFTER_SECONDS = 24 * 3600
"""The longest wait a provider's Retry-After can impose; anything later is read as one day."""


def _wait(seconds: float) -> float | None:
    """A Retry-After in seconds: negative is 0, more than a day is a day, NaN is no advice at all."""
    if math.isnan(seconds):
        return None
    return min(max(0.0, seconds), float(MAX_RETRY_AFTER_SECONDS))


def parse_retry_after(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (seconds or an HTTP date), at most a day."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return _wait(float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return _wait(float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError):  # a year past 9999 cannot even be represented
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return _wait((when - (now or datetime.now(UTC))).total_seconds())


def _error_body(response: httpx.Response) -> tuple[str, str]:
    """(error type, message) from the common error body shapes; empty strings when absent or not text."""
    try:
        body = load_json(response.content, "", response.status_code)
    except ProviderSchemaError:
        return "", ""
    err = body.get("error") if isinstance(body, dict) else None
    if isinstance(err, dict):
        etype, message = err.get("type"), err.get("message")
        return (etype if isinstance(etype, str) else ""), (message if isinstance(message, str) else "")
    if isinstance(err, str):
        return "", err
    if isinstance(body, dict) and isinstance(body.get("detail"), str):
        return "", str(body["detail"])
    return "", ""


def _tried(response: httpx.Response) -> str:
    """`` at https://host/path`` of the request (no query: it can hold ids), or '' when unknown."""
    try:
        url = response.request.url
    except RuntimeError:  # a response made without a request (tests)
        return ""
    return f" at {url.scheme}://{url.netloc.decode('ascii', 'replace')}{url.path}"


def raise_for_status(response: httpx.Response, provider: str) -> None:
    """Map a non-2xx response into the domain error tree."""
    status = response.status_code
    if 200 <= status < 300:
        return
    etype, message = _error_body(response)
    from tokenwallet.logging_setup import scrub

    detail = f": {scrub(message)[:200].rstrip('.')}" if message else ""
    tried = _tried(response)
    if etype == "budget_exceeded":
        raise BudgetExceededError(f"{provider}: the budget is used up{detail}", provider=provider, status=status)
    if etype == "expired_key":
        raise KeyExpiredError(
            f"{provider}: the key has expired{tried}; ask for a new one and enter it in this account (edit the "
            "account: adding it again would count its usage twice)",
            provider=provider,
            status=status,
        )
    if status in (401, 403):
        raise AuthError(
            f"{provider} refused the key (HTTP {status}){tried}{detail}. Check that it is the right kind of key "
            "and has not been revoked.",
            provider=provider,
            status=status,
        )
    if status == 429:
        retry = parse_retry_after(response.headers)
        after = f"; retry in {retry:g} s" if retry is not None else ""
        raise RateLimitedError(f"{provider} is rate limiting requests{after}", provider=provider, retry_after=retry)
    if status >= 500 or status == 408:
        raise ProviderUnavailableError(f"{provider} is unavailable (HTTP {status})", provider=provider, status=status)
    raise SourceError(f"{provider} answered HTTP {status}{detail}", provider=provider, status=status)


def get_json(
    client: httpx.Client,
    url: str,
    *,
    provider: str,
    headers: Mapping[str, str],
    params: Any = None,
) -> dict[str, Any]:
    """GET ``url`` and return its JSON object, mapping every failure into a :class:`SourceError`."""
    parts = urlsplit(url)
    if parts.scheme != "https" and not (parts.scheme == "http" and is_loopback(parts.hostname or "")):
        raise UserInputError(f"{provider}: refusing to send a key over plain http to {parts.hostname}")
    try:
        response = client.get(url, headers=dict(headers), params=params)
    except httpx.TimeoutException as exc:
        raise ProviderUnavailableError(
            f"{provider} did not answer in time ({type(exc).__name__})", provider=provider
        ) from None
    except httpx.TransportError as exc:
        raise ProviderUnavailableError(
            f"{provider} could not be reached ({type(exc).__name__})", provider=provider
        ) from None
    except httpx.DecodingError:  # a Content-Encoding the body does not match
        raise ProviderSchemaError(
            f"{provider} sent a body that could not be decoded", provider=provider, status=None
        ) from None
    except httpx.RequestError as exc:
        raise ProviderUnavailableError(
            f"{provider} could not be reached ({type(exc).__name__})", provider=provider
        ) from None
    except (httpx.InvalidURL, UnicodeError):
        raise SourceError(
            f"{provider}: the request could not be built; the account's base URL or key holds characters "
            "that cannot be sent (edit the account: give a plain URL and key)",
            provider=provider,
        ) from None
    raise_for_status(response, provider)
    body = load_json(response.content, provider, response.status_code)
    if not isinstance(body, dict):
        raise ProviderSchemaError(
            f"{provider} sent JSON that is not an object (HTTP {response.status_code})",
            provider=provider,
            status=response.status_code,
        )
    return body


def schema_error(provider: str, what: str, status: int | None = 200) -> ProviderSchemaError:
    """A schema error naming the provider, the status and what was wrong."""
    return ProviderSchemaError(
        f"{provider} sent an unexpected body (HTTP {status}): {what}", provider=provider, status=status
    )


MAX_PAGES = 1000
MAX_CURSOR = 4096  # characters of a next_page token sent back in the query string


def _is_cursor(page: str) -> bool:
    """A page token that can go back in a URL: printable text of a sane length."""
    return 0 < len(page) <= MAX_CURSOR and page.isprintable()


def paged_data(
    client: httpx.Client,
    url: str,
    *,
    provider: str,
    headers: Mapping[str, str],
    params: list[tuple[str, str | int]],
) -> Iterator[tuple[list[Any], bool]]:
    """Yield ``(data, is_last)`` for every page of an endpoint paginated by ``has_more``/``next_page``.

    OpenAI's and Anthropic's admin reports share this scheme: the ``next_page`` token goes back
    as the ``page`` parameter.
    """
    page: str | None = None
    for _ in range(MAX_PAGES):  # a server that never stops paginating must not hang the poll
        query = list(params) + ([("page", page)] if page else [])
        body = get_json(client, url, provider=provider, headers=headers, params=query)
        data = items(body.get("data"), provider, "data", required=True)  # `{}` is not an empty report
        page = body.get("next_page") if body.get("has_more") else None
        if page is not None and not (isinstance(page, str) and _is_cursor(page)):
            raise schema_error(provider, "next_page is not a page cursor")
        yield data, page is None
        if page is None:
            return
    raise schema_error(provider, f"more than {MAX_PAGES} pages")
