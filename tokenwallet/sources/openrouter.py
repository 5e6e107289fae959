"""OpenRouter: the key's limit and spend (``/key``); for a management key, the account's credits, per-day
history (``/activity``) and, with api key filters, those keys' limits and spend (``/keys/{hash}``).

``/key`` (or ``/keys/{hash}``) becomes a ``limit`` snapshot named ``key`` (limit, remaining, spend in
the limit's period, reset and expiry).  Spend history (confidence *gateway*):

* **An inference key** (the key you use): its running ``usage`` counter (see
  :mod:`tokenwallet.sources._gateway`).  The first poll places the month so far from the key's
  ``usage_monthly``, ``usage_weekly`` and ``usage_daily`` (each part spread over its days); later
  polls add what ``usage`` rose by since the poll before, the part after midnight placed exactly
  by ``usage_daily``.  No day is ever one row per poll.
* **A management key**: ``/activity`` gives each completed UTC day per model (spend, tokens,
  requests) for the last 30 days, narrowed to the keys in the account's api key filters
  (``api_key_hash``); each day read replaces that day's rows.  Today, not yet in the history, is
  the counter of those keys' ``usage`` (``/keys/{hash}``) or, without filters, of the account's
  ``/credits`` usage.  A day is read again until six hours after it ended, for late arrivals.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from tokenwallet.domain.accounts import NO_FILTERS, AccountFilters
from tokenwallet.domain.clock import Clock
from tokenwallet.domain.usage import BalanceSnapshot, Confidence, SnapshotKind, Source, UsageRecord
from tokenwallet.sources import _gateway as gw
from tokenwallet.sources import _parse as p
from tokenwallet.sources.base import Cursor, Page, Replace, Secret, day_start
from tokenwallet.sources.http import get_json, schema_error

PROVIDER = "openrouter"
DEFAULT_BASE_URL = "https://openrouter.ai/api/v1"
FILTERS = ("api_key_id",)
"""A management key's account is narrowed by key hashes (the keys API's ``hash``)."""
SETTLE = timedelta(hours=6)
"""How long after a UTC day ended its history is read again (late arrivals)."""
ACTIVITY_DAYS = 30


def next_reset(period: str, now: datetime) -> datetime | None:
    """When a ``daily``/``weekly``/``monthly`` OpenRouter limit resets (midnight UTC, weeks from Monday)."""
    today = day_start(now)
    if period == "daily":
        return today + timedelta(days=1)
    if period == "weekly":
        return today + timedelta(days=7 - today.weekday())
    if period == "monthly":
        return (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    return None


def _key_snapshot(account_id: str, data: dict[str, Any], now: datetime, name: str = "key") -> BalanceSnapshot:
    """The limit snapshot of a key's ``data`` (``/key`` or ``/keys/{hash}``)."""
    period = p.text(data, "limit_reset", PROVIDER)
    spent_key = {"daily": "usage_daily", "weekly": "usage_weekly", "monthly": "usage_monthly"}.get(period, "usage")
    limit = p.dollars(data.get("limit"), PROVIDER, "limit")
    return BalanceSnapshot(
        account_id=account_id,
        kind=SnapshotKind.LIMIT,
        name=name,
        observed_at=now,
        spent_micros=p.dollars(data.get(spent_key), PROVIDER, spent_key),
        limit_micros=limit,
        remaining_micros=p.dollars(data.get("limit_remaining"), PROVIDER, "limit_remaining"),
        period=period,
        resets_at=next_reset(period, now) if limit is not None else None,
        expires_at=p.moment(data.get("expires_at"), PROVIDER, "expires_at"),
        extra={
            "usage_total_micros": p.dollars(data.get("usage"), PROVIDER, "usage"),
            "label": p.text(data, "label", PROVIDER),
        },
    )


def _key_data(body: dict[str, Any]) -> dict[str, Any]:
    data = p.obj(body.get("data"), PROVIDER, "data")
    if data.get("usage") is None:  # every version of /key reports the key's usage: without it this is not /key
        raise schema_error(PROVIDER, "data.usage is missing")
    return data


def _usage(data: dict[str, Any], name: str) -> int:
    value = p.dollars(data.get(name), PROVIDER, name)
    return max(value or 0, 0)


def _month_so_far(account_id: str, data: dict[str, Any], now: datetime) -> list[UsageRecord]:
    """The first poll's history of an inference key: the month so far, from its monthly, weekly and daily spend."""
    today = day_start(now)
    month, week = today.replace(day=1), today - timedelta(days=today.weekday())
    monthly, weekly, daily = (_usage(data, f"usage_{n}") for n in ("monthly", "weekly", "daily"))
    parts = [(today, now, min(daily, monthly))]
    if week > month:
        parts += [(week, today, max(min(weekly, monthly) - daily, 0)), (month, week, max(monthly - weekly, 0))]
    else:  # the week began last month: only the month's part of it is known
        parts += [(month, today, max(monthly - daily, 0))]
    return gw.backfill(account_id, PROVIDER, parts, now)


def _activity_day(items: list[Any], account_id: str, tag: str) -> dict[date, list[UsageRecord]]:
    """``/activity`` items summed per day and model (a model served by several providers is one row)."""
    sums: dict[tuple[date, str], list[int]] = {}
    for raw in items:
        item = p.obj(raw, PROVIDER, "activity item")
        day = p.day(item, "date", PROVIDER).date()
        money = p.dollars(item.get("usage"), PROVIDER, "activity usage")
        if money is None:
            raise schema_error(PROVIDER, "activity usage is missing")
        figures = [
            money,
            p.count(item, "prompt_tokens", PROVIDER),
            p.count(item, "completion_tokens", PROVIDER),
            p.count(item, "reasoning_tokens", PROVIDER),
            p.count(item, "requests", PROVIDER),
        ]
        found = sums.setdefault((day, p.text(item, "model", PROVIDER)), [0] * len(figures))
        for i, value in enumerate(figures):
            found[i] += value
    days: dict[date, list[UsageRecord]] = {}
    for (day, model), (money, prompt, completion, reasoning, requests) in sorted(sums.items()):
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        days.setdefault(day, []).append(
            UsageRecord(
                account_id=account_id,
                source=Source.API_USAGE,
                key=f"{gw.ACTIVITY}|{day.isoformat()}|{model}|{tag}",
                bucket_start=start,
                bucket_end=start + timedelta(days=1),
                provider=PROVIDER,
                model=model,
                confidence=Confidence.GATEWAY,
                input_tokens=p.count_sum(PROVIDER, "prompt_tokens", prompt),
                output_tokens=p.count_sum(PROVIDER, "completion_tokens", completion),
                reasoning_tokens=p.count_sum(PROVIDER, "reasoning_tokens", reasoning),
                requests=p.count_sum(PROVIDER, "requests", requests),
                cost_micros=p.left(money, 0, PROVIDER, "activity usage"),
                kind=gw.ACTIVITY,
            )
        )
    return days


def _days_to_read(cursor: Cursor, now: datetime) -> list[date] | None:
    """The completed days whose history this poll reads (None: all of the last 30, on a first poll)."""
    through = cursor.get("activity_through")
    yesterday = now.date() - timedelta(days=1)
    if not isinstance(through, str):
        return None
    try:
        last = date.fromisoformat(through)
    except ValueError:
        return None
    first = max(last + timedelta(days=1), now.date() - timedelta(days=ACTIVITY_DAYS))
    return [first + timedelta(days=n) for n in range((yesterday - first).days + 1)]


def _management(
    client: httpx.Client,
    base_url: str,
    headers: dict[str, str],
    account_id: str,
    cursor: Cursor,
    now: datetime,
    filters: AccountFilters,
) -> Page:
    """A management key's poll: credits, the history of completed days, today's counter, the keys' limits."""
    credits = p.obj(
        get_json(client, base_url + "/credits", provider=PROVIDER, headers=headers).get("data"), PROVIDER, "data"
    )
    total = p.dollars(credits.get("total_credits"), PROVIDER, "total_credits")
    used = p.dollars(credits.get("total_usage"), PROVIDER, "total_usage")
    if total is None or used is None:
        raise schema_error(PROVIDER, "credits without total_credits/total_usage")
    snapshots = [
        BalanceSnapshot(
            account_id=account_id,
            kind=SnapshotKind.BALANCE,
            name="credits",
            observed_at=now,
            spent_micros=used,
            limit_micros=total,
            remaining_micros=p.left(total, used, PROVIDER, "total_credits - total_usage"),
        )
    ]
    hashes = filters.api_key_ids
    counter, today = used, None
    if hashes:
        counter, today = 0, 0
        for i, key_hash in enumerate(hashes):
            data = _key_data(get_json(client, f"{base_url}/keys/{key_hash}", provider=PROVIDER, headers=headers))
            snapshots.append(_key_snapshot(account_id, data, now, "key" if len(hashes) == 1 else f"key-{i + 1}"))
            counter += _usage(data, "usage")
            today += _usage(data, "usage_daily")
    wanted = _days_to_read(cursor, now)
    by_day: dict[date, list[UsageRecord]] = {}
    for key_hash in hashes or ("",):
        for day in wanted if wanted is not None else [None]:
            params = {k: v for k, v in (("date", day.isoformat() if day else ""), ("api_key_hash", key_hash)) if v}
            body = get_json(client, base_url + "/activity", provider=PROVIDER, headers=headers, params=params)
            items = p.items(body.get("data"), PROVIDER, "data", required=True)
            for found_day, rows in _activity_day(items, account_id, key_hash[:16]).items():
                by_day.setdefault(found_day, []).extend(rows)
    days = set(by_day) | set(wanted or [])
    records = [r for day in sorted(by_day) for r in by_day[day]]
    replaces: list[Replace] = []
    for day in sorted(days):
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        replaces += [
            Replace(Source.API_USAGE, start, start + timedelta(days=1), (gw.ACTIVITY,)),
            Replace(Source.BALANCE, start, start + timedelta(days=1), (gw.COUNTER,)),
        ]
    read_through = max(days) if days else None
    before = gw.last_counter(cursor)
    if before is not None:
        counted = gw.since_last_poll(account_id, PROVIDER, before, now, counter, today=today)
    elif today:  # a first poll with keys: their spend today so far is known
        counted = gw.counter_rows(account_id, PROVIDER, "first", [(day_start(now), now, today)])
    else:
        counted = []
    # Counter pieces of a day whose history was read in this poll are already in that history.
    records += [r for r in counted if read_through is None or r.bucket_start.date() > read_through]
    settled = now.date() - timedelta(days=1) if now - day_start(now) >= SETTLE else now.date() - timedelta(days=2)
    state: dict[str, object] = {
        "since": int(now.timestamp()),
        "counter": counter,
        "counter_at": int(now.timestamp()),
        "activity_through": settled.isoformat(),
    }
    return Page(records=tuple(records), snapshots=tuple(snapshots), cursor=state, replaces=tuple(replaces))


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
    """Read ``/key``; for an inference key its counter history, for a management key :func:`_management`."""
    now = clock()
    headers = {"Authorization": f"Bearer {secret.reveal()}"}
    data = _key_data(get_json(client, base_url + "/key", provider=PROVIDER, headers=headers))
    snapshot = _key_snapshot(account_id, data, now)
    if data.get("is_management_key") or data.get("is_provisioning_key"):
        page = _management(client, base_url, headers, account_id, cursor, now, filters)
        if not filters.api_key_ids:  # the management key's own limit, as before
            page = Page(page.records, (snapshot, *page.snapshots), page.cursor, page.replaces)
        yield page
        return
    counter = _usage(data, "usage")
    state: dict[str, object] = {"since": int(now.timestamp()), "counter": counter, "counter_at": int(now.timestamp())}
    before = gw.last_counter(cursor)
    if before is not None:
        records = gw.since_last_poll(account_id, PROVIDER, before, now, counter, today=_usage(data, "usage_daily"))
        yield Page(records=tuple(records), snapshots=(snapshot,), cursor=state)
        return
    # First poll: the month so far replaces whatever this account recorded for it (older versions
    # wrote one row per polled day).
    month = day_start(now).replace(day=1)
    yield Page(
        records=tuple(_month_so_far(account_id, data, now)),
        snapshots=(snapshot,),
        cursor=state,
        replaces=(Replace(Source.BALANCE, month, now + timedelta(seconds=1)),),
    )
