"""The LiteLLM gateway fake: the key's, its user's and its team's budgets (``/key/info`` and friends), and
the per-day spend history ``/user/daily/activity``.

The key spends the scenario's daily gateway dollars (split over two models); its user has a second
key that spends as much again, so the user's figures are twice the key's.  ``/user/daily/activity``
answers for the key when ``api_key`` is the key's hashed token (SHA-256 hex), for the user without it.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from tokenwallet.emulator.fake import (
    BadRequest,
    FakeContext,
    FakeRequest,
    ProviderFake,
    Reply,
    bearer_auth,
    int_param,
    iso,
    midnight,
    money,
    one,
)

KIND = "litellm"
OTHER_KEY_HASH = "b" * 64
"""The hashed token of the user's other key (on another machine)."""


def hashed(key: str) -> str:
    """LiteLLM's hashed token of a virtual key (what ``api_key`` filters take)."""
    return hashlib.sha256(key.encode()).hexdigest()


def _month(context: FakeContext) -> tuple[Decimal, str]:
    """The key's spend this month and the budget reset (next month's first midnight, with an offset)."""
    month_start = context.now.date().replace(day=1)
    next_month = (month_start + timedelta(days=32)).replace(day=1)
    reset = iso(midnight(next_month)).replace("Z", "+00:00")
    return context.scenario.spend_between(KIND, month_start, context.now), reset


def _key_info(context: FakeContext, _request: FakeRequest) -> Reply:
    sc, now = context.scenario, context.now
    key_spend, reset = _month(context)
    return 200, {
        "key": "sk-...0005",
        "info": {
            "key_name": "sk-...0005",
            "key_alias": "emulator-laptop",
            "spend": money(key_spend),
            "max_budget": money(sc.litellm_key_budget_usd),
            "budget_duration": "30d",
            "budget_reset_at": reset,
            "expires": iso(datetime(now.year + 1, 3, 31, 23, 59, 59, tzinfo=UTC)),
            "models": ["claude-sonnet-4-6", "gpt-5.2"],
            "user_id": "alice@corp.example",
            "team_id": "team-platform",
            "soft_budget_cooldown": False,
            "blocked": None,
            "litellm_budget_table": {
                "budget_id": "eng-default",
                "soft_budget": money(sc.litellm_key_soft_budget_usd),
                "max_budget": money(sc.litellm_key_budget_usd),
                "budget_duration": "30d",
            },
            "model_spend": {},
            "metadata": {},
            "created_at": "2026-09-02T08:11:40Z",
        },
    }


def _user_info(context: FakeContext, request: FakeRequest) -> Reply:
    user = one(request.query, "user_id")
    key_spend, reset = _month(context)
    return 200, {
        "user_id": user,
        "user_info": {
            "user_id": user,
            "max_budget": money(context.scenario.litellm_user_budget_usd),
            "spend": money(key_spend * 2),
            "budget_duration": "30d",
            "budget_reset_at": reset,
            "models": [],
        },
        "keys": [],
        "teams": [],
    }


def _team_info(context: FakeContext, request: FakeRequest) -> Reply:
    team = one(request.query, "team_id")
    key_spend, reset = _month(context)
    return 200, {
        "team_id": team,
        "team_info": {
            "team_id": team,
            "team_alias": "Platform",
            "max_budget": money(context.scenario.litellm_team_budget_usd),
            "spend": money(key_spend * 3),
            "budget_duration": "30d",
            "budget_reset_at": reset,
        },
    }


def _date(query: dict[str, list[str]], name: str) -> date:
    try:
        return date.fromisoformat(one(query, name))
    except ValueError:
        raise BadRequest(f"{name} must be a date YYYY-MM-DD") from None


def _day_result(context: FakeContext, day: date, keys: list[str]) -> dict[str, Any]:
    """One day of the activity report: metrics, per-model and per-key breakdowns (keys spend alike)."""
    sc, now = context.scenario, context.now
    models: dict[str, Any] = {}
    total: dict[str, Any] = {"spend": Decimal(0)}
    for model, spend in sc.gateway_model_spend(KIND, day, now).items():
        t = sc.gateway_model_tokens(KIND, model, day, now)
        n = len(keys)
        metrics: dict[str, Any] = {
            "spend": money(spend * n),
            "prompt_tokens": n * (t["prompt_tokens"] + t["cache_read_input_tokens"] + t["cache_creation_input_tokens"]),
            "completion_tokens": n * t["completion_tokens"],
            "cache_read_input_tokens": n * t["cache_read_input_tokens"],
            "cache_creation_input_tokens": n * t["cache_creation_input_tokens"],
            "api_requests": n * t["api_requests"],
            "successful_requests": n * t["api_requests"],
            "failed_requests": 0,
        }
        metrics["total_tokens"] = metrics["prompt_tokens"] + metrics["completion_tokens"]
        models[model] = {"metrics": metrics, "metadata": {}}
        total["spend"] += spend * n
        for name, value in metrics.items():
            if name != "spend":
                total[name] = total.get(name, 0) + value
    total["spend"] = money(total["spend"])
    key_spend = money(sum(sc.gateway_model_spend(KIND, day, now).values(), Decimal(0)))
    return {
        "date": day.isoformat(),
        "metrics": total,
        "breakdown": {
            "models": models,
            "model_groups": {},
            "providers": {},
            "api_keys": {k: {"metrics": {"spend": key_spend}, "metadata": {"key_alias": None}} for k in keys},
            "entities": {},
        },
    }


def _daily_activity(context: FakeContext, request: FakeRequest) -> Reply:
    """``/user/daily/activity``: the key's (``api_key`` = its hashed token) or its user's spend per day."""
    query = request.query
    start, end = _date(query, "start_date"), _date(query, "end_date")
    if end < start:
        raise BadRequest("end_date is before start_date")
    page = int_param(query, "page", 1, 1, 10_000)
    size = int_param(query, "page_size", 50, 1, 1000)
    own = hashed(context.keys[KIND])
    wanted = one(query, "api_key", "")
    keys = [own, OTHER_KEY_HASH] if not wanted else [k for k in (own, OTHER_KEY_HASH) if k == wanted]
    days = []
    day = start
    while day <= min(end, context.now.date()):
        days.append(day)
        day += timedelta(days=1)
    results = [_day_result(context, d, keys) for d in days] if keys else []
    chunk = results[(page - 1) * size : page * size]
    pages = max(1, -(-len(results) // size))
    return 200, {
        "results": chunk,
        "metadata": {
            "total_spend": sum((r["metrics"]["spend"] for r in results), 0.0),
            "page": page,
            "total_pages": pages,
            "has_more": page < pages,
        },
    }


FAKE = ProviderFake(
    kind=KIND,
    base_path="/litellm",
    keys={KIND: "sk-emulator-litellm-0005"},
    routes={
        "/key/info": _key_info,
        "/user/info": _user_info,
        "/team/info": _team_info,
        "/user/daily/activity": _daily_activity,
    },
    authorised=bearer_auth(KIND),
)
