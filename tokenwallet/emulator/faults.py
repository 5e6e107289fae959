"""Injected failures: what each fault name does to a request or to a fake's answer.

Three families, applied by the server in this order:

* connection faults (``slow``, ``timeout``, ``reset``) act on the socket;
* status faults (``429``, ``5xx``, ``revoked``, ``403`` and ``404`` -- an endpoint this key may not
  use or this server does not have, e.g. a gateway's history --, ``malformed``, ``empty_object``,
  the ``retry_after_*`` ones) answer instead of the fake;
* body faults (``truncated``, ``extra_fields``, ``missing_optional``, ``huge_numbers``,
  ``non_finite``, ``deep_nesting``) rewrite the fake's own answer, so every provider gets a
  hostile variant of its real shape.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tokenwallet.emulator.fake import ErrorBody

FAULTS = (
    "403",
    "404",
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
    "empty_object",
    "huge_numbers",
    "non_finite",
    "deep_nesting",
    "retry_after_huge",
    "retry_after_far_date",
)
CONNECTION_FAULTS = frozenset({"slow", "timeout", "reset"})

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
HUGE_INT = 2**64 + 1  # above every signed 64-bit integer
HUGE_MONEY = 1e30  # dollars far beyond any real balance
DEEP_NESTING = 100_000  # levels of nested arrays; Python's own JSON parser gives up near 1,000
FAR_HTTP_DATE = "Fri, 31 Dec 9999 23:59:59 GMT"  # the last second an HTTP date can name


@dataclass
class Fault:
    """An injected failure for requests matching ``target`` (a kind or a path prefix)."""

    target: str
    fault: str
    remaining: int | None  # None = every matching request until cleared
    retry_after: int = 2
    delay: float = 0.2


@dataclass(frozen=True, slots=True)
class Reply:
    """What the server writes: status, raw body, content type and extra headers."""

    status: int
    body: bytes
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()


def json_reply(status: int, body: Any, headers: tuple[tuple[str, str], ...] = ()) -> Reply:
    """``body`` serialised as JSON (non-finite floats written as ``NaN``/``Infinity``, as Python does)."""
    return Reply(status, json.dumps(body).encode(), headers=headers)


def instead_of_fake(fault: Fault, error_body: ErrorBody) -> Reply | None:
    """The answer a status fault gives in place of the fake's; None for other faults."""
    name = fault.fault
    if name == "429":
        body = error_body(429, "rate_limit_error", "Rate limit reached; slow down.")
        return json_reply(429, body, (("Retry-After", str(fault.retry_after)),))
    if name in ("retry_after_huge", "retry_after_far_date"):
        value = "1e400" if name == "retry_after_huge" else FAR_HTTP_DATE
        return json_reply(429, error_body(429, "rate_limit_error", "Rate limit reached."), (("Retry-After", value),))
    if name == "502":
        return Reply(502, b"<html><body>502 Bad Gateway</body></html>", "text/html")
    if name in ("500", "503"):
        return json_reply(int(name), error_body(int(name), "api_error", "Internal server error."))
    if name == "403":
        return json_reply(403, error_body(403, "permission_error", "This key may not use this endpoint."))
    if name == "404":
        return json_reply(404, error_body(404, "not_found_error", "Not found."))
    if name == "revoked":
        return json_reply(401, error_body(401, "authentication_error", "This API key has been revoked."))
    if name == "malformed":
        return Reply(200, b"{'data': [this is not json,,}")
    if name == "empty_object":
        return Reply(200, b"{}")
    return None


def rewrite(fault: Fault, reply: Reply, body: Any) -> Reply:
    """The fake's answer ``body`` (already serialised in ``reply``) rewritten by a body fault."""
    name = fault.fault
    if name == "extra_fields":
        return json_reply(reply.status, add_extra(body), reply.headers)
    if name == "missing_optional":
        return json_reply(reply.status, strip_optional(body), reply.headers)
    if name == "truncated":
        return Reply(reply.status, reply.body[: max(1, len(reply.body) // 2)], reply.content_type, reply.headers)
    if name == "huge_numbers":
        huge = map_numbers(body, lambda v: HUGE_INT if isinstance(v, int) else HUGE_MONEY)
        return json_reply(reply.status, huge, reply.headers)
    if name == "non_finite":
        odd = map_numbers(body, lambda v: float("nan") if isinstance(v, int) else float("inf"))
        return json_reply(reply.status, odd, reply.headers)
    if name == "deep_nesting" and reply.body.endswith(b"}") and len(reply.body) > 2:
        nested = b"[" * DEEP_NESTING + b"]" * DEEP_NESTING
        return Reply(reply.status, reply.body[:-1] + b', "x_emulator_nested": ' + nested + b"}", headers=reply.headers)
    return reply


def add_extra(value: Any) -> Any:
    """Every object gains a field no client knows."""
    if isinstance(value, dict):
        out = {k: add_extra(v) for k, v in value.items()}
        out["x_emulator_unknown"] = {"note": "a field this client does not know", "n": [1, 2]}
        return out
    if isinstance(value, list):
        return [add_extra(v) for v in value]
    return value


def strip_optional(value: Any) -> Any:
    """Every field in :data:`OPTIONAL_FIELDS` is left out."""
    if isinstance(value, dict):
        return {k: strip_optional(v) for k, v in value.items() if k not in OPTIONAL_FIELDS}
    if isinstance(value, list):
        return [strip_optional(v) for v in value]
    return value


def _is_number_text(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def map_numbers(value: Any, change: Any) -> Any:
    """Every number (and every string holding a number, like DeepSeek's balances) replaced by ``change(n)``.

    Booleans stay booleans; a numeric string becomes the changed number's text.
    """
    if isinstance(value, dict):
        return {k: map_numbers(v, change) for k, v in value.items()}
    if isinstance(value, list):
        return [map_numbers(v, change) for v in value]
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return change(value)
    if isinstance(value, str) and _is_number_text(value):
        return str(change(float(value)))
    return value
