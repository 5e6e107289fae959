"""OpenRouter: the key's limit and usage (``/key``) and, for a management key, ``/credits``.

``/key`` becomes a ``limit`` snapshot named ``key`` (limit, remaining, spend in the limit's
period, reset and expiry) and one ``balance``-source usage row per UTC day carrying the reported
``usage_daily`` dollars (confidence *reported*), so the budget sees daily spend even though
OpenRouter gives no per-model history to an inference key.  The day's row is replaced on every
poll, so re-polling never adds.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import httpx

from tokenwallet.domain.accounts import NO_FILTERS, AccountFilters
from tokenwallet.domain.clock import Clock
from tokenwallet.domain.usage import BalanceSnapshot, Confidence, SnapshotKind, Source, UsageRecord
from tokenwallet.sources import _parse as p
from tokenwallet.sources.base import Cursor, Page, Secret, day_start
from tokenwallet.sources.http import get_json, schema_error

PROVIDER = "openrouter"
DEFAULT_BASE_URL = "https://openrouter.ai/api/v1"


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
    """Read ``/key`` (and ``/credits`` when the key is a management key)."""
    now = clock()
    headers = {"Authorization": f"Bearer {secret.reveal()}"}
    body = get_json(client, base_url + "/key", provider=PROVIDER, headers=headers)
    data = p.obj(body.get("data"), PROVIDER, "data")
    if data.get("usage") is None:  # every version of /key reports the key's usage: without it this is not /key
        raise schema_error(PROVIDER, "data.usage is missing")
    period = p.text(data, "limit_reset", PROVIDER)
    spent_key = {"daily": "usage_daily", "weekly": "usage_weekly", "monthly": "usage_monthly"}.get(period, "usage")
    limit = p.dollars(data.get("limit"), PROVIDER, "limit")
    spent = p.dollars(data.get(spent_key), PROVIDER, spent_key)
    snapshot = BalanceSnapshot(
        account_id=account_id,
        kind=SnapshotKind.LIMIT,
        name="key",
        observed_at=now,
        spent_micros=spent,
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
    daily = p.dollars(data.get("usage_daily"), PROVIDER, "usage_daily")
    records: tuple[UsageRecord, ...] = ()
    if daily is not None:
        start = day_start(now)
        records = (
            UsageRecord(
                account_id=account_id,
                source=Source.BALANCE,
                key=f"daily|{start.date().isoformat()}",
                bucket_start=start,
                bucket_end=start + timedelta(days=1),
                provider=PROVIDER,
                confidence=Confidence.REPORTED,
                cost_micros=daily,
                kind="daily_spend",
            ),
        )
    snapshots = [snapshot]
    if data.get("is_management_key") or data.get("is_provisioning_key"):
        credits = p.obj(
            get_json(client, base_url + "/credits", provider=PROVIDER, headers=headers).get("data"), PROVIDER, "data"
        )
        total = p.dollars(credits.get("total_credits"), PROVIDER, "total_credits")
        used = p.dollars(credits.get("total_usage"), PROVIDER, "total_usage")
        if total is None or used is None:
            raise schema_error(PROVIDER, "credits without total_credits/total_usage")
        snapshots.append(
            BalanceSnapshot(
                account_id=account_id,
                kind=SnapshotKind.BALANCE,
                name="credits",
                observed_at=now,
                spent_micros=used,
                limit_micros=total,
                remaining_micros=p.left(total, used, PROVIDER, "total_credits - total_usage"),
            )
        )
    yield Page(records=records, snapshots=tuple(snapshots), cursor={"since": int(now.timestamp())})
