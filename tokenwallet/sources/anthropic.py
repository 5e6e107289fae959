"""Anthropic Admin API: usage_report/messages (tokens) and cost_report (exact cents).

Cache writes come from the ``cache_creation`` object (5-minute plus 1-hour writes); the endpoint
has no ``cache_creation_input_tokens``.  Cost rows are decimal strings of cents converted exactly
with :func:`cents_to_micros`; usage rows carry no money so nothing is counted twice.

Buckets: message usage of the last :data:`HOURLY_DAYS` UTC days is read in hourly buckets, older
history daily; the cost report has daily buckets only.  Every page replaces the account's rows of
its span, so a day read daily and later hourly is never counted twice.

An org admin key sees the whole organization.  The account's filters narrow it to the user:
``api_key_ids[]`` and ``workspace_ids[]`` go with the messages report (grouped by them, so rows
carry the key and workspace); the cost report takes no filter, so it is grouped by workspace and
only the user's workspaces are kept.  It has no api key dimension at all: with api key filters
the user's money is their message usage at list price (confidence *estimated*, ``extra.basis``
``list price``) and the organization's bill is not read.  The Claude Code report keeps only the
logins in the filters' user emails.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from tokenwallet.domain.accounts import NO_FILTERS, AccountFilters
from tokenwallet.domain.clock import Clock
from tokenwallet.domain.errors import SourceError
from tokenwallet.domain.usage import Confidence, Source, UsageRecord
from tokenwallet.sources import _parse as p
from tokenwallet.sources.base import Cursor, Page, Replace, Secret, day_start, window_start
from tokenwallet.sources.http import paged_data, schema_error
from tokenwallet.sources.pricing import PRICE_SCALE, PriceBook

PROVIDER = "anthropic"
DEFAULT_BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
MESSAGES_PATH = "/v1/organizations/usage_report/messages"
COST_PATH = "/v1/organizations/cost_report"
CLAUDE_CODE_PATH = "/v1/organizations/usage_report/claude_code"
FILTERS = ("api_key_id", "workspace_id", "user_email")
"""The filter dimensions of an Anthropic account: api keys and workspaces (messages), user emails (Claude Code)."""
HOURLY_DAYS = 7
"""Days (today included) of message usage read in hourly buckets; 168 hours fit one page."""
LIMITS = {"1d": 31, "1h": 168}
LIST_PRICE = "list price"


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


def windows(cursor: Cursor, now: datetime) -> list[tuple[str, datetime, datetime | None]]:
    """The (bucket width, start, end or None for now) spans of message usage one poll reads."""
    start = window_start(cursor, now)
    hourly = max(start, day_start(now) - timedelta(days=HOURLY_DAYS - 1))
    spans: list[tuple[str, datetime, datetime | None]] = [("1d", start, hourly)] if start < hourly else []
    return [*spans, ("1h", hourly, None)]


def list_price(book: PriceBook, model: str, day: datetime, counts: dict[str, int]) -> int | None:
    """Message tokens of ``model`` at the catalog's base rates (no long-context tier for a bucket), in micro-USD."""
    rates = book.rates(model, day)
    if rates is None:
        return None
    scaled = (
        counts["input"] * rates.input[0]
        + counts["cache_read"] * rates.cache_read[0]
        + counts["cache_5m"] * rates.cache_write_5m[0]
        + counts["cache_1h"] * rates.cache_write_1h[0]
        + counts["output"] * rates.output[0]
    ) * rates.multiplier
    return (scaled + PRICE_SCALE // 2) // PRICE_SCALE


def _span(source: Source, spans: list[tuple[datetime, datetime]], kinds: tuple[str, ...] = ()) -> tuple[Replace, ...]:
    return (Replace(source, min(a for a, _ in spans), max(b for _, b in spans), kinds),) if spans else ()


def _message_record(
    account_id: str, raw_row: Any, b_start: datetime, b_end: datetime, book: PriceBook | None
) -> UsageRecord:
    """One messages-report result; with ``book`` (api key filters: no bill to read) priced at list price."""
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
    uncached = p.count(row, "uncached_input_tokens", PROVIDER, required=True)
    cache_read = p.count(row, "cache_read_input_tokens", PROVIDER)
    output = p.count(row, "output_tokens", PROVIDER, required=True)
    cost: int | None = None
    confidence = Confidence.REPORTED
    if book is not None and model:
        counts = {"input": uncached, "cache_read": cache_read, "cache_5m": write_5m, "cache_1h": write_1h}
        cost = list_price(book, model, b_start, {**counts, "output": output})
        if cost is not None:
            confidence, extra["basis"] = Confidence.ESTIMATED, LIST_PRICE
    return UsageRecord(
        account_id=account_id,
        source=Source.API_USAGE,
        key=f"messages|{int(b_start.timestamp())}|{model}|{workspace}|{api_key}|{tier}",
        bucket_start=b_start,
        bucket_end=b_end,
        provider=PROVIDER,
        model=model,
        confidence=confidence,
        input_tokens=uncached,
        cached_input_tokens=cache_read,
        cache_write_tokens=p.count_sum(PROVIDER, "cache_creation", write_5m, write_1h),
        output_tokens=output,
        cost_micros=cost,
        kind="messages",
        api_key=api_key,
        workspace=workspace,
        extra=extra,
    )


def _cost_record(account_id: str, raw_row: Any, b_start: datetime, b_end: datetime) -> UsageRecord:
    row = p.obj(raw_row, PROVIDER, "result")
    currency = p.text(row, "currency", PROVIDER).upper() or "USD"
    description, workspace = p.text(row, "description", PROVIDER), p.text(row, "workspace_id", PROVIDER)
    token_type, tier = p.text(row, "token_type", PROVIDER), p.text(row, "service_tier", PROVIDER)
    return UsageRecord(
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


def fetch(
    client: httpx.Client,
    base_url: str,
    secret: Secret,
    account_id: str,
    cursor: Cursor,
    clock: Clock,
    /,
    *,
    filters: AccountFilters = NO_FILTERS,
) -> Iterator[Page]:
    """Message usage by model (hourly, older days daily), then cost by description, then the Claude Code
    report, from the cursor's day to now, narrowed to the account's filters."""
    now = clock()
    start = window_start(cursor, now)
    group = ["model", "workspace_id", *(["api_key_id"] if filters.api_key_ids else [])]
    narrow: list[tuple[str, str | int]] = [("api_key_ids[]", k) for k in filters.api_key_ids]
    narrow += [("workspace_ids[]", w) for w in filters.workspace_ids]
    # The bill has no api key dimension: with api key filters, the user's money is their usage at list price.
    book = PriceBook(provider_id=PROVIDER) if filters.api_key_ids else None
    for width, first, until in windows(cursor, now):
        params: list[tuple[str, str | int]] = [("starting_at", _iso(first))]
        if until is not None:
            params.append(("ending_at", _iso(until)))
        params += [("bucket_width", width), ("limit", LIMITS[width]), *(("group_by[]", g) for g in group), *narrow]
        for data, _last in _pages(client, base_url + MESSAGES_PATH, secret, params):
            records: list[UsageRecord] = []
            spans: list[tuple[datetime, datetime]] = []
            for raw in data:
                b, b_start, b_end = _bucket(raw)
                spans.append((b_start, b_end))
                for raw_row in p.items(b.get("results"), PROVIDER, "results"):
                    records.append(_message_record(account_id, raw_row, b_start, b_end, book))
            yield Page(records=tuple(records), replaces=_span(Source.API_USAGE, spans, ("messages",)))
    done: dict[str, object] = {"since": int(now.timestamp())}
    if book is None:
        wanted = set(filters.workspace_ids)
        cost_params: list[tuple[str, str | int]] = [
            ("starting_at", _iso(start)),
            ("bucket_width", "1d"),
            ("limit", 31),
            ("group_by[]", "description"),
            ("group_by[]", "workspace_id"),
        ]
        for data, _last in _pages(client, base_url + COST_PATH, secret, cost_params):
            records = []
            spans = []
            for raw in data:
                b, b_start, b_end = _bucket(raw)
                spans.append((b_start, b_end))
                for raw_row in p.items(b.get("results"), PROVIDER, "results"):
                    record = _cost_record(account_id, raw_row, b_start, b_end)
                    if not wanted or record.workspace in wanted:  # the report takes no filter: keep the user's
                        records.append(record)
            yield Page(records=tuple(records), replaces=_span(Source.API_COST, spans))
    yield _claude_code_page(client, base_url, secret, account_id, cursor, now, filters, done)


def _claude_code_page(
    client: httpx.Client,
    base_url: str,
    secret: Secret,
    account_id: str,
    cursor: Cursor,
    now: datetime,
    filters: AccountFilters,
    done: dict[str, object],
) -> Page:
    """The Claude Code report's page, with the cursor of the whole poll.

    The report is free for every organization with Admin API access, but an older or restricted
    organization may answer 403/404: remember that and stop asking.
    """
    records: list[UsageRecord] = []
    available = cursor.get("claude_code", True) is not False
    if available:
        try:
            records = _claude_code(client, base_url, secret, account_id, _cc_days(cursor, now), filters.user_emails)
        except SourceError as exc:
            if exc.status not in (403, 404):
                raise
            available = False
    return Page(records=tuple(records), cursor={**done, "claude_code": available})


def _cc_days(cursor: Cursor, now: datetime) -> list[date]:
    """Days to read from the Claude Code report: today, plus yesterday on the first poll after midnight."""
    today = now.date()
    since = cursor.get("since")
    if isinstance(since, int | float) and datetime.fromtimestamp(since, UTC).date() == today:
        return [today]
    return [today - timedelta(days=1), today]


def _claude_code(
    client: httpx.Client, base_url: str, secret: Secret, account_id: str, days: list[date], emails: tuple[str, ...]
) -> list[UsageRecord]:
    """Subscription (Pro/Max/Team) Claude Code tokens by user and model, from the Claude Code report.

    Rows of API customers are skipped: their tokens are already in the messages report.  With
    ``emails``, only those users' rows are kept (compared without case): the report lists every
    login of the organization.  The report's ``estimated_cost`` (cents, a number) is kept in
    ``extra`` only, because a subscription is not paid per token and counting it as spend would
    overstate the allowance.
    """
    wanted = {e.casefold() for e in emails}
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
                if wanted and who.casefold() not in wanted:
                    continue  # a colleague's login: not the user's usage
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
