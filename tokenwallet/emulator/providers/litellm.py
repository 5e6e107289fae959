"""The LiteLLM gateway fake: the key's, its user's and its team's budgets (``/key/info`` and friends)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tokenwallet.emulator.fake import (
    FakeContext,
    FakeRequest,
    ProviderFake,
    Reply,
    bearer_auth,
    iso,
    midnight,
    money,
    one,
)

KIND = "litellm"


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


FAKE = ProviderFake(
    kind=KIND,
    base_path="/litellm",
    keys={KIND: "sk-emulator-litellm-0005"},
    routes={"/key/info": _key_info, "/user/info": _user_info, "/team/info": _team_info},
    authorised=bearer_auth(KIND),
)
