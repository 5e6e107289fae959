"""The OpenAI fake: organization usage reports and the costs report, paged by day buckets."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tokenwallet.emulator.fake import (
    BadRequest,
    FakeContext,
    FakeRequest,
    Handler,
    ProviderFake,
    Reply,
    bearer_auth,
    day_pages,
    int_param,
    midnight,
    money,
    one,
)
from tokenwallet.emulator.scenario import OPENAI_EMBEDDING_MODELS, OPENAI_PRICES, OPENAI_PROJECT

KIND = "openai"
MAX_TIME_PARAM = 2**40

# (context, day, group_by values) -> the results of one day's bucket
Results = Callable[[FakeContext, date, list[str]], list[dict[str, Any]]]


def _dims(group: list[str]) -> dict[str, Any]:
    return {"project_id": OPENAI_PROJECT if "project_id" in group else None, "user_id": None, "api_key_id": None}


def _completions(context: FakeContext, day: date, group: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "object": "organization.usage.completions.result",
            **context.scenario.openai_completions(model, day, context.now),
            **_dims(group),
            "model": model if "model" in group else None,
            "batch": None,
            "service_tier": None,
        }
        for model in OPENAI_PRICES
    ]


def _embeddings(context: FakeContext, day: date, group: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "object": "organization.usage.embeddings.result",
            **context.scenario.openai_embeddings(model, day, context.now),
            **_dims(group),
            "model": model if "model" in group else None,
        }
        for model in OPENAI_EMBEDDING_MODELS
    ]


def _unused(_context: FakeContext, _day: date, _group: list[str]) -> list[dict[str, Any]]:
    return []  # the demo organization uses none of these: empty buckets, as the API sends them


def _costs(context: FakeContext, day: date, group: list[str]) -> list[dict[str, Any]]:
    amount = context.scenario.openai_cost_usd(day, context.now)
    return [
        {
            "object": "organization.costs.result",
            "amount": {"value": money(amount), "currency": "usd"},
            "line_item": None,
            "project_id": OPENAI_PROJECT if "project_id" in group else None,
            "api_key_id": None,
            "quantity": None,
            "quantity_unit": None,
        }
    ]


def _report(results: Results, max_limit: int) -> Handler:
    """A daily bucketed report endpoint (every usage endpoint and costs share the paging)."""

    def handle(context: FakeContext, request: FakeRequest) -> Reply:
        query = request.query
        start = datetime.fromtimestamp(int_param(query, "start_time", -1, 0, MAX_TIME_PARAM), UTC)
        end = (
            datetime.fromtimestamp(int_param(query, "end_time", 0, 0, MAX_TIME_PARAM), UTC)
            if query.get("end_time")
            else None
        )
        if one(query, "bucket_width", "1d") != "1d":
            raise BadRequest("this emulator serves bucket_width=1d only")
        limit = int_param(query, "limit", 7, 1, max_limit)
        days, next_page = day_pages(context, start, end, limit, one(query, "page", "") or None)
        group = query.get("group_by", [])
        buckets = [
            {
                "object": "bucket",
                "start_time": int(max(midnight(day), start).timestamp()),  # the first bucket starts at start_time
                "end_time": int((midnight(day) + timedelta(days=1)).timestamp()),
                "results": results(context, day, group),
            }
            for day in days
        ]
        return 200, {"object": "page", "data": buckets, "has_more": next_page is not None, "next_page": next_page}

    return handle


FAKE = ProviderFake(
    kind=KIND,
    base_path="/openai/v1",
    keys={"openai": "sk-admin-emulator-openai-0001"},
    routes={
        "/organization/usage/completions": _report(_completions, 31),
        "/organization/usage/embeddings": _report(_embeddings, 31),
        "/organization/usage/images": _report(_unused, 31),
        "/organization/usage/audio_speeches": _report(_unused, 31),
        "/organization/usage/audio_transcriptions": _report(_unused, 31),
        "/organization/costs": _report(_costs, 180),
    },
    authorised=bearer_auth(KIND),
    not_found_type="invalid_request_error",
)
