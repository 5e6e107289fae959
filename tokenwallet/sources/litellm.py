"""LiteLLM proxy (a company gateway): key, user and team budgets from ``/key/info`` and friends, and the
key's spend history.

Each budget becomes a ``limit`` snapshot (``key``, ``user``, ``team``) with spend, max budget,
soft budget, duration, reset and expiry, plus one named ``effective``: the tightest of them (the
least money left), because the gateway refuses requests when any of them runs out; a backed
allowance follows the ``effective`` snapshot.  ``budget_exceeded`` and ``expired_key`` errors are
recognised by ``error.type`` because their HTTP status differs between LiteLLM versions.

History (confidence *gateway*): ``GET /user/daily/activity`` for the key itself (``api_key`` = its
hashed token), from the poll window's first day (a month back on the first poll) to today: one
``api_usage`` row per UTC day and model with its spend, tokens and requests (a day's spend the
models do not explain is a row without a model).  Each answer replaces the account's history of
those days, today's filling row included.  When the gateway refuses the endpoint (401/403/404: an
older LiteLLM, or a route kept for admins) or answers in a shape of another version, the history is
the key's running ``spend`` counter instead (see :mod:`tokenwallet.sources._gateway`): the first
poll spreads the spend of the current budget period over its days, later polls add what it rose by
since the poll before; the endpoint is asked again the next UTC day, and once it answers, it
replaces the counter's rows of its first window (a month).
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import httpx

from tokenwallet.domain.accounts import NO_FILTERS, AccountFilters
from tokenwallet.domain.clock import Clock
from tokenwallet.domain.errors import ProviderSchemaError, SourceError
from tokenwallet.domain.usage import BalanceSnapshot, Confidence, SnapshotKind, Source, UsageRecord
from tokenwallet.sources import _gateway as gw
from tokenwallet.sources import _parse as p
from tokenwallet.sources.base import Cursor, Page, Replace, Secret, day_start, window_start
from tokenwallet.sources.http import get_json, schema_error

log = logging.getLogger(__name__)

PROVIDER = "litellm"
DEFAULT_BASE_URL = ""  # the company's gateway; the user must give it
ACTIVITY_PATH = "/user/daily/activity"
REFUSED = (401, 403, 404)
"""Statuses with which a gateway refuses the history endpoint (then the running counter is used)."""
PAGE_SIZE = 1000
MAX_PAGES = 100
_DURATION = re.compile(r"^\s*(\d{1,6})\s*([smhd])\s*$")


def management_base(base_url: str) -> str:
    """Management routes live at the root: strip a trailing ``/v1``."""
    base = base_url.rstrip("/")
    return base[:-3] if base.endswith("/v1") else base


def _snapshot(account_id: str, name: str, row: dict[str, Any], now: datetime) -> BalanceSnapshot:
    spend = p.dollars(row.get("spend"), PROVIDER, f"{name}.spend")
    if spend is None:  # LiteLLM always reports spend; a row without it is not budget info
        raise schema_error(PROVIDER, f"{name}.spend is missing")
    budget = p.dollars(row.get("max_budget"), PROVIDER, f"{name}.max_budget")
    table = row.get("litellm_budget_table")
    soft = None
    if isinstance(table, dict):
        soft = p.dollars(table.get("soft_budget"), PROVIDER, "litellm_budget_table.soft_budget")
        if budget is None:
            budget = p.dollars(table.get("max_budget"), PROVIDER, "litellm_budget_table.max_budget")
    return BalanceSnapshot(
        account_id=account_id,
        kind=SnapshotKind.LIMIT,
        name=name,
        observed_at=now,
        spent_micros=spend,
        limit_micros=budget,
        remaining_micros=None if budget is None else p.left(budget, spend, PROVIDER, f"{name}.max_budget - spend"),
        soft_limit_micros=soft,
        period=p.text(row, "budget_duration", PROVIDER),
        resets_at=p.moment(row.get("budget_reset_at"), PROVIDER, f"{name}.budget_reset_at"),
        expires_at=p.moment(row.get("expires"), PROVIDER, f"{name}.expires"),
    )


def tightest(snapshots: list[BalanceSnapshot]) -> BalanceSnapshot | None:
    """The budget with the least money left (ties: the one that resets last); None if none is limited."""
    limited = [s for s in snapshots if s.remaining_micros is not None]
    if not limited:
        return None
    return min(limited, key=lambda s: (s.remaining_micros or 0, -(s.resets_at.timestamp() if s.resets_at else 0)))


def hashed_token(secret: Secret) -> str:
    """The key's hashed token as LiteLLM stores it (SHA-256 hex): how its history is asked for."""
    return hashlib.sha256(secret.reveal().encode("utf-8")).hexdigest()


def period_start(duration: str, resets_at: datetime | None) -> datetime | None:
    """When the current budget period began, from its duration and next reset (None if unknown).

    LiteLLM puts resets on calendar boundaries: ``30d`` on the 1st of a month, ``7d`` on a Monday,
    ``1d``/``24h`` at midnight; other durations run from the previous reset.
    """
    match = _DURATION.match(duration or "")
    if resets_at is None or match is None:
        return None
    n, unit = int(match.group(1)), match.group(2)
    if (n, unit) == (30, "d") and resets_at == day_start(resets_at) and resets_at.day == 1:
        return (resets_at - timedelta(days=1)).replace(day=1)
    return resets_at - timedelta(seconds=n * {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit])


def _activity_rows(account_id: str, result: Any) -> tuple[date, list[UsageRecord]]:
    """One day of the activity report: a row per model, and one without a model for spend they leave out."""
    row = p.obj(result, PROVIDER, "results item")
    start = p.day(row, "date", PROVIDER)
    day = start.date()
    metrics = p.obj(row.get("metrics"), PROVIDER, "metrics")
    total = p.dollars(metrics.get("spend"), PROVIDER, "metrics.spend")
    if total is None:
        raise schema_error(PROVIDER, "metrics.spend is missing")
    breakdown = p.obj(row.get("breakdown") or {}, PROVIDER, "breakdown")
    models = p.obj(breakdown.get("models") or {}, PROVIDER, "breakdown.models")
    records: list[UsageRecord] = []
    for model, entry in sorted(models.items()):
        m = p.obj(p.obj(entry, PROVIDER, f"models[{model!r}]").get("metrics"), PROVIDER, "model metrics")
        records.append(_activity_record(account_id, start, p.text({"m": model}, "m", PROVIDER), m))
    explained = sum(r.cost_micros or 0 for r in records)
    if abs(total - explained) > len(records):  # more than each model's rounding to the micro-dollar
        records.append(
            UsageRecord(
                account_id=account_id,
                source=Source.API_USAGE,
                key=f"{gw.ACTIVITY}|{day.isoformat()}|",
                bucket_start=start,
                bucket_end=start + timedelta(days=1),
                provider=PROVIDER,
                confidence=Confidence.GATEWAY,
                cost_micros=p.left(total, explained, PROVIDER, "metrics.spend - model spend"),
                kind=gw.ACTIVITY,
            )
        )
    return day, records


def _activity_record(account_id: str, start: datetime, model: str, m: dict[str, Any]) -> UsageRecord:
    prompt = p.count(m, "prompt_tokens", PROVIDER)
    cache_read = p.count(m, "cache_read_input_tokens", PROVIDER)
    cache_write = p.count(m, "cache_creation_input_tokens", PROVIDER)
    spend = p.dollars(m.get("spend"), PROVIDER, "model metrics.spend")
    return UsageRecord(
        account_id=account_id,
        source=Source.API_USAGE,
        key=f"{gw.ACTIVITY}|{start.date().isoformat()}|{model}",
        bucket_start=start,
        bucket_end=start + timedelta(days=1),
        provider=PROVIDER,
        model=model,
        confidence=Confidence.GATEWAY,
        # Prompt tokens hold the cache reads and writes (LiteLLM counts them as OpenAI does).
        input_tokens=max(0, prompt - cache_read - cache_write),
        cached_input_tokens=cache_read,
        cache_write_tokens=cache_write,
        output_tokens=p.count(m, "completion_tokens", PROVIDER),
        requests=p.count(m, "api_requests", PROVIDER),
        cost_micros=spend if spend is not None else 0,
        kind=gw.ACTIVITY,
    )


def _activity(
    client: httpx.Client, base: str, headers: dict[str, str], secret: Secret, account_id: str, first: date, last: date
) -> list[UsageRecord]:
    """The key's history from ``first`` to ``last`` (UTC days), every page of it."""
    records: list[UsageRecord] = []
    params: dict[str, str | int] = {
        "start_date": first.isoformat(),
        "end_date": last.isoformat(),
        "api_key": hashed_token(secret),
        "page_size": PAGE_SIZE,
    }
    for page in range(1, MAX_PAGES + 1):
        body = get_json(
            client, base + ACTIVITY_PATH, provider=PROVIDER, headers=headers, params={**params, "page": page}
        )
        for result in p.items(body.get("results"), PROVIDER, "results", required=True):
            day, rows = _activity_rows(account_id, result)
            if not first <= day <= last:
                raise schema_error(PROVIDER, f"results date {day} is outside {first}..{last}")
            records.extend(rows)
        meta = body.get("metadata")
        if not isinstance(meta, dict) or not meta.get("has_more"):
            return records
    raise schema_error(PROVIDER, f"more than {MAX_PAGES} pages of daily activity")


def _history(
    client: httpx.Client,
    base: str,
    headers: dict[str, str],
    secret: Secret,
    account_id: str,
    cursor: Cursor,
    now: datetime,
    key: BalanceSnapshot,
    info: dict[str, Any],
) -> tuple[list[UsageRecord], tuple[Replace, ...], dict[str, object]]:
    """The key's spend history since the last poll: the activity endpoint, else its running counter.

    Returns the rows, the spans they replace and the cursor fields to keep.
    """
    today = now.date().isoformat()
    counter = key.spent_micros or 0
    state: dict[str, object] = {"counter": counter, "counter_at": int(now.timestamp())}
    if cursor.get("activity_refused_on") != today:
        # After polls of the counter, the history reads the whole first window again and replaces the
        # counter's rows there (a counter spread over days is only right as a total).
        first = window_start({} if cursor.get("activity") is False else cursor, now)
        try:
            rows = _activity(client, base, headers, secret, account_id, first.date(), now.date())
        except ProviderSchemaError:
            # The endpoint is marked beta upstream: an answer in another shape means the counter instead.
            log.warning("%s answered the daily activity in an unknown shape; using the key's spend counter", PROVIDER)
        except SourceError as exc:
            if exc.status not in REFUSED:
                raise
        else:
            end = day_start(now) + timedelta(days=1)
            spans = (
                Replace(Source.API_USAGE, first, end, (gw.ACTIVITY,)),
                Replace(Source.BALANCE, first, end, (gw.COUNTER,)),
            )
            return rows, spans, {**state, "activity": True}
        state = {**state, "activity": False, "activity_refused_on": today}
    before = gw.last_counter(cursor)
    if before is not None:
        return gw.since_last_poll(account_id, PROVIDER, before, now, counter), (), state
    # First poll without history: spread the key's spend over its budget period so far.
    began = period_start(key.period, key.resets_at) or p.moment(info.get("created_at"), PROVIDER, "created_at")
    if began is None or began >= now:
        return [], (), state
    rows = gw.backfill(account_id, PROVIDER, [(began, now, counter)], now)
    return rows, (Replace(Source.BALANCE, began, now + timedelta(seconds=1), (gw.COUNTER,)),), state


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
    """Read the key's budget, then its user's and team's when the key names them, then the key's history."""
    now = clock()
    base = management_base(base_url)
    headers = {"Authorization": f"Bearer {secret.reveal()}"}
    info = p.obj(get_json(client, base + "/key/info", provider=PROVIDER, headers=headers).get("info"), PROVIDER, "info")
    snapshots = [_snapshot(account_id, "key", info, now)]
    user_id, team_id = p.text(info, "user_id", PROVIDER), p.text(info, "team_id", PROVIDER)
    if user_id:
        body = get_json(client, base + "/user/info", provider=PROVIDER, headers=headers, params={"user_id": user_id})
        if isinstance(body.get("user_info"), dict):
            snapshots.append(_snapshot(account_id, "user", body["user_info"], now))
    if team_id:
        body = get_json(client, base + "/team/info", provider=PROVIDER, headers=headers, params={"team_id": team_id})
        if isinstance(body.get("team_info"), dict):
            snapshots.append(_snapshot(account_id, "team", body["team_info"], now))
    best = tightest(snapshots)
    if best is not None:
        expiry = snapshots[0].expires_at
        snapshots.append(
            BalanceSnapshot(
                account_id=account_id,
                kind=SnapshotKind.LIMIT,
                name="effective",
                observed_at=now,
                spent_micros=best.spent_micros,
                limit_micros=best.limit_micros,
                remaining_micros=best.remaining_micros,
                soft_limit_micros=best.soft_limit_micros,
                period=best.period,
                resets_at=best.resets_at,
                expires_at=expiry,
                extra={"from": best.name},
            )
        )
    records, replaces, state = _history(client, base, headers, secret, account_id, cursor, now, snapshots[0], info)
    yield Page(
        records=tuple(records),
        snapshots=tuple(snapshots),
        cursor={"since": int(now.timestamp()), **state},
        replaces=replaces,
    )
