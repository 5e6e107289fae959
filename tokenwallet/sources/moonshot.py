"""Moonshot / Kimi Open Platform: the balance from ``/users/me/balance``.

The China host (``api.moonshot.cn``) reports yuan; the international host is taken as USD (the
vendor does not document it).  Keys are bound to one region, so the base URL decides.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx

from tokenwallet.domain.accounts import NO_FILTERS, AccountFilters
from tokenwallet.domain.clock import Clock
from tokenwallet.domain.usage import BalanceSnapshot, SnapshotKind
from tokenwallet.sources import _parse as p
from tokenwallet.sources.base import Cursor, Page, Secret
from tokenwallet.sources.http import get_json, schema_error

PROVIDER = "moonshot"
DEFAULT_BASE_URL = "https://api.moonshot.ai/v1"


def currency_for(base_url: str) -> str:
    """CNY for the China host, USD otherwise."""
    return "CNY" if ".cn" in base_url.split("/")[2] else "USD"


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
    """One ``balance`` snapshot: available balance, with voucher and cash parts kept as detail."""
    now = clock()
    body = get_json(
        client,
        base_url + "/users/me/balance",
        provider=PROVIDER,
        headers={"Authorization": f"Bearer {secret.reveal()}"},
    )
    data = p.obj(body.get("data"), PROVIDER, "data")
    available = p.dollars(data.get("available_balance"), PROVIDER, "available_balance")
    if available is None:
        raise schema_error(PROVIDER, "data.available_balance is missing")
    snapshot = BalanceSnapshot(
        account_id=account_id,
        kind=SnapshotKind.BALANCE,
        name="available",
        observed_at=now,
        currency=currency_for(base_url),
        remaining_micros=available,
        extra={
            "voucher_micros": p.dollars(data.get("voucher_balance"), PROVIDER, "voucher_balance"),
            "cash_micros": p.dollars(data.get("cash_balance"), PROVIDER, "cash_balance"),
        },
    )
    yield Page(snapshots=(snapshot,), cursor={"since": int(now.timestamp())})
