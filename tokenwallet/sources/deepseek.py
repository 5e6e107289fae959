"""DeepSeek: the prepaid balance from ``/user/balance`` (decimal strings in major units)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx

from tokenwallet.domain.accounts import NO_FILTERS, AccountFilters
from tokenwallet.domain.clock import Clock
from tokenwallet.domain.usage import BalanceSnapshot, SnapshotKind
from tokenwallet.sources import _parse as p
from tokenwallet.sources.base import Cursor, Page, Secret
from tokenwallet.sources.http import get_json, schema_error

PROVIDER = "deepseek"
DEFAULT_BASE_URL = "https://api.deepseek.com"


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
    """One ``balance`` snapshot per currency (micro-units of that currency)."""
    now = clock()
    body = get_json(
        client, base_url + "/user/balance", provider=PROVIDER, headers={"Authorization": f"Bearer {secret.reveal()}"}
    )
    snapshots = []
    for raw in p.items(body.get("balance_infos"), PROVIDER, "balance_infos", required=True):
        row = p.obj(raw, PROVIDER, "balance_info")
        currency = p.text(row, "currency", PROVIDER).upper() or "USD"
        total = p.dollars(row.get("total_balance"), PROVIDER, "total_balance")
        if total is None:
            raise schema_error(PROVIDER, "balance_info.total_balance is missing")
        snapshots.append(
            BalanceSnapshot(
                account_id=account_id,
                kind=SnapshotKind.BALANCE,
                name=currency.lower(),
                observed_at=now,
                currency=currency,
                remaining_micros=total,
                extra={
                    "granted_micros": p.dollars(row.get("granted_balance"), PROVIDER, "granted_balance"),
                    "topped_up_micros": p.dollars(row.get("topped_up_balance"), PROVIDER, "topped_up_balance"),
                    "is_available": bool(body.get("is_available", True)),
                },
            )
        )
    yield Page(snapshots=tuple(snapshots), cursor={"since": int(now.timestamp())})
