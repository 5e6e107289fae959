"""LiteLLM proxy (a company gateway): key, user and team budgets from ``/key/info`` and friends.

Each budget becomes a ``limit`` snapshot (``key``, ``user``, ``team``) with spend, max budget,
soft budget, duration, reset and expiry, plus one named ``effective``: the tightest of them (the
least money left), because the gateway refuses requests when any of them runs out.  LiteLLM
reports only cumulative spend, so no usage rows are written; a backed allowance follows the
``effective`` snapshot.  ``budget_exceeded`` and ``expired_key`` errors are recognised by
``error.type`` because their HTTP status differs between LiteLLM versions.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx

from tokenwallet.domain.accounts import NO_FILTERS, AccountFilters
from tokenwallet.domain.clock import Clock
from tokenwallet.domain.usage import BalanceSnapshot, SnapshotKind
from tokenwallet.sources import _parse as p
from tokenwallet.sources.base import Cursor, Page, Secret
from tokenwallet.sources.http import get_json, schema_error

PROVIDER = "litellm"
DEFAULT_BASE_URL = ""  # the company's gateway; the user must give it


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
    """Read the key's budget, then its user's and team's when the key names them."""
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
    yield Page(snapshots=tuple(snapshots), cursor={"since": int(now.timestamp())})
