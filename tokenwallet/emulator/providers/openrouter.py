"""The OpenRouter fake: ``/key`` (the key's limit and usage) and, for the management key, ``/credits``,
``/activity`` (the last 30 completed UTC days per model) and ``/keys/{hash}`` (one key's limit and usage).

The account has one inference key, which spends the scenario's daily gateway dollars over two
models since :data:`KEY_CREATED`; its ``usage`` is that running total (it never falls).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from tokenwallet.emulator.fake import BadRequest, FakeContext, FakeRequest, ProviderFake, Reply, iso, money, one

KIND = "openrouter"
MANAGEMENT = "openrouter-management"
KEY_CREATED = date(2026, 6, 1)
"""The inference key's first day of spend (its ``usage`` counts from here)."""
ACTIVITY_DAYS = 30


def error_body(status: int, _etype: str, message: str) -> dict[str, Any]:
    """OpenRouter's error shape: a numeric ``code`` and ``metadata``."""
    return {"error": {"code": status, "message": message, "metadata": None}, "user_id": None}


def authorised(request: FakeRequest, keys: Mapping[str, str]) -> bool:
    """An inference key or the management key, as a bearer token."""
    return request.bearer in (keys[KIND], keys[MANAGEMENT])


def key_hash(key: str) -> str:
    """A key's hash as the keys API lists it (SHA-256 hex): what ``api_key_hash`` and ``/keys/{hash}`` take."""
    return hashlib.sha256(key.encode()).hexdigest()


def _lifetime(context: FakeContext) -> Decimal:
    return context.scenario.spend_between(KIND, KEY_CREATED, context.now)


def _key_data(context: FakeContext, management: bool) -> dict[str, Any]:
    """The ``data`` of ``/key``: the inference key's limit and usage, or the management key's own (no
    limit, no usage: it cannot make requests)."""
    sc, now = context.scenario, context.now
    today = now.date()
    zero = Decimal(0)
    monthly = zero if management else sc.spend_between(KIND, today.replace(day=1), now)
    weekly = zero if management else sc.spend_between(KIND, today - timedelta(days=today.weekday()), now)
    daily = zero if management else sc.daily_gateway_spend(KIND, today, now)
    total = zero if management else _lifetime(context)
    return {
        "label": "sk-or-v1-emu...0004" if management else "sk-or-v1-emu...0003",
        "limit": None if management else money(sc.openrouter_limit_usd),
        "limit_remaining": None if management else money(max(Decimal(0), sc.openrouter_limit_usd - monthly)),
        "limit_reset": None if management else "monthly",
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


def _key(context: FakeContext, request: FakeRequest) -> Reply:
    return 200, {"data": _key_data(context, request.bearer == context.keys[MANAGEMENT])}


def _credits(context: FakeContext, request: FakeRequest) -> Reply:
    if request.bearer != context.keys[MANAGEMENT]:
        return 403, error_body(403, "forbidden", "Management key required")
    return 200, {
        "data": {
            "total_credits": money(context.scenario.openrouter_credits_usd + Decimal(600)),
            "total_usage": money(_lifetime(context)),
        }
    }


def _management_only(context: FakeContext, request: FakeRequest) -> Reply | None:
    if request.bearer != context.keys[MANAGEMENT]:
        return 403, error_body(403, "forbidden", "Management key required")
    return None


def _activity(context: FakeContext, request: FakeRequest) -> Reply:
    """The inference key's spend per completed UTC day and model (``date`` narrows to one day)."""
    refused = _management_only(context, request)
    if refused is not None:
        return refused
    sc, now = context.scenario, context.now
    completed = [now.date() - timedelta(days=n) for n in range(ACTIVITY_DAYS, 0, -1)]
    wanted = one(request.query, "date", "")
    if wanted:
        try:
            day = date.fromisoformat(wanted)
        except ValueError:
            raise BadRequest("date must be YYYY-MM-DD") from None
        if day not in completed:
            raise BadRequest("date must be one of the last 30 completed UTC days")
        completed = [day]
    own = key_hash(context.keys[KIND])
    if one(request.query, "api_key_hash", own) != own:
        return 200, {"data": []}
    items = []
    for day in completed:
        for model, spend in sc.gateway_model_spend(KIND, day, now).items():
            t = sc.gateway_model_tokens(KIND, model, day, now)
            items.append(
                {
                    "date": day.isoformat(),
                    "model": model,
                    "model_permaslug": model + "-20260101",
                    "endpoint_id": f"ep-{model.split('/')[0]}",
                    "provider_name": model.split("/")[0].title(),
                    "usage": money(spend),
                    "byok_usage_inference": 0,
                    "requests": t["api_requests"],
                    "prompt_tokens": t["prompt_tokens"],
                    "completion_tokens": t["completion_tokens"],
                    "reasoning_tokens": 0,
                }
            )
    return 200, {"data": items}


def _one_key(context: FakeContext, request: FakeRequest) -> Reply:
    """``/keys/{hash}``: the inference key's limit and usage, by its hash."""
    refused = _management_only(context, request)
    if refused is not None:
        return refused
    wanted = request.sub.removeprefix("/keys/")
    if wanted != key_hash(context.keys[KIND]):
        return 404, error_body(404, "not_found", "Key not found")
    data = _key_data(context, False)
    return 200, {"data": {**data, "hash": wanted, "name": "laptop", "disabled": False}}


FAKE = ProviderFake(
    kind=KIND,
    base_path="/openrouter/api/v1",
    keys={KIND: "sk-or-v1-emulator-openrouter-0003", MANAGEMENT: "sk-or-v1-emulator-management-0004"},
    routes={"/key": _key, "/credits": _credits, "/activity": _activity},
    authorised=authorised,
    error_body=error_body,
    prefix_routes={"/keys/": _one_key},
)
