"""The Anthropic fake: Admin API messages usage, cost report (cents as strings), Claude Code report.

The organisation's usage belongs to the scenario's members.  The messages report takes
``api_key_ids[]`` and ``workspace_ids[]`` filters, ``group_by[]`` of ``model``, ``workspace_id`` and
``api_key_id``, and ``bucket_width`` ``1d`` (up to 31 buckets) or ``1h`` (up to 168).  The cost
report has daily buckets only, groups by ``workspace_id`` and ``description`` and takes no filter
(a request with one is refused, as the documentation lists none).  The Claude Code report has a
row per member's login and one for an api key.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from tokenwallet.emulator.fake import (
    BadRequest,
    FakeContext,
    FakeRequest,
    Handler,
    ProviderFake,
    Reply,
    bucket_pages,
    int_param,
    iso,
    midnight,
    one,
    rfc3339,
)
from tokenwallet.emulator.scenario import ANTHROPIC_PRICES, ANTHROPIC_TOKEN_TYPES, Member

KIND = "anthropic"
WIDTHS = {"1d": timedelta(days=1), "1h": timedelta(hours=1)}
MESSAGE_LIMITS = {"1d": 31, "1h": 168}
COST_LIMITS = {"1d": 31}
MESSAGE_GROUPS = frozenset(
    {"api_key_id", "workspace_id", "model", "service_tier", "context_window", "inference_geo", "account_id"}
)
COST_GROUPS = frozenset({"workspace_id", "description"})
MESSAGE_FILTERS = frozenset({"api_key_ids[]", "workspace_ids[]", "models[]"})

# (context, bucket start, bucket end, members, group_by[] values) -> the results of one bucket
Results = Callable[[FakeContext, datetime, datetime, list[Member], list[str]], list[dict[str, Any]]]


def error_body(status: int, etype: str, message: str) -> dict[str, Any]:
    """Anthropic's error shape: ``{"type": "error", "error": {...}, "request_id": ...}``."""
    return {"type": "error", "error": {"type": etype, "message": message}, "request_id": "req_emulator"}


def authorised(request: FakeRequest, keys: Mapping[str, str]) -> bool:
    """``x-api-key`` with the admin key, and an ``anthropic-version`` header."""
    return bool(request.header("anthropic-version")) and request.header("x-api-key") == keys[KIND]


def members(context: FakeContext, query: dict[str, list[str]]) -> list[Member]:
    """The members the ``api_key_ids[]`` and ``workspace_ids[]`` filters keep."""
    keys, spaces = query.get("api_key_ids[]", []), query.get("workspace_ids[]", [])
    return [
        m
        for m in context.scenario.members
        if (not keys or m.anthropic_api_key_id in keys) and (not spaces or m.anthropic_workspace_id in spaces)
    ]


def _messages(
    context: FakeContext, start: datetime, end: datetime, chosen: list[Member], group: list[str]
) -> list[dict[str, Any]]:
    sc, day = context.scenario, start.date()
    b = min(end, context.now, midnight(day) + timedelta(days=1))
    found: dict[tuple[Any, ...], dict[str, Any]] = {}
    for model in ANTHROPIC_PRICES:
        for m in chosen:
            t = sc.between(partial(sc.anthropic_messages, model, day, member=m), start, b)
            dims = {
                "model": model if "model" in group else None,
                "api_key_id": m.anthropic_api_key_id if "api_key_id" in group else None,
                "workspace_id": m.anthropic_workspace_id if "workspace_id" in group else None,
            }
            key = (dims["model"], dims["api_key_id"], dims["workspace_id"])
            row = found.setdefault(
                key,
                {
                    "uncached_input_tokens": 0,
                    "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
                    "cache_read_input_tokens": 0,
                    "output_tokens": 0,
                    "server_tool_use": {"web_search_requests": 0},
                    **dims,
                    "service_tier": None,
                    "context_window": None,
                    "inference_geo": None,
                    "account_id": None,
                    "service_account_id": None,
                },
            )
            row["uncached_input_tokens"] += t["uncached_input_tokens"]
            row["cache_creation"]["ephemeral_5m_input_tokens"] += t["cache_creation.ephemeral_5m_input_tokens"]
            row["cache_creation"]["ephemeral_1h_input_tokens"] += t["cache_creation.ephemeral_1h_input_tokens"]
            row["cache_read_input_tokens"] += t["cache_read_input_tokens"]
            row["output_tokens"] += t["output_tokens"]
    return list(found.values())


def _costs(
    context: FakeContext, start: datetime, _end: datetime, chosen: list[Member], group: list[str]
) -> list[dict[str, Any]]:
    described, by_space = "description" in group, "workspace_id" in group
    day = start.date()
    amounts: dict[tuple[str | None, str | None, str | None], Decimal] = {}
    for m in chosen:
        space = m.anthropic_workspace_id if by_space else None
        for model in ANTHROPIC_PRICES:
            for token_type in ANTHROPIC_TOKEN_TYPES:
                cents = context.scenario.anthropic_cost_cents(model, token_type, day, context.now, m)
                key = (space, model if described else None, token_type if described else None)
                amounts[key] = amounts.get(key, Decimal(0)) + cents
    return [
        {
            "amount": format(cents.normalize(), "f") if cents else "0",
            "currency": "USD",
            "cost_type": "tokens" if described else None,
            "description": f"{model} usage - {token_type}" if described else None,
            "model": model,
            "service_tier": "standard" if described else None,
            "token_type": token_type,
            "context_window": None,
            "inference_geo": None,
            "workspace_id": space,
        }
        for (space, model, token_type), cents in amounts.items()
    ]


def _report(results: Results, limits: dict[str, int], groups: frozenset[str], filters: frozenset[str]) -> Handler:
    """A report paged by ``limit`` buckets (messages usage and the cost report share this)."""

    def handle(context: FakeContext, request: FakeRequest) -> Reply:
        query = request.query
        unknown = {k for k in query if k.endswith("[]") and k != "group_by[]"} - filters
        if unknown:
            raise BadRequest(f"unknown parameter {sorted(unknown)[0]}")
        start = rfc3339(one(query, "starting_at"))
        end_text = one(query, "ending_at", "")
        end = rfc3339(end_text) if end_text else None
        width_name = one(query, "bucket_width", "1d")
        if width_name not in limits:
            raise BadRequest(f"bucket_width must be one of {', '.join(limits)}")
        width = WIDTHS[width_name]
        limit = int_param(query, "limit", 7 if width_name == "1d" else 24, 1, limits[width_name])
        group = query.get("group_by[]", [])
        if not set(group) <= groups:
            raise BadRequest(f"group_by[] must be among {', '.join(sorted(groups))}")
        chosen = members(context, query)
        starts, next_page = bucket_pages(context, start, end, limit, one(query, "page", "") or None, width)
        buckets = [
            {
                "starting_at": iso(at),  # buckets are snapped to the start of the hour or day
                "ending_at": iso(at + width),
                "results": results(context, at, at + width, chosen, group),
            }
            for at in starts
        ]
        return 200, {"data": buckets, "has_more": next_page is not None, "next_page": next_page}

    return handle


def _claude_code(context: FakeContext, request: FakeRequest) -> Reply:
    """One day of the Claude Code report: a subscription user and an API key."""
    try:
        day = date.fromisoformat(one(request.query, "starting_at"))
    except ValueError:
        raise BadRequest("starting_at must be a UTC date YYYY-MM-DD") from None
    int_param(request.query, "limit", 20, 1, 1000)
    rows = []
    people = [("subscription", m.email, m) for m in context.scenario.members]
    for customer, who, member in (*people, ("api", "ci-bot", context.scenario.members[0])):
        t = context.scenario.claude_code_tokens(customer, day, context.now, member)
        actor = (
            {"type": "user_actor", "email_address": who}
            if customer == "subscription"
            else {"type": "api_actor", "api_key_name": who}
        )
        cents = context.scenario.claude_code_cents(customer, day, context.now, member)
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


FAKE = ProviderFake(
    kind=KIND,
    base_path="/anthropic",
    keys={"anthropic": "sk-ant-admin01-emulator-anthropic-0002"},
    routes={
        "/v1/organizations/usage_report/messages": _report(_messages, MESSAGE_LIMITS, MESSAGE_GROUPS, MESSAGE_FILTERS),
        "/v1/organizations/cost_report": _report(_costs, COST_LIMITS, COST_GROUPS, frozenset()),
        "/v1/organizations/usage_report/claude_code": _claude_code,
    },
    authorised=authorised,
    error_body=error_body,
    not_found_type="not_found_error",
)
