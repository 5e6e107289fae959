"""What every provider fake is made of: the request it gets, its routes, and shared helpers.

A fake is a :class:`ProviderFake` value: its URL prefix, its demo keys, how it checks a key, the
shape of its error bodies and a table of routes (path below the prefix -> handler).  A handler is
a plain function of (:class:`FakeContext`, :class:`FakeRequest`) returning ``(status, body)``;
it never touches HTTP, so a provider's whole behaviour lives in one module of
``tokenwallet.emulator.providers`` and adding an endpoint is one function plus one table row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from tokenwallet.emulator.scenario import Scenario


class BadRequest(Exception):
    """A request the real API would refuse with HTTP 400; the message becomes the error text."""


@dataclass(frozen=True, slots=True)
class FakeRequest:
    """One GET as a fake sees it: the path below the provider's prefix, the query and the headers."""

    sub: str
    query: dict[str, list[str]]
    headers: Mapping[str, str] = field(default_factory=dict)  # names in lower case

    def header(self, name: str) -> str:
        """A header's value (names are case-insensitive), or ``""``."""
        return self.headers.get(name.lower(), "")

    @property
    def bearer(self) -> str:
        """The token of an ``Authorization: Bearer`` header, or ``""``."""
        auth = self.header("Authorization")
        return auth[7:].strip() if auth.startswith("Bearer ") else ""


@dataclass(frozen=True, slots=True)
class FakeContext:
    """What a handler may read: the scenario, the emulator's 'now', the keys it accepts, the page size."""

    scenario: Scenario
    now: datetime
    keys: Mapping[str, str]
    page_size: int | None = None


Reply = tuple[int, Any]
Handler = Callable[[FakeContext, FakeRequest], Reply]
ErrorBody = Callable[[int, str, str], dict[str, Any]]


def openai_style_error(status: int, etype: str, message: str) -> dict[str, Any]:
    """``{"error": {"message", "type", "param", "code"}}``: OpenAI, LiteLLM and most others."""
    return {"error": {"message": message, "type": etype, "param": None, "code": str(status)}}


def bearer_auth(kind: str) -> Callable[[FakeRequest, Mapping[str, str]], bool]:
    """The usual check: ``Authorization: Bearer <the kind's demo key>``."""

    def check(request: FakeRequest, keys: Mapping[str, str]) -> bool:
        return request.bearer == keys[kind]

    return check


@dataclass(frozen=True, slots=True)
class ProviderFake:
    """One provider's fake API."""

    kind: str
    base_path: str  # the URL prefix, e.g. "/openai/v1"
    keys: Mapping[str, str]  # demo key names -> key text (the kind's own name first)
    routes: Mapping[str, Handler]  # path below base_path -> handler
    authorised: Callable[[FakeRequest, Mapping[str, str]], bool]
    error_body: ErrorBody = openai_style_error
    not_found_type: str = "not_found"
    prefix_routes: Mapping[str, Handler] = field(default_factory=dict)
    """Path prefixes (e.g. ``/keys/``) -> handlers of paths with an id in them (read from ``request.sub``)."""

    def handle(self, context: FakeContext, request: FakeRequest) -> Reply:
        """Answer an authorised request: its route's reply, 404 for an unknown path, 400 for a bad query."""
        handler = self.routes.get(request.sub)
        if handler is None:
            handler = next((h for prefix, h in self.prefix_routes.items() if request.sub.startswith(prefix)), None)
        if handler is None:
            return 404, self.error_body(404, self.not_found_type, f"Unknown path {request.sub}")
        try:
            return handler(context, request)
        except BadRequest as exc:
            return 400, self.error_body(400, "invalid_request_error", str(exc))


# --- query parameters ------------------------------------------------------------------------
def one(query: dict[str, list[str]], name: str, default: str | None = None) -> str:
    """The first value of ``name``; a missing required parameter is a :class:`BadRequest`."""
    values = query.get(name)
    if values:
        return values[0]
    if default is None:
        raise BadRequest(f"missing required parameter {name}")
    return default


def int_param(query: dict[str, list[str]], name: str, default: int, low: int, high: int) -> int:
    """An integer parameter within ``[low, high]``."""
    text = one(query, name, str(default))
    try:
        value = int(text)
    except ValueError:
        raise BadRequest(f"{name} must be an integer") from None
    if not low <= value <= high:
        raise BadRequest(f"{name} must be between {low} and {high}")
    return value


def rfc3339(text: str) -> datetime:
    """An RFC 3339 time parameter (UTC when it has no offset)."""
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"{text!r} is not an RFC 3339 time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# --- values ----------------------------------------------------------------------------------
def money(value: Decimal) -> float:
    """A dollar amount as the JSON float the providers send (shortest repr, exact to 6 places)."""
    return float(value)


def midnight(day: date) -> datetime:
    """00:00 UTC of ``day``."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def iso(value: datetime) -> str:
    """``2026-11-24T00:00:00Z``."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def bucket_pages(
    context: FakeContext, start: datetime, end: datetime | None, limit: int, page: str | None, width: timedelta
) -> tuple[list[datetime], str | None]:
    """The bucket starts one page of a report covers, and the ``next_page`` cursor (None on the last page).

    Buckets are whole UTC days or hours (``width``) from the one holding ``start`` up to the one
    holding ``now`` (or ending at ``end``); the cursor names the next bucket to serve.
    """
    step = int(width.total_seconds())
    first = start
    if page:
        try:
            first = datetime.fromisoformat(page.removeprefix("page_"))
        except ValueError:
            raise BadRequest("page is not a cursor this server issued") from None
        first = first if first.tzinfo else first.replace(tzinfo=UTC)
    last = min(end - timedelta(seconds=1), context.now) if end else context.now
    at, stop = int(first.timestamp()), int(last.timestamp())
    at -= at % step
    size = min(limit, context.page_size or limit)
    starts: list[datetime] = []
    while at <= stop and len(starts) < size:
        starts.append(datetime.fromtimestamp(at, UTC))
        at += step
    return starts, (f"page_{iso(datetime.fromtimestamp(at, UTC))}" if at <= stop else None)


def day_pages(
    context: FakeContext, start: datetime, end: datetime | None, limit: int, page: str | None
) -> tuple[list[date], str | None]:
    """The days one page of a daily report covers, and the ``next_page`` cursor (None on the last page).

    OpenAI and Anthropic page by ``limit`` buckets; the cursor names the next day to serve.
    """
    now = context.now
    first = start.date()
    if page:
        try:
            first = date.fromisoformat(page.removeprefix("page_"))
        except ValueError:
            raise BadRequest("page is not a cursor this server issued") from None
    last = (end - timedelta(seconds=1)).date() if end else now.date()
    last = min(last, now.date())
    size = min(limit, context.page_size or limit)
    days: list[date] = []
    day = first
    while day <= last and len(days) < size:
        days.append(day)
        day += timedelta(days=1)
    return days, (f"page_{day.isoformat()}" if day <= last else None)
