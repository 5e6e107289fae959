"""A real HTTP server on 127.0.0.1 that answers like the provider APIs, with fault injection.

Paths are prefixed with the provider kind: ``/openai/v1/organization/usage/completions``,
``/anthropic/v1/organizations/cost_report``, ``/openrouter/api/v1/key``, ``/litellm/key/info``,
``/deepseek/user/balance``, ``/moonshot/v1/users/me/balance``.  :meth:`RunningEmulator.base_url`
gives the base URL a connector needs for each kind.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tokenwallet.domain.clock import Clock, system_clock
from tokenwallet.emulator.scenario import (
    ANTHROPIC_PRICES,
    ANTHROPIC_TOKEN_TYPES,
    OPENAI_EMBEDDING_MODELS,
    OPENAI_PRICES,
    OPENAI_PROJECT,
    Scenario,
)

KINDS = ("openai", "anthropic", "openrouter", "litellm", "deepseek", "moonshot")
BASE_PATHS = {
    "openai": "/openai/v1",
    "anthropic": "/anthropic",
    "openrouter": "/openrouter/api/v1",
    "litellm": "/litellm",
    "deepseek": "/deepseek",
    "moonshot": "/moonshot/v1",
}
DEMO_KEYS = {
    "openai": "sk-admin-emulator-openai-0001",
    "anthropic": "sk-ant-admin01-emulator-anthropic-0002",
    "openrouter": "sk-or-v1-emulator-openrouter-0003",
    "openrouter-management": "sk-or-v1-emulator-management-0004",
    "litellm": "sk-emulator-litellm-0005",
    "deepseek": "sk-emulator-deepseek-0006",
    "moonshot": "sk-emulator-moonshot-0007",
}
FAULTS = (
    "429",
    "500",
    "502",
    "503",
    "slow",
    "timeout",
    "reset",
    "malformed",
    "truncated",
    "extra_fields",
    "missing_optional",
    "revoked",
)
# Fields the documentation marks optional (or that older servers do not send).
OPTIONAL_FIELDS = frozenset(
    {
        "input_cached_tokens",
        "input_cache_write_tokens",
        "input_uncached_tokens",
        "project_id",
        "api_key_id",
        "user_id",
        "batch",
        "service_tier",
        "line_item",
        "quantity",
        "quantity_unit",
        "context_window",
        "inference_geo",
        "account_id",
        "service_account_id",
        "server_tool_use",
        "expires_at",
        "byok_usage",
        "byok_usage_daily",
        "byok_usage_weekly",
        "byok_usage_monthly",
        "litellm_budget_table",
        "budget_reset_at",
        "expires",
        "granted_balance",
        "topped_up_balance",
        "voucher_balance",
        "cash_balance",
    }
)


@dataclass
class Fault:
    """An injected failure for requests matching ``target`` (a kind or a path prefix)."""

    target: str
    fault: str
    remaining: int | None  # None = every matching request until cleared
    retry_after: int = 2
    delay: float = 0.2


@dataclass(frozen=True, slots=True)
class RequestLogEntry:
    """One request the emulator answered (never with its headers: they carry the key)."""

    kind: str
    method: str
    path: str
    query: str
    status: int
    fault: str = ""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    emulator: RunningEmulator


def _money(value: Decimal) -> float:
    """A dollar amount as the JSON float the providers send (shortest repr, exact to 6 places)."""
    return float(value)


def _day(value: int | float) -> date:
    return datetime.fromtimestamp(value, UTC).date()


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _add_extra(value: Any) -> Any:
    if isinstance(value, dict):
        out = {k: _add_extra(v) for k, v in value.items()}
        out["x_emulator_unknown"] = {"note": "a field this client does not know", "n": [1, 2]}
        return out
    if isinstance(value, list):
        return [_add_extra(v) for v in value]
    return value


def _strip_optional(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_optional(v) for k, v in value.items() if k not in OPTIONAL_FIELDS}
    if isinstance(value, list):
        return [_strip_optional(v) for v in value]
    return value


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes; Nagle would add 40 ms each

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr access log (it would repeat paths in test output)."""

    # --- plumbing -------------------------------------------------------------------------
    def do_GET(self) -> None:
        emu = self.server.emulator
        parts = urlsplit(self.path)
        segments = parts.path.split("/", 2)
        kind = segments[1] if len(segments) > 1 else ""
        if kind not in KINDS:
            self._send(kind, 404, {"error": {"message": "unknown provider path", "type": "not_found"}})
            return
        sub = parts.path[len(BASE_PATHS[kind]) :]
        query = parse_qs(parts.query, keep_blank_values=True)
        fault = emu._take_fault(kind, parts.path)
        self._kind, self._query_text, self._fault = kind, parts.query, fault.fault if fault else ""
        if fault is not None and self._inject(kind, fault):
            return
        if not self._authorised(kind):
            self._send(kind, 401, _error_body(kind, 401, "authentication_error", "Invalid API key provided."))
            return
        try:
            status, body = emu._route(kind, sub, query, self._bearer())
        except _BadRequest as exc:
            status, body = 400, _error_body(kind, 400, "invalid_request_error", str(exc))
        if fault is not None and fault.fault == "extra_fields":
            body = _add_extra(body)
        elif fault is not None and fault.fault == "missing_optional":
            body = _strip_optional(body)
        elif fault is not None and fault.fault == "truncated":
            raw = json.dumps(body).encode()
            self._send_raw(kind, status, raw[: max(1, len(raw) // 2)])
            return
        self._send(kind, status, body)

    def _bearer(self) -> str:
        auth = self.headers.get("Authorization", "")
        return auth[7:].strip() if auth.startswith("Bearer ") else ""

    def _authorised(self, kind: str) -> bool:
        emu = self.server.emulator
        if kind == "anthropic":
            if not self.headers.get("anthropic-version"):
                return False
            return self.headers.get("x-api-key", "") == emu.keys["anthropic"]
        token = self._bearer()
        if kind == "openrouter":
            return token in (emu.keys["openrouter"], emu.keys["openrouter-management"])
        return token == emu.keys[kind]

    def _inject(self, kind: str, fault: Fault) -> bool:
        """Apply ``fault``; True when the response has been dealt with."""
        name = fault.fault
        if name == "429":
            body = _error_body(kind, 429, "rate_limit_error", "Rate limit reached; slow down.")
            self._send(kind, 429, body, {"Retry-After": str(fault.retry_after)})
            return True
        if name in ("500", "502", "503"):
            if name == "502":
                self._send_raw(kind, 502, b"<html><body>502 Bad Gateway</body></html>", "text/html")
            else:
                self._send(kind, int(name), _error_body(kind, int(name), "api_error", "Internal server error."))
            return True
        if name == "revoked":
            self._send(kind, 401, _error_body(kind, 401, "authentication_error", "This API key has been revoked."))
            return True
        if name == "malformed":
            self._send_raw(kind, 200, b"{'data': [this is not json,,}")
            return True
        if name == "slow":
            time.sleep(fault.delay)
            return False
        if name == "timeout":
            time.sleep(fault.delay)
            self._log(kind, 0)
            self.close_connection = True
            return True
        if name == "reset":
            self._log(kind, 0)
            # SO_LINGER with a zero timeout makes close() send a TCP RST instead of a FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            return True
        return False

    def _log(self, kind: str, status: int) -> None:
        parts = urlsplit(self.path)
        self.server.emulator._log(RequestLogEntry(kind, "GET", parts.path, parts.query, status, self._fault))

    def _send(self, kind: str, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self._send_raw(kind, status, json.dumps(body).encode(), "application/json", headers)

    def _send_raw(
        self,
        kind: str,
        status: int,
        raw: bytes,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        self._log(kind, status)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(raw)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(raw)


class _BadRequest(Exception):
    pass


def _error_body(kind: str, status: int, etype: str, message: str) -> dict[str, Any]:
    if kind == "anthropic":
        return {"type": "error", "error": {"type": etype, "message": message}, "request_id": "req_emulator"}
    if kind == "openrouter":
        return {"error": {"code": status, "message": message, "metadata": None}, "user_id": None}
    return {"error": {"message": message, "type": etype, "param": None, "code": str(status)}}


def _one(query: dict[str, list[str]], name: str, default: str | None = None) -> str:
    values = query.get(name)
    if values:
        return values[0]
    if default is None:
        raise _BadRequest(f"missing required parameter {name}")
    return default


def _int(query: dict[str, list[str]], name: str, default: int, low: int, high: int) -> int:
    text = _one(query, name, str(default))
    try:
        value = int(text)
    except ValueError:
        raise _BadRequest(f"{name} must be an integer") from None
    if not low <= value <= high:
        raise _BadRequest(f"{name} must be between {low} and {high}")
    return value


def _rfc3339(text: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _BadRequest(f"{text!r} is not an RFC 3339 time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass
class RunningEmulator:
    """A started emulator: its URLs, demo keys, fault switches and request log."""

    scenario: Scenario
    clock: Clock
    keys: dict[str, str] = field(default_factory=lambda: dict(DEMO_KEYS))
    page_size: int | None = None  # force small pages to exercise pagination
    requests: list[RequestLogEntry] = field(default_factory=list)
    _faults: list[Fault] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: _Server | None = None
    _thread: threading.Thread | None = None

    # --- public API ----------------------------------------------------------------------
    @property
    def root_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def base_url(self, kind: str) -> str:
        """The base URL a connector of ``kind`` takes (e.g. ``.../openai/v1``)."""
        return self.root_url + BASE_PATHS[kind]

    def set_fault(
        self, target: str, fault: str, count: int | None = 1, *, retry_after: int = 2, delay: float | None = None
    ) -> None:
        """Make the next ``count`` requests to ``target`` (a kind, or a path prefix) fail with ``fault``.

        ``count=None`` keeps failing until :meth:`clear_faults`.  ``delay`` is the sleep of ``slow``
        (default 0.2 s) and ``timeout`` (default 3 s, then the connection closes unanswered).
        """
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; choose one of {', '.join(FAULTS)}")
        default_delay = 3.0 if fault == "timeout" else 0.2
        with self._lock:
            self._faults.append(Fault(target, fault, count, retry_after, default_delay if delay is None else delay))

    def clear_faults(self) -> None:
        """Stop injecting faults."""
        with self._lock:
            self._faults.clear()

    def clear_requests(self) -> None:
        """Empty the request log."""
        with self._lock:
            self.requests.clear()

    def stop(self) -> None:
        """Stop serving and wait for the server thread."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None

    def __enter__(self) -> RunningEmulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- internals -----------------------------------------------------------------------
    def _log(self, entry: RequestLogEntry) -> None:
        with self._lock:
            self.requests.append(entry)

    def _take_fault(self, kind: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.target == kind or path.startswith(fault.target) or path.endswith(fault.target):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining <= 0:
                            self._faults.remove(fault)
                    return fault
        return None

    def _route(self, kind: str, sub: str, query: dict[str, list[str]], bearer: str) -> tuple[int, Any]:
        handler: Callable[[str, dict[str, list[str]], str], tuple[int, Any]] = getattr(self, f"_{kind}")
        return handler(sub, query, bearer)

    def _days(
        self, start: datetime, end: datetime | None, limit: int, page: str | None
    ) -> tuple[list[date], str | None]:
        now = self.clock()
        first = start.date()
        if page:
            try:
                first = date.fromisoformat(page.removeprefix("page_"))
            except ValueError:
                raise _BadRequest("page is not a cursor this server issued") from None
        last = (end - timedelta(seconds=1)).date() if end else now.date()
        last = min(last, now.date())
        size = min(limit, self.page_size or limit)
        days: list[date] = []
        day = first
        while day <= last and len(days) < size:
            days.append(day)
            day += timedelta(days=1)
        return days, (f"page_{day.isoformat()}" if day <= last else None)

    def _openai(self, sub: str, query: dict[str, list[str]], _bearer: str) -> tuple[int, Any]:
        now = self.clock()
        start = datetime.fromtimestamp(_int(query, "start_time", -1, 0, 2**40), UTC)
        end_q = query.get("end_time")
        end = datetime.fromtimestamp(int(end_q[0]), UTC) if end_q else None
        if _one(query, "bucket_width", "1d") != "1d":
            raise _BadRequest("this emulator serves bucket_width=1d only")
        high = 180 if sub == "/organization/costs" else 31
        limit = _int(query, "limit", 7, 1, high)
        days, next_page = self._days(start, end, limit, _one(query, "page", "") or None)
        group = query.get("group_by", [])
        buckets = []
        for day in days:
            b_start = max(_midnight(day), start)  # the first bucket starts where the request did
            b_end = _midnight(day) + timedelta(days=1)
            results: list[dict[str, Any]] = []
            dims = {
                "project_id": OPENAI_PROJECT if "project_id" in group else None,
                "user_id": None,
                "api_key_id": None,
            }
            if sub == "/organization/usage/completions":
                for model in OPENAI_PRICES:
                    row = self.scenario.openai_completions(model, day, now)
                    results.append(
                        {
                            "object": "organization.usage.completions.result",
                            **row,
                            **dims,
                            "model": model if "model" in group else None,
                            "batch": None,
                            "service_tier": None,
                        }
                    )
            elif sub == "/organization/usage/embeddings":
                for model in OPENAI_EMBEDDING_MODELS:
                    row = self.scenario.openai_embeddings(model, day, now)
                    results.append(
                        {
                            "object": "organization.usage.embeddings.result",
                            **row,
                            **dims,
                            "model": model if "model" in group else None,
                        }
                    )
            elif sub in (
                "/organization/usage/images",
                "/organization/usage/audio_speeches",
                "/organization/usage/audio_transcriptions",
            ):
                pass  # the demo organization uses none of these: empty buckets, as the API sends them
            elif sub == "/organization/costs":
                amount = self.scenario.openai_cost_usd(day, now)
                results.append(
                    {
                        "object": "organization.costs.result",
                        "amount": {"value": _money(amount), "currency": "usd"},
                        "line_item": None,
                        "project_id": OPENAI_PROJECT if "project_id" in group else None,
                        "api_key_id": None,
                        "quantity": None,
                        "quantity_unit": None,
                    }
                )
            else:
                return 404, _error_body("openai", 404, "invalid_request_error", f"Unknown path {sub}")
            buckets.append(
                {
                    "object": "bucket",
                    "start_time": int(b_start.timestamp()),
                    "end_time": int(b_end.timestamp()),
                    "results": results,
                }
            )
        return 200, {"object": "page", "data": buckets, "has_more": next_page is not None, "next_page": next_page}

    def _anthropic(self, sub: str, query: dict[str, list[str]], _bearer: str) -> tuple[int, Any]:
        now = self.clock()
        if sub == "/v1/organizations/usage_report/claude_code":
            return self._claude_code(query, now)
        start = _rfc3339(_one(query, "starting_at"))
        end_text = _one(query, "ending_at", "")
        end = _rfc3339(end_text) if end_text else None
        if _one(query, "bucket_width", "1d") != "1d":
            raise _BadRequest("this emulator serves bucket_width=1d only")
        limit = _int(query, "limit", 7, 1, 31)
        days, next_page = self._days(start, end, limit, _one(query, "page", "") or None)
        group = query.get("group_by[]", [])
        buckets = []
        for day in days:
            results: list[dict[str, Any]] = []
            if sub == "/v1/organizations/usage_report/messages":
                for model in ANTHROPIC_PRICES:
                    t = self.scenario.anthropic_messages(model, day, now)
                    results.append(
                        {
                            "uncached_input_tokens": t["uncached_input_tokens"],
                            "cache_creation": {
                                "ephemeral_5m_input_tokens": t["cache_creation.ephemeral_5m_input_tokens"],
                                "ephemeral_1h_input_tokens": t["cache_creation.ephemeral_1h_input_tokens"],
                            },
                            "cache_read_input_tokens": t["cache_read_input_tokens"],
                            "output_tokens": t["output_tokens"],
                            "server_tool_use": {"web_search_requests": 0},
                            "model": model if "model" in group else None,
                            "api_key_id": None,
                            "workspace_id": None,
                            "service_tier": None,
                            "context_window": None,
                            "inference_geo": None,
                            "account_id": None,
                            "service_account_id": None,
                        }
                    )
            elif sub == "/v1/organizations/cost_report":
                for model in ANTHROPIC_PRICES:
                    for token_type in ANTHROPIC_TOKEN_TYPES:
                        cents = self.scenario.anthropic_cost_cents(model, token_type, day, now)
                        described = "description" in group
                        results.append(
                            {
                                "amount": format(cents.normalize(), "f") if cents else "0",
                                "currency": "USD",
                                "cost_type": "tokens" if described else None,
                                "description": f"{model} usage - {token_type}" if described else None,
                                "model": model if described else None,
                                "service_tier": "standard" if described else None,
                                "token_type": token_type if described else None,
                                "context_window": None,
                                "inference_geo": None,
                                "workspace_id": None,
                            }
                        )
            else:
                return 404, _error_body("anthropic", 404, "not_found_error", f"Unknown path {sub}")
            buckets.append(
                {
                    "starting_at": _iso(_midnight(day)),
                    "ending_at": _iso(_midnight(day) + timedelta(days=1)),
                    "results": results,
                }
            )
        return 200, {"data": buckets, "has_more": next_page is not None, "next_page": next_page}

    def _claude_code(self, query: dict[str, list[str]], now: datetime) -> tuple[int, Any]:
        try:
            day = date.fromisoformat(_one(query, "starting_at"))
        except ValueError:
            raise _BadRequest("starting_at must be a UTC date YYYY-MM-DD") from None
        _int(query, "limit", 20, 1, 1000)
        rows = []
        for customer, who in (("subscription", "alice@corp.example"), ("api", "ci-bot")):
            t = self.scenario.claude_code_tokens(customer, day, now)
            actor = (
                {"type": "user_actor", "email_address": who}
                if customer == "subscription"
                else {"type": "api_actor", "api_key_name": who}
            )
            cents = self.scenario.claude_code_cents(customer, day, now)
            rows.append(
                {
                    "date": day.isoformat(),
                    "organization_id": "org-emulator",
                    "actor": actor,
                    "customer_type": customer,
                    "subscription_type": "team" if customer == "subscription" else None,
                    "terminal_type": "vscode",
                    "core_metrics": {
                        "num_sessions": 3,
                        "lines_of_code": {"added": 120, "removed": 30},
                        "commits_by_claude_code": 2,
                        "pull_requests_by_claude_code": 1,
                    },
                    "tool_actions": {"edit_tool": {"accepted": 10, "rejected": 1}},
                    "model_breakdown": [
                        {
                            "model": "claude-sonnet-4-6",
                            "tokens": t,
                            "estimated_cost": {"amount": float(cents), "currency": "USD"},
                        }
                    ],
                }
            )
        return 200, {"data": rows, "has_more": False, "next_page": None}

    def _openrouter(self, sub: str, _query: dict[str, list[str]], bearer: str) -> tuple[int, Any]:
        now = self.clock()
        management = bearer == self.keys["openrouter-management"]
        if sub == "/key":
            sc = self.scenario
            today = now.date()
            monthly = sc.spend_between("openrouter", today.replace(day=1), now)
            weekly = sc.spend_between("openrouter", today - timedelta(days=today.weekday()), now)
            daily = sc.daily_gateway_spend("openrouter", today, now)
            total = monthly + Decimal("162.5")
            return 200, {
                "data": {
                    "label": "sk-or-v1-emu...0003",
                    "limit": _money(sc.openrouter_limit_usd),
                    "limit_remaining": _money(max(Decimal(0), sc.openrouter_limit_usd - monthly)),
                    "limit_reset": "monthly",
                    "usage": _money(total),
                    "usage_daily": _money(daily),
                    "usage_weekly": _money(weekly),
                    "usage_monthly": _money(monthly),
                    "byok_usage": 0,
                    "byok_usage_daily": 0,
                    "byok_usage_weekly": 0,
                    "byok_usage_monthly": 0,
                    "include_byok_in_limit": False,
                    "is_free_tier": False,
                    "is_management_key": management,
                    "is_provisioning_key": management,
                    "creator_user_id": "user_emulator",
                    "expires_at": _iso(datetime(today.year + 1, 1, 31, 23, 59, 59, tzinfo=UTC)),
                    "rate_limit": {"requests": -1, "interval": "10s", "note": "This field is deprecated."},
                }
            }
        if sub == "/credits":
            if not management:
                return 403, _error_body("openrouter", 403, "forbidden", "Management key required")
            used = self.scenario.spend_between("openrouter", now.date().replace(day=1), now) + Decimal("162.5")
            return 200, {
                "data": {
                    "total_credits": _money(self.scenario.openrouter_credits_usd + Decimal(200)),
                    "total_usage": _money(used),
                }
            }
        return 404, _error_body("openrouter", 404, "not_found", f"Unknown path {sub}")

    def _litellm(self, sub: str, query: dict[str, list[str]], _bearer: str) -> tuple[int, Any]:
        now = self.clock()
        sc = self.scenario
        month_start = now.date().replace(day=1)
        next_month = (month_start + timedelta(days=32)).replace(day=1)
        reset = _iso(_midnight(next_month)).replace("Z", "+00:00")
        key_spend = sc.spend_between("litellm", month_start, now)
        if sub == "/key/info":
            return 200, {
                "key": "sk-...0005",
                "info": {
                    "key_name": "sk-...0005",
                    "key_alias": "emulator-laptop",
                    "spend": _money(key_spend),
                    "max_budget": _money(sc.litellm_key_budget_usd),
                    "budget_duration": "30d",
                    "budget_reset_at": reset,
                    "expires": _iso(datetime(now.year + 1, 3, 31, 23, 59, 59, tzinfo=UTC)),
                    "models": ["claude-sonnet-4-6", "gpt-5.2"],
                    "user_id": "alice@corp.example",
                    "team_id": "team-platform",
                    "soft_budget_cooldown": False,
                    "blocked": None,
                    "litellm_budget_table": {
                        "budget_id": "eng-default",
                        "soft_budget": _money(sc.litellm_key_soft_budget_usd),
                        "max_budget": _money(sc.litellm_key_budget_usd),
                        "budget_duration": "30d",
                    },
                    "model_spend": {},
                    "metadata": {},
                    "created_at": "2026-09-02T08:11:40Z",
                },
            }
        if sub == "/user/info":
            user = _one(query, "user_id")
            return 200, {
                "user_id": user,
                "user_info": {
                    "user_id": user,
                    "max_budget": _money(sc.litellm_user_budget_usd),
                    "spend": _money(key_spend * 2),
                    "budget_duration": "30d",
                    "budget_reset_at": reset,
                    "models": [],
                },
                "keys": [],
                "teams": [],
            }
        if sub == "/team/info":
            team = _one(query, "team_id")
            return 200, {
                "team_id": team,
                "team_info": {
                    "team_id": team,
                    "team_alias": "Platform",
                    "max_budget": _money(sc.litellm_team_budget_usd),
                    "spend": _money(key_spend * 3),
                    "budget_duration": "30d",
                    "budget_reset_at": reset,
                },
            }
        return 404, {"error": {"message": f"Unknown path {sub}", "type": "not_found", "param": None, "code": "404"}}

    def _deepseek(self, sub: str, _query: dict[str, list[str]], _bearer: str) -> tuple[int, Any]:
        if sub != "/user/balance":
            return 404, _error_body("deepseek", 404, "not_found", f"Unknown path {sub}")
        left = self.scenario.balance("deepseek", self.scenario.deepseek_topped_up_usd, self.clock())
        return 200, {
            "is_available": left > 0,
            "balance_infos": [
                {
                    "currency": "USD",
                    "total_balance": f"{left:.2f}",
                    "granted_balance": "0.00",
                    "topped_up_balance": f"{left:.2f}",
                }
            ],
        }

    def _moonshot(self, sub: str, _query: dict[str, list[str]], _bearer: str) -> tuple[int, Any]:
        if sub != "/users/me/balance":
            return 404, _error_body("moonshot", 404, "not_found", f"Unknown path {sub}")
        left = self.scenario.balance("moonshot", self.scenario.moonshot_topped_up, self.clock())
        value = _money(left.quantize(Decimal("0.01")))
        return 200, {
            "code": 0,
            "data": {"available_balance": value, "voucher_balance": 0.0, "cash_balance": value},
            "scode": "0x0",
            "status": True,
        }


def start_emulator(
    scenario: Scenario | None = None, clock: Clock | None = None, *, host: str = "127.0.0.1", port: int = 0
) -> RunningEmulator:
    """Start serving on ``host`` (loopback only) and a free port; call ``.stop()`` when done."""
    if host not in ("127.0.0.1", "::1", "localhost"):
        raise ValueError("the emulator only listens on a loopback address")
    emulator = RunningEmulator(scenario=scenario or Scenario(), clock=clock or system_clock)
    server = _Server((host, port), _Handler)
    server.emulator = emulator
    emulator._server = server
    emulator._thread = threading.Thread(
        target=server.serve_forever, args=(0.05,), name="tokenwallet-emulator", daemon=True
    )
    emulator._thread.start()
    return emulator
