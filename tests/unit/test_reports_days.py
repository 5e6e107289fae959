"""Every row lands on its local calendar day, across DST changes and half-hour zones."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlite_utils import Database

from tokenwallet.domain.accounts import Account, AccountKind
from tokenwallet.domain.usage import Source, UsageRecord
from tokenwallet.ledger import accounts, usage
from tokenwallet.reports.build import build_report
from tokenwallet.settings import Settings


@pytest.mark.parametrize(
    ("zone", "month"),
    [
        ("Europe/Berlin", "2026-03"),
        ("America/New_York", "2026-11"),
        ("Asia/Kolkata", "2026-06"),
        ("Australia/Lord_Howe", "2026-04"),  # a 30-minute DST change
        ("Pacific/Chatham", "2026-09"),  # +12:45 / +13:45
    ],
)
def test_half_hour_rows_land_on_their_local_day(db: Database, zone: str, month: str) -> None:
    tz = ZoneInfo(zone)
    accounts.add(db, Account(id="oa", kind=AccountKind.OPENAI, label="oa"), at=datetime(2026, 1, 1, tzinfo=UTC))
    year, mon = map(int, month.split("-"))
    first = datetime(year, mon, 1, tzinfo=UTC) - timedelta(days=2)
    rows = [
        UsageRecord(
            "oa",
            Source.API_COST,
            str(i),
            first + timedelta(minutes=30 * i),
            first + timedelta(minutes=30 * i + 30),
            "openai",
            "m",
            cost_micros=1,
        )
        for i in range(48 * 35)
    ]
    with db.atomic():
        usage.upsert(db, rows, recorded_at=first)
    report = build_report(db, month, Settings(timezone=zone), datetime(2026, 12, 31, tzinfo=UTC))
    expected = Counter(
        r.bucket_start.astimezone(tz).date() for r in rows if r.bucket_start.astimezone(tz).strftime("%Y-%m") == month
    )
    got = {d.day: d.cost_micros for d in report.daily if d.cost_micros}
    assert got == dict(expected)
    assert report.totals.cost_micros == sum(expected.values())
