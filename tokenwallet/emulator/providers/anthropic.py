"""The Anthropic fake: Admin API messages usage, cost report (cents as strings), Claude Code report."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import Any

from tokenwallet.emulator.fake import (
    BadRequest,
    FakeContext,
    FakeRequest,
    Handler,
    ProviderFake,
    Reply,
    day_pages,
    int_param,
    iso,
    midnight,
    one,
    rfc3339,
)
from tokenwallet.emulator.scenario import ANTHROPIC_PRICES, ANTHROPIC_TOKEN_TYPES

KIND = "anthropic"

Results = Callable[[FakeContext, date, list[str]], list[dict[str, Any]]]


def error_body(status: int, etype: str, message: str) -> dict[str, Any]:
    """Anthropic's error shape: ``{"type": "error", "error": {...}, "request_id": ...}``."""
    return {"type": "error", "error": {"type": etype, "message": message}, "request_id": "req_emulator"}


def authorised(request: FakeRequest, keys: Mapping[str, str]) -> bool:
    """``x-api-key`` with the admin key, and an ``anthropic-version`` header."""
    return bool(request.header("anthropic-version")) and request.header("x-api-key") == keys[KIND]


def _messages(context: FakeContext, day: date, group: list[str]) -> list[dict[str, Any]]:
    results = []
    for model in ANTHROPIC_PRICES:
        t = context.scenario.anthropic_messages(model, day, context.now)
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
    return results


def _costs(context: FakeContext, day: date, group: list[str]) -> list[dict[str, Any]]:
    described = "description" in group
    results = []
    for model in ANTHROPIC_PRICES:
        for token_type in ANTHROPIC_TOKEN_TYPES:
            cents = context.scenario.anthropic_cost_cents(model, token_type, day, context.now)
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
    return results


def _report(results: Results) -> Handler:
    """A daily report paged by ``limit`` buckets (messages usage and the cost report share this)."""

    def handle(context: FakeContext, request: FakeRequest) -> Reply:
        query = request.query
        start = rfc3339(one(query, "starting_at"))
        end_text = one(query, "ending_at", "")
        end = rfc3339(end_text) if end_text else None
        if one(query, "bucket_width", "1d") != "1d":
            raise BadRequest("this emulator serves bucket_width=1d only")
        limit = int_param(query, "limit", 7, 1, 31)
        days, next_page = day_pages(context, start, end, limit, one(query, "page", "") or None)
        group = query.get("group_by[]", [])
        buckets = [
            {
                "starting_at": iso(midnight(day)),
                "ending_at": iso(midnight(day) + timedelta(days=1)),
                "results": results(context, day, group),
            }
            for day in days
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
    for customer, who in (("subscription", "alice@corp.example"), ("api", "ci-bot")):
        t = context.scenario.claude_code_tokens(customer, day, context.now)
        actor = (
            {"type": "user_actor", "email_address": who}
            if customer == "subscription"
            else {"type": "api_actor", "api_key_name": who}
        )
        cents = context.scenario.claude_code_cents(customer, day, context.now)
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
        "/v1/organizations/usage_report/messages": _report(_messages),
        "/v1/organizations/cost_report": _report(_costs),
        "/v1/organizations/usage_report/claude_code": _claude_code,
    },
    authorised=authorised,
    error_body=error_body,
    not_found_type="not_found_error",
)
