"""The OpenRouter fake: ``/key`` (the key's limit and usage) and ``/credits`` (management keys only)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from tokenwallet.emulator.fake import FakeContext, FakeRequest, ProviderFake, Reply, iso, money

KIND = "openrouter"
MANAGEMENT = "openrouter-management"
LIFETIME_USAGE_BEFORE_THIS_MONTH = Decimal("162.5")


def error_body(status: int, _etype: str, message: str) -> dict[str, Any]:
    """OpenRouter's error shape: a numeric ``code`` and ``metadata``."""
    return {"error": {"code": status, "message": message, "metadata": None}, "user_id": None}


def authorised(request: FakeRequest, keys: Mapping[str, str]) -> bool:
    """An inference key or the management key, as a bearer token."""
    return request.bearer in (keys[KIND], keys[MANAGEMENT])


def _key(context: FakeContext, request: FakeRequest) -> Reply:
    sc, now = context.scenario, context.now
    management = request.bearer == context.keys[MANAGEMENT]
    today = now.date()
    monthly = sc.spend_between(KIND, today.replace(day=1), now)
    weekly = sc.spend_between(KIND, today - timedelta(days=today.weekday()), now)
    daily = sc.daily_gateway_spend(KIND, today, now)
    total = monthly + LIFETIME_USAGE_BEFORE_THIS_MONTH
    return 200, {
        "data": {
            "label": "sk-or-v1-emu...0003",
            "limit": money(sc.openrouter_limit_usd),
            "limit_remaining": money(max(Decimal(0), sc.openrouter_limit_usd - monthly)),
            "limit_reset": "monthly",
            "usage": money(total),
            "usage_daily": money(daily),
            "usage_weekly": money(weekly),
            "usage_monthly": money(monthly),
            "byok_usage": 0,
            "byok_usage_daily": 0,
            "byok_usage_weekly": 0,
            "byok_usage_monthly": 0,
            "include_byok_in_limit": False,
            "is_free_tier": False,
            "is_management_key": management,
            "is_provisioning_key": management,
            "creator_user_id": "user_emulator",
            "expires_at": iso(datetime(today.year + 1, 1, 31, 23, 59, 59, tzinfo=UTC)),
            "rate_limit": {"requests": -1, "interval": "10s", "note": "This field is deprecated."},
        }
    }


def _credits(context: FakeContext, request: FakeRequest) -> Reply:
    if request.bearer != context.keys[MANAGEMENT]:
        return 403, error_body(403, "forbidden", "Management key required")
    sc, now = context.scenario, context.now
    used = sc.spend_between(KIND, now.date().replace(day=1), now) + LIFETIME_USAGE_BEFORE_THIS_MONTH
    return 200, {
        "data": {
            "total_credits": money(sc.openrouter_credits_usd + Decimal(200)),
            "total_usage": money(used),
        }
    }


FAKE = ProviderFake(
    kind=KIND,
    base_path="/openrouter/api/v1",
    keys={KIND: "sk-or-v1-emulator-openrouter-0003", MANAGEMENT: "sk-or-v1-emulator-management-0004"},
    routes={"/key": _key, "/credits": _credits},
    authorised=authorised,
    error_body=error_body,
)
