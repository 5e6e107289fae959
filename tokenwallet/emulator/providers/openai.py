"""The OpenAI fake: organization usage reports and the costs report, in daily or hourly buckets.

The organisation's usage belongs to the scenario's members.  ``api_key_ids`` and ``project_ids``
keep the members they name; ``group_by`` splits results by ``model``, ``project_id`` and
``api_key_id`` (and leaves a dimension null unless grouped by it), as the real reports do.
Usage reports take ``bucket_width`` ``1d`` (up to 31 buckets a page) or ``1h`` (up to 168); the
costs report only ``1d``, as documented.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
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
    bearer_auth,
    bucket_pages,
    int_param,
    midnight,
    money,
    one,
)
from tokenwallet.emulator.scenario import OPENAI_EMBEDDING_MODELS, OPENAI_PRICES, Member

KIND = "openai"
MAX_TIME_PARAM = 2**40
USAGE_GROUPS = frozenset({"project_id", "user_id", "api_key_id", "model", "batch", "service_tier"})
COST_GROUPS = frozenset({"project_id", "line_item", "api_key_id"})
WIDTHS = {"1d": timedelta(days=1), "1h": timedelta(hours=1)}
DEFAULT_LIMITS = {"1d": 7, "1h": 24}
USAGE_LIMITS = {"1d": 31, "1h": 168}
"""Most buckets a page of a usage report holds, per bucket width."""
COST_LIMITS = {"1d": 180}
"""The costs report has daily buckets only, up to 180 a page."""


# (context, bucket start, bucket end, members, group_by values) -> the results of one bucket
Results = Callable[[FakeContext, datetime, datetime, list[Member], list[str]], list[dict[str, Any]]]


def members(context: FakeContext, query: dict[str, list[str]]) -> list[Member]:
    """The members the ``api_key_ids`` and ``project_ids`` filters keep."""
    keys, projects = query.get("api_key_ids", []), query.get("project_ids", [])
    return [
        m
        for m in context.scenario.members
        if (not keys or m.openai_api_key_id in keys) and (not projects or m.openai_project_id in projects)
    ]


def _dims(member: Member, group: list[str]) -> dict[str, Any]:
    return {
        "project_id": member.openai_project_id if "project_id" in group else None,
        "user_id": None,
        "api_key_id": member.openai_api_key_id if "api_key_id" in group else None,
    }


def _grouped(rows: list[tuple[dict[str, Any], dict[str, int]]]) -> list[dict[str, Any]]:
    """Rows with the same dimensions summed into one result (dimensions first, then the counts)."""
    found: dict[tuple[Any, ...], dict[str, Any]] = {}
    for dims, counts in rows:
        key = tuple(sorted(dims.items(), key=lambda kv: kv[0]))
        if key not in found:
            found[key] = {**dims, **dict.fromkeys(counts, 0)}
        for name, value in counts.items():
            found[key][name] += value
    return list(found.values())


def _window(start: datetime, end: datetime, now: datetime) -> tuple[date, datetime, datetime]:
    """The UTC day of a bucket and the part of it that has happened at ``now``."""
    day = start.date()
    return day, max(start, midnight(day)), min(end, now, midnight(day) + timedelta(days=1))


def _completions(
    context: FakeContext, start: datetime, end: datetime, chosen: list[Member], group: list[str]
) -> list[dict[str, Any]]:
    sc = context.scenario
    day, a, b = _window(start, end, context.now)
    rows = [
        (
            {
                "object": "organization.usage.completions.result",
                **_dims(m, group),
                "model": model if "model" in group else None,
                "batch": None,
                "service_tier": None,
            },
            sc.between(partial(sc.openai_completions, model, day, member=m), a, b),
        )
        for model in OPENAI_PRICES
        for m in chosen
    ]
    return _grouped(rows)


def _embeddings(
    context: FakeContext, start: datetime, end: datetime, chosen: list[Member], group: list[str]
) -> list[dict[str, Any]]:
    sc = context.scenario
    day, a, b = _window(start, end, context.now)
    rows = [
        (
            {
                "object": "organization.usage.embeddings.result",
                **_dims(m, group),
                "model": model if "model" in group else None,
            },
            sc.between(partial(sc.openai_embeddings, model, day, member=m), a, b),
        )
        for model in OPENAI_EMBEDDING_MODELS
        for m in chosen
    ]
    return _grouped(rows)


def _unused(
    _context: FakeContext, _start: datetime, _end: datetime, _chosen: list[Member], _group: list[str]
) -> list[dict[str, Any]]:
    return []  # the demo organization uses none of these: empty buckets, as the API sends them


def _costs(
    context: FakeContext, start: datetime, end: datetime, chosen: list[Member], group: list[str]
) -> list[dict[str, Any]]:
    day = start.date()
    amounts: dict[tuple[str | None, str | None], Decimal] = {}
    for m in chosen:
        key = (
            m.openai_project_id if "project_id" in group else None,
            m.openai_api_key_id if "api_key_id" in group else None,
        )
        amounts[key] = amounts.get(key, Decimal(0)) + context.scenario.openai_cost_usd(day, context.now, m)
    return [
        {
            "object": "organization.costs.result",
            "amount": {"value": money(amount), "currency": "usd"},
            "line_item": None,
            "project_id": project,
            "api_key_id": api_key,
            "quantity": None,
            "quantity_unit": None,
        }
        for (project, api_key), amount in amounts.items()
    ]


def _report(results: Results, allowed_groups: frozenset[str], limits: dict[str, int]) -> Handler:
    """A bucketed report endpoint (every usage endpoint and costs share the paging and the filters)."""

    def handle(context: FakeContext, request: FakeRequest) -> Reply:
        query = request.query
        start = datetime.fromtimestamp(int_param(query, "start_time", -1, 0, MAX_TIME_PARAM), UTC)
        end = (
            datetime.fromtimestamp(int_param(query, "end_time", 0, 0, MAX_TIME_PARAM), UTC)
            if query.get("end_time")
            else None
        )
        width_name = one(query, "bucket_width", "1d")
        if width_name not in limits:
            raise BadRequest(f"bucket_width must be one of {', '.join(limits)}")
        width = WIDTHS[width_name]
        limit = int_param(query, "limit", DEFAULT_LIMITS[width_name], 1, limits[width_name])
        group = query.get("group_by", [])
        if not set(group) <= allowed_groups:
            raise BadRequest(f"group_by must be among {', '.join(sorted(allowed_groups))}")
        chosen = members(context, query)
        starts, next_page = bucket_pages(context, start, end, limit, one(query, "page", "") or None, width)
        buckets = [
            {
                "object": "bucket",
                "start_time": int(max(at, start).timestamp()),  # the first bucket starts at start_time
                "end_time": int((at + width).timestamp()),
                "results": results(context, max(at, start), at + width, chosen, group),
            }
            for at in starts
        ]
        return 200, {"object": "page", "data": buckets, "has_more": next_page is not None, "next_page": next_page}

    return handle


FAKE = ProviderFake(
    kind=KIND,
    base_path="/openai/v1",
    keys={"openai": "sk-admin-emulator-openai-0001"},
    routes={
        "/organization/usage/completions": _report(_completions, USAGE_GROUPS, USAGE_LIMITS),
        "/organization/usage/embeddings": _report(_embeddings, USAGE_GROUPS, USAGE_LIMITS),
        "/organization/usage/images": _report(_unused, USAGE_GROUPS, USAGE_LIMITS),
        "/organization/usage/audio_speeches": _report(_unused, USAGE_GROUPS, USAGE_LIMITS),
        "/organization/usage/audio_transcriptions": _report(_unused, USAGE_GROUPS, USAGE_LIMITS),
        "/organization/costs": _report(_costs, COST_GROUPS, COST_LIMITS),
    },
    authorised=bearer_auth(KIND),
    not_found_type="invalid_request_error",
)
