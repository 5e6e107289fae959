"""Manual spend: record usage the provider APIs do not see, and list recorded usage.

Amounts and times arrive as typed and are held to the bounds of :mod:`tokenwallet.domain.limits`
(through :mod:`tokenwallet.budget.inputs`); a refused value names its input in ``field``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tokenwallet.budget.inputs import parse_amount, parse_when
from tokenwallet.domain.allowance import Unit
from tokenwallet.domain.errors import UserInputError, input_field
from tokenwallet.domain.usage import Confidence, Source, UsageRecord
from tokenwallet.ledger import accounts, audit, usage
from tokenwallet.ledger.db import from_epoch
from tokenwallet.ledger.spend import LIST_COLUMNS, newest_records
from tokenwallet.services.local_zone import local_zone_name

if TYPE_CHECKING:
    from tokenwallet.app import AppContext


@dataclass(frozen=True, slots=True)
class UsageRow:
    """One recorded usage row as listed (fields in the order of the ``usage list`` contract)."""

    id: int
    account_id: str
    source: str
    confidence: str
    provider: str
    model: str
    bucket_start: datetime
    bucket_end: datetime
    input_tokens: int
    cached_input_tokens: int
    cache_write_tokens: int
    output_tokens: int
    requests: int
    cost_micros: int | None
    currency: str

    @property
    def total_tokens(self) -> int:
        """Input, cached input, cache-write and output tokens."""
        return self.input_tokens + self.cached_input_tokens + self.cache_write_tokens + self.output_tokens


def add_spend(
    ctx: AppContext,
    *,
    provider: str,
    amount: str | None = None,
    tokens: str | None = None,
    model: str = "",
    at: str | None = None,
    estimated: bool = False,
    note: str = "",
) -> UsageRecord:
    """Record spend of ``amount`` dollars and/or ``tokens`` paid to ``provider``, ``at`` (default now).

    The row goes to the manual account (created on first use) with an audit entry, in one
    transaction.  A time without an offset is read in the user's zone; it may not be in the future.
    """
    if amount is None and tokens is None:
        raise UserInputError("Give an amount in dollars, a token count, or both.", field="amount")
    if not provider.strip():
        raise UserInputError("Name the provider that was paid, e.g. openai.", field="provider")
    with input_field("amount"):
        cost = parse_amount(amount, Unit.USD) if amount is not None else None
    with input_field("tokens"):
        count = parse_amount(tokens, Unit.TOKENS, what="token count") if tokens is not None else 0
    now = ctx.clock()
    with input_field("at"):
        when = parse_when(at, local_zone_name(ctx), what="time") if at else now
    if when > now:
        raise UserInputError(f"The time {at} is in the future; manual spend is recorded when it happened.", field="at")
    record = UsageRecord(
        account_id=accounts.MANUAL_ACCOUNT_ID,
        source=Source.MANUAL,
        key=uuid.uuid4().hex,
        bucket_start=when,
        bucket_end=when,
        provider=provider.strip().lower(),
        model=model.strip(),
        confidence=Confidence.ESTIMATED if estimated else Confidence.REPORTED,
        input_tokens=count,
        cost_micros=cost,
        extra={"note": note} if note else {},
    )
    db = ctx.ledger()
    with db.atomic():
        accounts.ensure_manual(db, at=now)
        usage.upsert(db, [record], recorded_at=now)
        audit.append(
            db,
            at=now,
            action="usage.add",
            entity="usage",
            entity_id=record.key,
            details={"provider": record.provider, "model": record.model, "cost_micros": cost, "tokens": count},
        )
    return record


def _row(values: Sequence[Any]) -> UsageRow:
    item: dict[str, Any] = dict(zip(LIST_COLUMNS, values, strict=True))
    item["bucket_start"] = from_epoch(item["bucket_start"])
    item["bucket_end"] = from_epoch(item["bucket_end"])
    return UsageRow(**item)


def list_usage(
    ctx: AppContext,
    *,
    since: str | None = None,
    until: str | None = None,
    accounts: Sequence[str] = (),
    providers: Sequence[str] = (),
    limit: int = 100,
) -> list[UsageRow]:
    """The newest ``limit`` rows (newest first) from ``since`` up to ``until`` (exclusive), filtered."""
    zone_name = local_zone_name(ctx)
    with input_field("since"):
        start = parse_when(since, zone_name, what="start date") if since else None
    with input_field("until"):
        end = parse_when(until, zone_name, what="end date") if until else None
    rows = newest_records(ctx.ledger(), since=start, until=end, accounts=accounts, providers=providers, limit=limit)
    return [_row(r) for r in rows]
