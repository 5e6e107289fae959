"""OpenAI: organization usage (tokens by model) and the costs endpoint (billed dollars).

Usage rows carry tokens with ``cost_micros=None``; money comes only from ``/organization/costs``
rows (confidence *billed*), so nothing is counted twice.  The bill has no model, so each usage row
also keeps its tokens' list price (``extra["list_cost_micros"]``, from the price catalog): what an
allowance for one model counts, as an estimate.  The natural key is the bucket start plus every
grouping dimension.

Buckets: usage of the last :data:`HOURLY_DAYS` UTC days is read in hourly buckets (the meter, the
burn rate and local days depend on them; they also place the daily bill on the hours of its
day), older history in daily buckets; the costs endpoint has daily buckets only.  Every page
replaces the account's rows of its span, so a day first read daily and later hourly is never
counted twice.  Requests start at a UTC midnight, so the buckets are whole days or hours.

An org admin key sees the whole organization; the account's filters (api key ids, project ids)
are sent with every request and the results grouped by them, so only the user's usage and bill
are recorded, with their project and api key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx

from tokenwallet.domain.accounts import NO_FILTERS, AccountFilters
from tokenwallet.domain.clock import Clock
from tokenwallet.domain.usage import Confidence, Source, UsageRecord
from tokenwallet.sources import _parse as p
from tokenwallet.sources.base import Cursor, Page, Replace, Secret, day_start, window_start
from tokenwallet.sources.http import paged_data
from tokenwallet.sources.pricing import PRICE_SCALE, PriceBook

PROVIDER = "openai"
DEFAULT_BASE_URL = "https://api.openai.com/v1"
GROUP_BY = ("model", "project_id")
FILTERS = ("api_key_id", "project_id")
"""The filter dimensions OpenAI's reports take (``api_key_ids``, ``project_ids``)."""
HOURLY_DAYS = 7
"""Days (today included) read in hourly buckets: the burn-rate week; 168 hours fit one page."""
LIMITS = {"1d": 31, "1h": 168}
"""Most buckets a usage page holds, per bucket width."""


def _completions(row: dict[str, Any]) -> dict[str, int]:
    total = p.count(row, "input_tokens", PROVIDER, required=True)
    cached = p.count(row, "input_cached_tokens", PROVIDER)
    write = p.count(row, "input_cache_write_tokens", PROVIDER)
    uncached = row.get("input_uncached_tokens")
    plain = p.count(row, "input_uncached_tokens", PROVIDER) if uncached is not None else max(0, total - cached - write)
    return {
        "input_tokens": plain,
        "cached_input_tokens": cached,
        "cache_write_tokens": write,
        "output_tokens": p.count(row, "output_tokens", PROVIDER, required=True),
    }


def _embeddings(row: dict[str, Any]) -> dict[str, int]:
    return {"input_tokens": p.count(row, "input_tokens", PROVIDER, required=True)}


def _images(row: dict[str, Any]) -> dict[str, int]:
    return {"units": p.count(row, "images", PROVIDER, required=True)}


def _speeches(row: dict[str, Any]) -> dict[str, int]:
    return {"units": p.count(row, "characters", PROVIDER, required=True)}


def _transcriptions(row: dict[str, Any]) -> dict[str, int]:
    return {"units": p.count(row, "seconds", PROVIDER, required=True)}


# (usage kind, path, reader, unit of "units" or "")
USAGE_ENDPOINTS: tuple[tuple[str, str, Callable[[dict[str, Any]], dict[str, int]], str], ...] = (
    ("completions", "/organization/usage/completions", _completions, ""),
    ("embeddings", "/organization/usage/embeddings", _embeddings, ""),
    ("images", "/organization/usage/images", _images, "images"),
    ("audio_speeches", "/organization/usage/audio_speeches", _speeches, "characters"),
    ("audio_transcriptions", "/organization/usage/audio_transcriptions", _transcriptions, "seconds"),
)


def list_price(book: PriceBook, model: str, day: datetime, counts: dict[str, int]) -> int | None:
    """A day's token counts of ``model`` at the catalog's list price (base rates), in micro-USD; None if unpriced.

    OpenAI's bill has no model dimension, so an allowance for one model counts its usage at this
    price, as an estimate.  A whole day's tokens are not one request: the base rates apply, never
    a long-context tier.
    """
    rates = book.rates(model, day)
    if rates is None:
        return None
    scaled = (
        counts.get("input_tokens", 0) * rates.input[0]
        + counts.get("cached_input_tokens", 0) * rates.cache_read[0]
        + counts.get("cache_write_tokens", 0) * rates.cache_write_5m[0]
        + counts.get("output_tokens", 0) * rates.output[0]
    ) * rates.multiplier
    return (scaled + PRICE_SCALE // 2) // PRICE_SCALE


def _with_list_price(
    extra: dict[str, object], book: PriceBook, model: str, day: datetime, counts: dict[str, int]
) -> dict[str, object]:
    """``extra`` with ``list_cost_micros`` (see :func:`list_price`) for a row of tokens of a known model."""
    if model and any(counts.values()):
        value = list_price(book, model, day, counts)
        if value is not None:
            extra["list_cost_micros"] = value
    return extra


def _headers(secret: Secret) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret.reveal()}"}


def _pages(
    client: httpx.Client, url: str, secret: Secret, params: list[tuple[str, str | int]]
) -> Iterator[tuple[list[Any], bool]]:
    """Yield (buckets, is_last) for every page of one endpoint."""
    return paged_data(client, url, provider=PROVIDER, headers=_headers(secret), params=params)


def _bucket_times(bucket: Any) -> tuple[dict[str, Any], datetime, datetime]:
    b = p.obj(bucket, PROVIDER, "bucket")
    start = p.epoch(b.get("start_time"), PROVIDER, "bucket start_time")
    end = p.epoch(b.get("end_time"), PROVIDER, "bucket end_time")
    return (b, *p.span(start, end, PROVIDER, "bucket start_time", "bucket end_time"))


def windows(cursor: Cursor, now: datetime) -> list[tuple[str, datetime, datetime | None]]:
    """The (bucket width, start, end or None for now) spans of usage one poll reads.

    Hours for the last :data:`HOURLY_DAYS` days of the poll's window, whole days before them (only
    on a first poll, or after a long pause).
    """
    start = window_start(cursor, now)
    hourly = max(start, day_start(now) - timedelta(days=HOURLY_DAYS - 1))
    spans: list[tuple[str, datetime, datetime | None]] = [("1d", start, hourly)] if start < hourly else []
    return [*spans, ("1h", hourly, None)]


def filter_params(filters: AccountFilters) -> list[tuple[str, str | int]]:
    """The query parameters that narrow a report to the account's api keys and projects."""
    params: list[tuple[str, str | int]] = [("api_key_ids", k) for k in filters.api_key_ids]
    return params + [("project_ids", k) for k in filters.project_ids]


def _replaces(
    source: Source, buckets: list[tuple[datetime, datetime]], kinds: tuple[str, ...] = ()
) -> tuple[Replace, ...]:
    """The span a page of buckets reports in full (nothing for an empty page)."""
    if not buckets:
        return ()
    return (Replace(source, min(b[0] for b in buckets), max(b[1] for b in buckets), kinds),)


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
    """Usage of every endpoint in :data:`USAGE_ENDPOINTS` (hourly, older days daily), then costs, from the
    cursor's day to now, narrowed to the account's filters."""
    now = clock()
    start = window_start(cursor, now)
    narrow = filter_params(filters)
    group_by = GROUP_BY + (("api_key_id",) if filters.api_key_ids else ())
    done: dict[str, object] = {"since": int(now.timestamp())}
    book = PriceBook(provider_id=PROVIDER)
    for kind, path, reader, unit in USAGE_ENDPOINTS:
        for width, first, until in windows(cursor, now):
            params: list[tuple[str, str | int]] = [("start_time", int(first.timestamp()))]
            if until is not None:
                params.append(("end_time", int(until.timestamp())))
            params += [("bucket_width", width), ("limit", LIMITS[width]), *(("group_by", g) for g in group_by), *narrow]
            for buckets, _last in _pages(client, base_url + path, secret, params):
                records: list[UsageRecord] = []
                spans: list[tuple[datetime, datetime]] = []
                for bucket in buckets:
                    b, b_start, b_end = _bucket_times(bucket)
                    spans.append((b_start, b_end))
                    for raw in p.items(b.get("results"), PROVIDER, "results"):
                        records.append(_usage_record(account_id, kind, reader, unit, book, raw, b_start, b_end))
                yield Page(records=tuple(records), replaces=_replaces(Source.API_USAGE, spans, (kind,)))
    cost_group = ("project_id", "api_key_id") if filters.api_key_ids else ("project_id",)
    params = [
        ("start_time", int(start.timestamp())),
        ("bucket_width", "1d"),
        ("limit", 180),
        *(("group_by", g) for g in cost_group),
        *narrow,
    ]
    for buckets, last in _pages(client, base_url + "/organization/costs", secret, params):
        records = []
        spans = []
        for bucket in buckets:
            b, b_start, b_end = _bucket_times(bucket)
            spans.append((b_start, b_end))
            for raw in p.items(b.get("results"), PROVIDER, "results"):
                records.append(_cost_record(account_id, raw, b_start, b_end))
        yield Page(records=tuple(records), cursor=done if last else {}, replaces=_replaces(Source.API_COST, spans))


def _usage_record(
    account_id: str,
    kind: str,
    reader: Callable[[dict[str, Any]], dict[str, int]],
    unit: str,
    book: PriceBook,
    raw: Any,
    b_start: datetime,
    b_end: datetime,
) -> UsageRecord:
    row = p.obj(raw, PROVIDER, "result")
    counts = reader(row)
    units = counts.pop("units", None)
    model, project = p.text(row, "model", PROVIDER), p.text(row, "project_id", PROVIDER)
    api_key = p.text(row, "api_key_id", PROVIDER)
    return UsageRecord(
        account_id=account_id,
        source=Source.API_USAGE,
        key=f"{kind}|{int(b_start.timestamp())}|{model}|{project}|{api_key}",
        bucket_start=b_start,
        bucket_end=b_end,
        provider=PROVIDER,
        model=model,
        confidence=Confidence.REPORTED,
        requests=p.count(row, "num_model_requests", PROVIDER),
        kind=kind,
        project=project,
        api_key=api_key,
        extra=_with_list_price({unit: units} if unit and units is not None else {}, book, model, b_start, counts),
        input_tokens=counts.get("input_tokens", 0),
        cached_input_tokens=counts.get("cached_input_tokens", 0),
        cache_write_tokens=counts.get("cache_write_tokens", 0),
        output_tokens=counts.get("output_tokens", 0),
    )


def _cost_record(account_id: str, raw: Any, b_start: datetime, b_end: datetime) -> UsageRecord:
    row = p.obj(raw, PROVIDER, "result")
    amount = p.obj(row.get("amount"), PROVIDER, "amount")
    currency = p.text(amount, "currency", PROVIDER).upper() or "USD"
    project, line = p.text(row, "project_id", PROVIDER), p.text(row, "line_item", PROVIDER)
    api_key = p.text(row, "api_key_id", PROVIDER)
    return UsageRecord(
        account_id=account_id,
        source=Source.API_COST,
        key=f"cost|{int(b_start.timestamp())}|{project}|{line}|{api_key}",
        bucket_start=b_start,
        bucket_end=b_end,
        provider=PROVIDER,
        confidence=Confidence.BILLED,
        cost_micros=p.dollars(amount.get("value"), PROVIDER, "amount.value") or 0,
        currency=currency,
        kind="cost",
        project=project,
        api_key=api_key,
        extra={"line_item": line} if line else {},
    )
