"""Anthropic Admin API: usage_report/messages (tokens) and cost_report (exact cents).

Cache writes come from the ``cache_creation`` object (5-minute plus 1-hour writes); the endpoint
has no ``cache_creation_input_tokens``.  Cost rows are decimal strings of cents converted exactly
with :func:`cents_to_micros`; usage rows carry no money so nothing is counted twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from tokenwallet.domain.clock import Clock
from tokenwallet.domain.errors import SourceError
from tokenwallet.domain.usage import Confidence, Source, UsageRecord
from tokenwallet.sources import _parse as p
from tokenwallet.sources.base import Cursor, Page, Secret, window_start
from tokenwallet.sources.http import paged_data, schema_error

PROVIDER = "anthropic"
DEFAULT_BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
MESSAGES_PATH = "/v1/organizations/usage_report/messages"
COST_PATH = "/v1/organizations/cost_report"
CLAUDE_CODE_PATH = "/v1/organizations/usage_report/claude_code"


def _headers(secret: Secret) -> dict[str, str]:
    return {"x-api-key": secret.reveal(), "anthropic-version": API_VERSION}


def _pages(
    client: httpx.Client, url: str, secret: Secret, params: list[tuple[str, str | int]]
) -> Iterator[tuple[list[Any], bool]]:
    """Yield (buckets, is_last) for every page of one endpoint."""
    return paged_data(client, url, provider=PROVIDER, headers=_headers(secret), params=params)


def _bucket(raw: Any) -> tuple[dict[str, Any], datetime, datetime]:
    b = p.obj(raw, PROVIDER, "bucket")
    start = p.moment(b.get("starting_at"), PROVIDER, "bucket starting_at")
    end = p.moment(b.get("ending_at"), PROVIDER, "bucket ending_at")
    if start is None or end is None:
        raise schema_error(PROVIDER, "bucket starting_at/ending_at are missing")
    return (b, *p.span(start, end, PROVIDER, "bucket starting_at", "bucket ending_at"))


def _keep_region(row: dict[str, Any], extra: dict[str, object]) -> dict[str, object]:
    """Keep where the request was processed (``inference_geo``: ``global``, ``us``, ...) when reported.

    Employer policies may require local processing; the region is not part of the row's key, so
    rows recorded before it was kept are updated in place on the next poll, never doubled.
    """
    geo = row.get("inference_geo")
    if isinstance(geo, str) and geo:
        extra["inference_geo"] = p.text(row, "inference_geo", PROVIDER)  # refuses text SQLite cannot store
    return extra


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def fetch(
    client: httpx.Client, base_url: str, secret: Secret, account_id: str, cursor: Cursor, clock: Clock
) -> Iterator[Page]:
    """Message usage by model, then cost by description, from the cursor's day to now."""
    now = clock()
    start = window_start(cursor, now)
    common: list[tuple[str, str | int]] = [("starting_at", _iso(start)), ("bucket_width", "1d"), ("limit", 31)]
    for data, _last in _pages(
        client, base_url + MESSAGES_PATH, secret, [*common, ("group_by[]", "model"), ("group_by[]", "workspace_id")]
    ):
        records: list[UsageRecord] = []
        for raw in data:
            b, b_start, b_end = _bucket(raw)
            for raw_row in p.items(b.get("results"), PROVIDER, "results"):
                row = p.obj(raw_row, PROVIDER, "result")
                cache = p.obj(row.get("cache_creation") or {}, PROVIDER, "cache_creation")
                write_5m = p.count(cache, "ephemeral_5m_input_tokens", PROVIDER)
                write_1h = p.count(cache, "ephemeral_1h_input_tokens", PROVIDER)
                tool = row.get("server_tool_use") or {}
                searches = p.count(p.obj(tool, PROVIDER, "server_tool_use"), "web_search_requests", PROVIDER)
                model, workspace = p.text(row, "model", PROVIDER), p.text(row, "workspace_id", PROVIDER)
                api_key, tier = p.text(row, "api_key_id", PROVIDER), p.text(row, "service_tier", PROVIDER)
                extra: dict[str, object] = {"cache_write_5m_tokens": write_5m, "cache_write_1h_tokens": write_1h}
                if searches:
                    extra["web_search_requests"] = searches
                _keep_region(row, extra)
                records.append(
                    UsageRecord(
                        account_id=account_id,
                        source=Source.API_USAGE,
                        key=f"messages|{int(b_start.timestamp())}|{model}|{workspace}|{api_key}|{tier}",
                        bucket_start=b_start,
                        bucket_end=b_end,
                        provider=PROVIDER,
                        model=model,
                        confidence=Confidence.REPORTED,
                        input_tokens=p.count(row, "uncached_input_tokens", PROVIDER, required=True),
                        cached_input_tokens=p.count(row, "cache_read_input_tokens", PROVIDER),
                        cache_write_tokens=p.count_sum(PROVIDER, "cache_creation", write_5m, write_1h),
                        output_tokens=p.count(row, "output_tokens", PROVIDER, required=True),
                        kind="messages",
                        api_key=api_key,
                        workspace=workspace,
                        extra=extra,
                    )
                )
        yield Page(records=tuple(records))
    done: dict[str, object] = {"since": int(now.timestamp())}
    for data, last in _pages(
        client, base_url + COST_PATH, secret, [*common, ("group_by[]", "description"), ("group_by[]", "workspace_id")]
    ):
        records = []
        for raw in data:
            b, b_start, b_end = _bucket(raw)
            for raw_row in p.items(b.get("results"), PROVIDER, "results"):
                row = p.obj(raw_row, PROVIDER, "result")
                currency = p.text(row, "currency", PROVIDER).upper() or "USD"
                description, workspace = p.text(row, "description", PROVIDER), p.text(row, "workspace_id", PROVIDER)
                token_type, tier = p.text(row, "token_type", PROVIDER), p.text(row, "service_tier", PROVIDER)
                records.append(
                    UsageRecord(
                        account_id=account_id,
                        source=Source.API_COST,
                        key=f"cost|{int(b_start.timestamp())}|{description}|{workspace}|{token_type}|{tier}",
                        bucket_start=b_start,
                        bucket_end=b_end,
                        provider=PROVIDER,
                        model=p.text(row, "model", PROVIDER),
                        confidence=Confidence.BILLED,
                        cost_micros=p.cents(row.get("amount"), PROVIDER, "amount"),
                        currency=currency,
                        kind=p.text(row, "cost_type", PROVIDER) or "cost",
                        workspace=workspace,
                        extra=_keep_region(row, {"token_type": token_type} if token_type else {}),
                    )
                )
        if not last:
            yield Page(records=tuple(records))
            continue
        # The Claude Code report is free for every organization with Admin API access, but an
        # older or restricted organization may answer 403/404: remember that and stop asking.
        available = cursor.get("claude_code", True) is not False
        if available:
            try:
                records.extend(_claude_code(client, base_url, secret, account_id, _cc_days(cursor, now)))
            except SourceError as exc:
                if exc.status not in (403, 404):
                    raise
                available = False
        yield Page(records=tuple(records), cursor={**done, "claude_code": available})


def _cc_days(cursor: Cursor, now: datetime) -> list[date]:
    """Days to read from the Claude Code report: today, plus yesterday on the first poll after midnight."""
    today = now.date()
    since = cursor.get("since")
    if isinstance(since, int | float) and datetime.fromtimestamp(since, UTC).date() == today:
        return [today]
    return [today - timedelta(days=1), today]


def _claude_code(
    client: httpx.Client, base_url: str, secret: Secret, account_id: str, days: list[date]
) -> list[UsageRecord]:
    """Subscription (Pro/Max/Team) Claude Code tokens by user and model, from the Claude Code report.

    Rows of API customers are skipped: their tokens are already in the messages report.  The
    report's ``estimated_cost`` (cents, a number) is kept in ``extra`` only, because a
    subscription is not paid per token and counting it as spend would overstate the allowance.
    """
    records: list[UsageRecord] = []
    for day in days:
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        for data, _last in _pages(
            client, base_url + CLAUDE_CODE_PATH, secret, [("starting_at", day.isoformat()), ("limit", 1000)]
        ):
            for raw in data:
                row = p.obj(raw, PROVIDER, "claude_code row")
                if p.text(row, "customer_type", PROVIDER) != "subscription":
                    continue
                actor = p.obj(row.get("actor") or {}, PROVIDER, "actor")
                who = p.text(actor, "email_address", PROVIDER) or p.text(actor, "api_key_name", PROVIDER)
                for raw_model in p.items(row.get("model_breakdown"), PROVIDER, "model_breakdown"):
                    m = p.obj(raw_model, PROVIDER, "model_breakdown item")
                    tokens = p.obj(m.get("tokens") or {}, PROVIDER, "tokens")
                    cost = m.get("estimated_cost")
                    extra: dict[str, object] = {"actor": who, "terminal_type": p.text(row, "terminal_type", PROVIDER)}
                    if isinstance(cost, dict) and cost.get("amount") is not None:
                        extra["estimated_cost_micros"] = p.cents(cost["amount"], PROVIDER, "estimated_cost.amount")
                    model = p.text(m, "model", PROVIDER)
                    records.append(
                        UsageRecord(
                            account_id=account_id,
                            source=Source.API_USAGE,
                            key=f"claude_code|{day.isoformat()}|{who}|{model}|{p.text(row, 'terminal_type', PROVIDER)}",
                            bucket_start=start,
                            bucket_end=start + timedelta(days=1),
                            provider=PROVIDER,
                            model=model,
                            confidence=Confidence.REPORTED,
                            input_tokens=p.count(tokens, "input", PROVIDER),
                            cached_input_tokens=p.count(tokens, "cache_read", PROVIDER),
                            cache_write_tokens=p.count(tokens, "cache_creation", PROVIDER),
                            output_tokens=p.count(tokens, "output", PROVIDER),
                            kind="claude_code",
                            extra=extra,
                        )
                    )
    return records
