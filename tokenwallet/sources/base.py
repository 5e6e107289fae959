"""What every API connector shares: the secret it is given, the pages it returns, its description.

A connector is a stateless function of (httpx client, base URL, secret, account id, cursor,
clock, and the account's filters) that yields :class:`Page` values one HTTP page at a time.  The
poll service writes each page in one ledger transaction and keeps the cursor of the last page for
the next poll.  A page that holds everything the provider reports for a span of time says so
(:class:`Replace`): the account's earlier rows there are deleted in the same transaction, so a
daily bucket read again as hours, or a day's running-counter rows read again as that day's
history, are never counted twice.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

import httpx

from tokenwallet.domain.accounts import NO_FILTERS, AccountFilters
from tokenwallet.domain.clock import Clock
from tokenwallet.domain.usage import BalanceSnapshot, Source, UsageRecord


class Secret(Protocol):
    """A key whose text is only revealed at the HTTP boundary (``tokenwallet.secrets.ApiKey``)."""

    def reveal(self) -> str:
        """The key's text."""
        ...


Cursor = Mapping[str, object]


@dataclass(frozen=True, slots=True)
class Replace:
    """A span a page reports in full: the account's rows of ``source`` (of ``kinds``, when given)
    whose bucket starts in ``[start, end)`` are deleted before the page's records are written."""

    source: Source
    start: datetime
    end: datetime
    kinds: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Page:
    """What one response page yields: records, snapshots, the spans it replaces and the cursor to resume from."""

    records: tuple[UsageRecord, ...] = ()
    snapshots: tuple[BalanceSnapshot, ...] = ()
    cursor: dict[str, object] = field(default_factory=dict)
    replaces: tuple[Replace, ...] = ()


class Fetch(Protocol):
    """A connector's fetch: (client, base URL, secret, account id, cursor, clock, filters) -> pages."""

    def __call__(
        self,
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
        """Yield the pages of one poll."""
        ...


@dataclass(frozen=True, slots=True)
class Connector:
    """A provider's connector as the registry lists it."""

    kind: str
    display_name: str
    default_base_url: str  # "" when the user must give one (LiteLLM gateways)
    fetch: Fetch
    key_help: str
    min_interval: timedelta = timedelta(minutes=1)  # never poll faster than the provider allows
    docs_url: str = ""
    filters: tuple[str, ...] = ()
    """The filter dimensions (``api_key_id``, ``project_id``, ...) the provider can narrow a poll by."""


def day_start(value: datetime) -> datetime:
    """Midnight UTC at or before ``value``."""
    value = value.astimezone(UTC)
    return value.replace(hour=0, minute=0, second=0, microsecond=0)


FIRST_POLL_DAYS = 31  # the first poll reads a whole month back, so month-to-date budgets are right at once


def window_start(
    cursor: Cursor, now: datetime, *, first_days: int = FIRST_POLL_DAYS, overlap_days: int = 1
) -> datetime:
    """Where an incremental poll starts: the cursor's day minus an overlap, or ``first_days`` back.

    The overlap re-reads yesterday because providers keep filling recent buckets for a while; the
    natural keys make the re-read replace, not add.
    """
    since = cursor.get("since")
    if isinstance(since, int | float):
        start = day_start(datetime.fromtimestamp(since, UTC)) - timedelta(days=overlap_days)
    else:
        start = day_start(now) - timedelta(days=first_days - 1)
    return min(start, day_start(now))
