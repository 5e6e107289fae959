"""Fuzz targets for the API connectors: real-shaped responses, mutated.

Every target starts from real shapes (the recorded responses in ``tests/fixtures/providers`` and
the emulator's fakes), applies a few mutations (dropped fields, wrong types, huge, negative and
non-finite numbers, strings for numbers, times out of range, swapped fields, deep nesting, cut or
garbled bytes) and runs the connector's whole fetch over an in-process client that serves the
mutated body for one endpoint and real bodies for the others.  What comes back must be storable:
every count, amount and time within ``tokenwallet.domain.limits``, buckets that end after they
start, text SQLite can store.  A violated invariant raises ``AssertionError`` (a crash).
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from hypothesis import strategies as st
from msgspec.structs import fields

from tests.fuzz import FuzzTarget
from tokenwallet.domain.clock import FixedClock
from tokenwallet.domain.errors import RateLimitedError
from tokenwallet.domain.limits import MAX_MICROS, MAX_TOKENS, in_time_range
from tokenwallet.domain.usage import BalanceSnapshot, UsageRecord
from tokenwallet.emulator import DEMO_KEYS, Scenario
from tokenwallet.emulator.fake import FakeContext, FakeRequest
from tokenwallet.emulator.providers import FAKES
from tokenwallet.secrets import ApiKey
from tokenwallet.sources import anthropic, deepseek, litellm, moonshot, openai, openrouter
from tokenwallet.sources.base import Fetch, Page
from tokenwallet.sources.http import MAX_RETRY_AFTER_SECONDS, check_base_url, get_json, is_loopback

FIXTURES = Path(__file__).parent.parent / "fixtures" / "providers"
NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
CLOCK = FixedClock(NOW)
KEY = ApiKey("sk-fuzz-test-key-0000")
EMPTY_PAGE = b'{"object":"page","data":[],"has_more":false,"next_page":null}'


# --- real shapes --------------------------------------------------------------------------------
def _fixture(provider: str, name: str) -> Any:
    return json.loads((FIXTURES / provider / name).read_bytes())


def _fake(kind: str, sub: str, query: dict[str, list[str]] | None = None, key: str | None = None) -> Any:
    """What the emulator's fake answers (two days per page, so seeds stay small)."""
    fake = FAKES[kind]
    context = FakeContext(scenario=Scenario(), now=NOW, keys=DEMO_KEYS, page_size=2)
    headers = {"authorization": f"Bearer {DEMO_KEYS[key or kind]}"}
    status, body = fake.handle(context, FakeRequest(sub=sub, query=query or {}, headers=headers))
    assert status == 200, (kind, sub, body)
    return body


_LITELLM_ACTIVITY_Q = {"start_date": ["2026-11-23"], "end_date": ["2026-11-25"], "page_size": ["1000"]}
_OPENAI_Q = {"start_time": ["1763769600"], "group_by": ["model", "project_id"], "limit": ["31"]}
_OPENAI_COST_Q = {"start_time": ["1763769600"], "group_by": ["project_id"], "limit": ["31"]}
_OPENAI_HOURLY_Q = {**_OPENAI_Q, "bucket_width": ["1h"], "start_time": ["1764028800"], "limit": ["168"]}
_ANTHROPIC_Q = {"starting_at": ["2026-11-22T00:00:00Z"], "group_by[]": ["model", "workspace_id"], "limit": ["31"]}
_ANTHROPIC_HOURLY_Q = {
    **_ANTHROPIC_Q,
    "starting_at": ["2026-11-25T00:00:00Z"],
    "bucket_width": ["1h"],
    "limit": ["168"],
}
_ANTHROPIC_COST_Q = {"starting_at": ["2026-11-22T00:00:00Z"], "group_by[]": ["description"], "limit": ["31"]}


# --- hostile values -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Raw:
    """A JSON fragment written verbatim (numbers Python would not write, nesting it could not)."""

    text: str


def _nested(depth: int) -> Raw:
    return Raw("[" * depth + "]" * depth)


_NUMBERS = st.one_of(
    st.integers(),
    st.sampled_from([0, -1, 1, 2**31, 2**53, 2**53 + 1, 2**63 - 1, 2**63, 2**64 + 1, -(2**63) - 1, 10**30]),
    st.floats(),
    st.sampled_from([1e30, -1e30, 1e308, -1e308, 1.5, -0.0, 5e-324, 0.1, 1e12, 1e12 + 1]),
)
_EPOCHS = st.sampled_from(
    [-62135596800, -1, 0, 253402300799, 253402300800, 7258118399, 7258118400, 1763942400, 1764028800]
)
_TIMES = st.one_of(
    st.sampled_from(
        [
            "0001-01-01T00:00:00Z",
            "0001-01-01T00:00:00+01:00",
            "9999-12-31T23:59:59Z",
            "9999-12-31T23:59:59-05:00",
            "2199-12-31T23:59:59Z",
            "2200-01-01T00:00:00Z",
            "1969-12-31T23:59:59Z",
            "1970-01-01T00:00:00Z",
            "2026-11-24",
            "2026-11-24T00:00:00",
            "2026-13-45T00:00:00Z",
            "yesterday",
            "",
            " ",
        ]
    ),
    st.datetimes().map(lambda d: d.isoformat()),
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
)
_NUMERIC_TEXT = st.one_of(
    st.sampled_from(
        ["NaN", "Infinity", "-inf", "sNaN", "1e30", "1e999999999", "-1e-999999999", "0x10", "1_000", "  12.5 ", "١٢٣"]
    ),
    st.decimals().map(str),
    st.integers().map(str),
    st.floats().map(repr),
)
_TEXT = st.one_of(st.text(max_size=30), st.sampled_from(["\ud800", "a\x00b", "x" * 10_000, "sk-or-v1-" + "a" * 40]))
_RAW = st.one_of(
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "9" * 5000, "-" + "9" * 5000, "1E+999"]).map(
        Raw
    ),
    st.sampled_from([2, 63, 64, 65, 1000, 100_000]).map(_nested),
)
_SCALARS = st.one_of(st.none(), st.booleans(), _NUMBERS, _TEXT)
_CONTAINERS = st.one_of(
    st.lists(_SCALARS, max_size=3), st.dictionaries(st.text(max_size=8), _SCALARS, max_size=3), st.just({})
)
HOSTILE = st.one_of(st.none(), st.booleans(), _NUMBERS, _EPOCHS, _TIMES, _NUMERIC_TEXT, _TEXT, _RAW, _CONTAINERS)
"""Any one value a hostile or broken server could put in a field."""


# --- mutation -----------------------------------------------------------------------------------
# Every draw below uses a fixed strategy (an index into a list): building strategies per draw
# made hypothesis re-validate them each time and cost more than the parsing being tested.
JsonPath = tuple[Any, ...]


def _positions(value: Any, prefix: JsonPath = ()) -> Iterator[tuple[JsonPath, bool]]:
    """Every path in ``value`` with whether it is a leaf (not an object or a list)."""
    if isinstance(value, dict):
        yield prefix, False
        for key, child in value.items():
            yield from _positions(child, (*prefix, key))
    elif isinstance(value, list):
        yield prefix, False
        for index, child in enumerate(value):
            yield from _positions(child, (*prefix, index))
    else:
        yield prefix, True


def _get(value: Any, path: JsonPath) -> Any:
    for step in path:
        value = value[step]
    return value


def _set(root: Any, path: JsonPath, new: Any) -> Any:
    if not path:
        return new
    _get(root, path[:-1])[path[-1]] = new
    return root


def _pick(draw: st.DrawFn, options: list[Any]) -> Any:
    return options[draw(st.integers(0, len(options) - 1))]


_BOUNDARY = [2**53, 2**53 + 1, 2**63 - 1, 2**63, 2**64 + 1, -1, -(2**63), 10**12, 10**12 + 1, 10**14, 1e30, -1e30]
_EXTREMES = [2**53, 2**53 - 1, 10**12, -(10**12), 10**14, -(10**14), 0, -1, 1, "1000000000000", "-1000000000000"]
"""Values just inside the bounds: harmless alone, but sums and differences of them may not be."""
_OPS = ["tweak"] * 4 + ["replace"] * 2 + ["drop", "swap", "nest", "duplicate", "extremes"]
_DEPTHS = [2, 64, 65, 1000, 100_000]
_GARBLES = ["none"] * 30 + ["cut", "byte", "empty", "bom"]  # mostly valid JSON
_BAD_BYTES = [b"\xff", b"\x00", b"\xc3", b'"', b"]"]


def _tweak(draw: st.DrawFn, value: Any) -> Any:
    """A mutation that keeps a value close to its real shape (so the parser gets as far as the field)."""
    way = draw(st.integers(0, 3))
    if way == 0 or value is None:
        return draw(HOSTILE)
    if isinstance(value, bool):
        return _pick(draw, [int(value), str(value).lower()])
    if isinstance(value, int | float):
        if way == 1:
            return _pick(
                draw, [-value, value * 10**12, value * 2**64, value + 0.5, str(value), math.nan, math.inf, [value]]
            )
        boundary = _pick(draw, _BOUNDARY)
        return boundary if way == 2 else str(boundary)
    if isinstance(value, str):
        if way == 1:
            return _pick(draw, [value + "x", value[: len(value) // 2], " " + value, value * 3, [value], 0])
        return draw(_TIMES if value[:2] in ("19", "20") else _NUMERIC_TEXT)
    return _pick(draw, [{}, [], encode(value).decode(), [value], {"data": value}])


def _mutate(draw: st.DrawFn, value: Any) -> Any:
    """``value`` with one mutation at a drawn place (mostly a field, sometimes a container)."""
    positions = list(_positions(value))
    leaves = [path for path, leaf in positions if leaf]
    pool = leaves if leaves and draw(st.integers(0, 3)) else [path for path, _ in positions]
    path = _pick(draw, pool)
    op = _pick(draw, _OPS)
    current = _get(value, path)
    if op == "extremes":  # every number next to this field goes to an extreme that is still in bounds
        parent = _get(value, path[:-1]) if path else value
        if isinstance(parent, dict):
            for key, child in parent.items():
                if isinstance(child, int | float | str) and not isinstance(child, bool) and _numeric(child):
                    parent[key] = _pick(draw, _EXTREMES)
    elif op == "drop" and path:
        del _get(value, path[:-1])[path[-1]]
    elif op == "swap" and path:
        other = _pick(draw, positions)[0]
        if other and other[: len(path)] != path and path[: len(other)] != other:
            theirs = _get(value, other)
            value = _set(value, other, current)
            value = _set(value, path, theirs)
    elif op == "nest":
        value = _set(value, path, _nested(_pick(draw, _DEPTHS)))
    elif op == "duplicate" and path and isinstance(_get(value, path[:-1]), list):
        _get(value, path[:-1]).insert(path[-1], copy.deepcopy(current))
    elif op == "tweak":
        value = _set(value, path, _tweak(draw, current))
    else:
        value = _set(value, path, draw(HOSTILE))
    return value


@st.composite
def mutated_json(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """One seed (JSON text) with one to three mutations, serialised; sometimes cut or garbled as bytes."""
    value = json.loads(_pick(draw, seeds))  # a private copy
    for _ in range(draw(st.integers(1, 3))):
        value = _mutate(draw, value)
    raw = encode(value)
    garble = _pick(draw, _GARBLES)
    if garble == "cut":
        return raw[: draw(st.integers(0, max(0, len(raw) - 1)))]
    if garble == "byte":
        at = draw(st.integers(0, len(raw)))
        return raw[:at] + _pick(draw, _BAD_BYTES) + raw[at:]
    if garble == "empty":
        return b""
    if garble == "bom":
        return b"\xef\xbb\xbf" + raw
    return raw


def _numeric(value: int | float | str) -> bool:
    if not isinstance(value, str):
        return True
    try:
        float(value)
    except ValueError:
        return False
    return True


def encode(value: Any) -> bytes:
    """JSON text of ``value`` with every :class:`Raw` fragment written verbatim (ASCII, NaN allowed)."""
    fragments: list[str] = []

    def mark(v: Any) -> Any:
        if isinstance(v, Raw):
            fragments.append(v.text)
            return f"\x00raw{len(fragments) - 1}\x00"
        if isinstance(v, dict):
            return {k: mark(x) for k, x in v.items()}
        if isinstance(v, list):
            return [mark(x) for x in v]
        return v

    text = json.dumps(mark(value))
    for index, fragment in enumerate(fragments):
        text = text.replace(json.dumps(f"\x00raw{index}\x00"), fragment, 1)
    return text.encode("ascii")


# --- an in-process client -----------------------------------------------------------------------
class _Client:
    """Serves the hostile body once for ``target`` and real bodies elsewhere (enough of httpx.Client)."""

    def __init__(self, target: str, reply: tuple[int, dict[str, bytes], bytes], routes: dict[str, bytes]) -> None:
        self.target, self.reply, self.routes, self.served = target, reply, routes, False

    def get(self, url: str, *, headers: Any = None, params: Any = None) -> httpx.Response:
        path = urlsplit(url).path
        if path.endswith(self.target) and not self.served:
            self.served = True  # a next page of the same endpoint is empty, so a loop ends
            status, extra, body = self.reply
            return httpx.Response(status, content=body, headers=list(extra.items()))
        for suffix, body in self.routes.items():
            if path.endswith(suffix) and not path.endswith(self.target):
                return httpx.Response(200, content=body)
        return httpx.Response(200, content=EMPTY_PAGE)


# --- what a parsed value may hold ---------------------------------------------------------------
def _storable_text(value: object, what: str) -> None:
    assert isinstance(value, str), f"{what} is {type(value).__name__}, not text"
    value.encode("utf-8")  # raises UnicodeEncodeError (a crash) for text SQLite cannot store


def _storable_extra(value: object, what: str, depth: int = 0) -> None:
    assert depth < 8, f"{what} nests too deeply"
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, int):
        assert -MAX_MICROS <= value <= MAX_MICROS, f"{what}={value} is out of bounds"
    elif isinstance(value, float):
        assert math.isfinite(value), f"{what}={value} is not finite"
    elif isinstance(value, str):
        _storable_text(value, what)
    elif isinstance(value, dict):
        for key, item in value.items():
            _storable_text(key, f"{what} key")
            _storable_extra(item, f"{what}.{key}", depth + 1)
    else:
        raise AssertionError(f"{what} holds a {type(value).__name__}")


def check_storable(item: UsageRecord | BalanceSnapshot) -> None:
    """Every field within the documented bounds, so the ledger and every later reader can use it."""
    for f in fields(item):
        value = getattr(item, f.name)
        what = f"{type(item).__name__}.{f.name}"
        if f.name.endswith("_tokens") or f.name == "requests":
            assert isinstance(value, int) and 0 <= value <= MAX_TOKENS, f"{what}={value!r}"
        elif f.name.endswith("_micros"):
            assert value is None or (isinstance(value, int) and -MAX_MICROS <= value <= MAX_MICROS), f"{what}={value!r}"
        elif isinstance(value, datetime):
            assert value.tzinfo is not None and in_time_range(value), f"{what}={value!r}"
        elif f.name == "extra":
            _storable_extra(value, what)
        elif isinstance(value, str):
            _storable_text(value, what)
    if isinstance(item, UsageRecord):
        assert item.bucket_end > item.bucket_start, f"bucket ends before it starts: {item!r}"


def _collect(fetch: Fetch, base: str, client: _Client) -> list[Page]:
    pages = list(fetch(client, base, KEY, "acct", {}, CLOCK))  # type: ignore[arg-type]
    for page in pages:
        for item in (*page.records, *page.snapshots):
            check_storable(item)
        json.dumps(page.cursor, allow_nan=False)
    return pages


def _connector(fetch: Fetch, base: str, target: str, seeds: list[Any], routes: dict[str, Any]) -> FuzzTarget:
    encoded = {
        suffix: body if isinstance(body, bytes) else json.dumps(body).encode() for suffix, body in routes.items()
    }

    def run(body: bytes) -> object:
        return _collect(fetch, base, _Client(target, (200, {}, body), encoded))

    return FuzzTarget(strategy=mutated_json([json.dumps(seed).encode() for seed in seeds]), run=run)


def _run_litellm_activity(body: bytes) -> object:
    client = _Client("/user/daily/activity", (200, {}, body), {})
    first, last = datetime(2026, 11, 23, tzinfo=UTC).date(), NOW.date()
    headers = {"Authorization": "Bearer x"}
    rows = litellm._activity(client, "https://llm.corp.example", headers, KEY, "acct", first, last)  # type: ignore[arg-type]
    for row in rows:
        check_storable(row)
    return rows


# --- the shared HTTP layer ----------------------------------------------------------------------
_HEADER_VALUES = st.one_of(
    st.sampled_from(
        [
            "1e400",
            "-1e400",
            "nan",
            "inf",
            "9" * 5000,
            "-5",
            "0",
            "12",
            "1.5",
            "Fri, 31 Dec 9999 23:59:59 GMT",
            "Sat, 01 Jan 10000 00:00:00 GMT",
            "Mon, 01 Jan 0001 00:00:00 GMT",
            "Sun, 15 Nov 2026 12:01:00 GMT",
            "Sun, 15 Nov 2026 12:01:00 +9999",
            "soon",
            "",
        ]
    ),
    st.text(max_size=40),
)
_ERROR_SEEDS: list[Any] = [
    {"error": {"message": "Rate limit reached", "type": "rate_limit_error", "param": None, "code": "429"}},
    {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}, "request_id": "req_1"},
    {"error": {"code": 402, "message": "Insufficient credits", "metadata": None}, "user_id": None},
    _fixture("litellm", "budget_exceeded.json"),
    {"error": {"message": "Authentication Error - Expired Key.", "type": "expired_key", "param": None, "code": "401"}},
    {"detail": "Not found"},
    {"error": "plain text error"},
]


_ERROR_BODIES = mutated_json([json.dumps(seed).encode() for seed in _ERROR_SEEDS])
_STATUSES = [200, 204, 301, 400, 401, 402, 403, 404, 408, 409, 413, 429, 500, 502, 503, 529]
_RETRY_HEADERS = st.sets(st.sampled_from(["retry-after", "retry-after-ms", "content-type"]))


@st.composite
def _error_responses(draw: st.DrawFn) -> tuple[int, dict[str, bytes], bytes]:
    status = _pick(draw, _STATUSES)
    headers = {name: draw(_HEADER_VALUES).encode("utf-8", "surrogatepass") for name in draw(_RETRY_HEADERS)}
    return status, headers, draw(_ERROR_BODIES)


def _run_error(reply: tuple[int, dict[str, bytes], bytes]) -> object:
    client = _Client("/x", reply, {})
    try:
        return get_json(client, "https://api.example.com/x", provider="fuzz", headers={})  # type: ignore[arg-type]
    except RateLimitedError as exc:
        wait = exc.retry_after
        assert wait is None or 0 <= wait <= MAX_RETRY_AFTER_SECONDS, f"retry_after={wait!r}"
        raise


_URL_PARTS = st.tuples(
    st.sampled_from(["https://", "http://", "HTTPS://", "ftp://", "", "https:/", "https:///"]),
    st.one_of(
        st.sampled_from(
            [
                "[::1",
                "[::1]",
                "[::1]]",
                "::1",
                "localhost",
                "127.0.0.1",
                "127.0.0.1.",
                "example.com",
                "exa mple.com",
                "xn--",
                "xn--zz",
                "a" * 300,
                "[fe80::1%25eth0]",
                "u:p@example.com",
                "@",
                "",
                "ex\x00ample.com",
                "bücher.example",
                "\u2488.com",
            ]
        ),
        st.text(max_size=20),
    ),
    st.sampled_from(["", ":0", ":443", ":65535", ":65536", ":99999", ":-1", ":port", ":"]),
    st.one_of(st.sampled_from(["", "/", "/v1", "/v1/", "/v1?x=1", "#frag", "/%zz", "/\ud800"]), st.text(max_size=10)),
)


def _run_base_url(url: str) -> object:
    checked = check_base_url(url)
    parts = urlsplit(checked)
    assert parts.scheme == "https" or (parts.scheme == "http" and is_loopback(parts.hostname or "")), checked
    httpx.URL(checked + "/key")  # the client can build every request from it
    return checked


# --- the targets --------------------------------------------------------------------------------
def _targets() -> dict[str, FuzzTarget]:
    oa = "https://api.openai.com/v1"
    an = "https://api.anthropic.com"
    an_routes = {
        "/usage_report/messages": _fixture("anthropic", "messages.json"),
        "/cost_report": _fixture("anthropic", "cost_report.json"),
    }
    management_key = _fake("openrouter", "/key", key="openrouter-management")
    key_info = _fixture("litellm", "key_info.json")
    team_key_info = _fake("litellm", "/key/info")  # names its user and team, so both are read
    activity = _fake("litellm", "/user/daily/activity", _LITELLM_ACTIVITY_Q)
    return {
        "openai.completions": _connector(
            openai.fetch,
            oa,
            "/usage/completions",
            [
                _fixture("openai", "completions.json"),
                _fixture("openai", "completions_2025.json"),
                _fake("openai", "/organization/usage/completions", _OPENAI_Q),
                _fake("openai", "/organization/usage/completions", _OPENAI_HOURLY_Q),
            ],
            {},
        ),
        "openai.embeddings": _connector(
            openai.fetch, oa, "/usage/embeddings", [_fake("openai", "/organization/usage/embeddings", _OPENAI_Q)], {}
        ),
        "openai.costs": _connector(
            openai.fetch,
            oa,
            "/organization/costs",
            [_fixture("openai", "costs.json"), _fake("openai", "/organization/costs", _OPENAI_COST_Q)],
            {},
        ),
        "anthropic.messages": _connector(
            anthropic.fetch,
            an,
            "/usage_report/messages",
            [
                _fixture("anthropic", "messages.json"),
                _fake("anthropic", "/v1/organizations/usage_report/messages", _ANTHROPIC_Q),
                _fake("anthropic", "/v1/organizations/usage_report/messages", _ANTHROPIC_HOURLY_Q),
            ],
            an_routes,
        ),
        "anthropic.cost_report": _connector(
            anthropic.fetch,
            an,
            "/cost_report",
            [
                _fixture("anthropic", "cost_report.json"),
                _fake("anthropic", "/v1/organizations/cost_report", _ANTHROPIC_COST_Q),
            ],
            an_routes,
        ),
        "anthropic.claude_code": _connector(
            anthropic.fetch,
            an,
            "/usage_report/claude_code",
            [_fake("anthropic", "/v1/organizations/usage_report/claude_code", {"starting_at": ["2026-11-24"]})],
            an_routes,
        ),
        "openrouter.key": _connector(
            openrouter.fetch,
            "https://openrouter.ai/api/v1",
            "/key",
            [_fixture("openrouter", "key.json"), _fake("openrouter", "/key"), management_key],
            {"/credits": _fake("openrouter", "/credits", key="openrouter-management")},
        ),
        "openrouter.activity": _connector(
            openrouter.fetch,
            "https://openrouter.ai/api/v1",
            "/activity",
            [_fake("openrouter", "/activity", key="openrouter-management")],
            {
                "/key": management_key,
                "/credits": _fake("openrouter", "/credits", key="openrouter-management"),
            },
        ),
        "openrouter.credits": _connector(
            openrouter.fetch,
            "https://openrouter.ai/api/v1",
            "/credits",
            [_fake("openrouter", "/credits", key="openrouter-management")],
            {"/key": management_key},
        ),
        "litellm.key_info": _connector(
            litellm.fetch,
            "https://llm.corp.example",
            "/key/info",
            [key_info, team_key_info],
            {
                "/user/info": _fake("litellm", "/user/info", {"user_id": ["alice@corp.example"]}),
                "/team/info": _fake("litellm", "/team/info", {"team_id": ["team-platform"]}),
                "/user/daily/activity": activity,
            },
        ),
        # The whole fetch falls back to the key's counter when the history is unreadable, so the
        # history's own reader is the target here: readable rows or a domain error.
        "litellm.daily_activity": FuzzTarget(
            strategy=mutated_json([json.dumps(activity).encode()]), run=_run_litellm_activity
        ),
        "litellm.user_info": _connector(
            litellm.fetch,
            "https://llm.corp.example",
            "/user/info",
            [_fake("litellm", "/user/info", {"user_id": ["alice@corp.example"]})],
            {"/key/info": team_key_info},
        ),
        "litellm.team_info": _connector(
            litellm.fetch,
            "https://llm.corp.example",
            "/team/info",
            [_fake("litellm", "/team/info", {"team_id": ["team-platform"]})],
            {"/key/info": team_key_info},
        ),
        "deepseek.balance": _connector(
            deepseek.fetch,
            "https://api.deepseek.com",
            "/user/balance",
            [_fixture("deepseek", "balance.json"), _fake("deepseek", "/user/balance")],
            {},
        ),
        "moonshot.balance": _connector(
            moonshot.fetch,
            "https://api.moonshot.cn/v1",
            "/users/me/balance",
            [_fixture("moonshot", "balance.json"), _fake("moonshot", "/users/me/balance")],
            {},
        ),
        "http.error_response": FuzzTarget(strategy=_error_responses(), run=_run_error),
        "http.base_url": FuzzTarget(
            strategy=st.one_of(_URL_PARTS.map("".join), st.text(max_size=40)), run=_run_base_url
        ),
    }


TARGETS: dict[str, FuzzTarget] = _targets()
