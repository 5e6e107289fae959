"""The monthly report on a ledger: local-day boundaries, reconciliation, CSV and JSON read back."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlite_utils import Database

from tokenwallet.domain.accounts import Account, AccountKind
from tokenwallet.domain.allowance import Allowance, Cadence, Grant, GrantKind, Unit
from tokenwallet.domain.errors import UserInputError
from tokenwallet.domain.money import usd_to_micros as usd
from tokenwallet.domain.usage import Confidence, Source, UsageRecord
from tokenwallet.ledger import accounts, allowances, usage
from tokenwallet.ledger import alerts as alert_store
from tokenwallet.reports.build import build_report
from tokenwallet.reports.csv_export import COLUMNS, to_csv
from tokenwallet.reports.json_export import to_json
from tokenwallet.settings import Settings

BERLIN = Settings(timezone="Europe/Berlin", pay_amount="5000", display_currency="EUR", currency_rate="0.9")
NOW = datetime(2026, 11, 20, tzinfo=UTC)
KEY_HINT = "sk-...Zq9x"


def rec(account: str, at: datetime, key: str, **fields: Any) -> UsageRecord:
    values: dict[str, Any] = dict(
        account_id=account,
        source=Source.API_COST,
        key=key,
        bucket_start=at,
        bucket_end=at + timedelta(hours=1),
        provider="openai",
        model="gpt-5",
    )
    values.update(fields)
    return UsageRecord(**values)


@pytest.fixture
def ledger(db: Database) -> Database:
    t0 = datetime(2026, 8, 1, tzinfo=UTC)
    accounts.add(db, Account(id="oa", kind=AccountKind.OPENAI, label="work key", key_hint=KEY_HINT), at=t0)
    accounts.add(db, Account(id="an", kind=AccountKind.ANTHROPIC, label="anthropic"), at=t0)
    accounts.add(db, Account(id="cc", kind=AccountKind.CLAUDE_CODE, label="claude code"), at=t0)
    allowance = Allowance(
        id="work",
        name="work",
        unit=Unit.USD,
        amount=usd(100),
        cadence=Cadence.MONTHLY,
        starts_at=datetime(2026, 9, 1, tzinfo=UTC),
        timezone="Europe/Berlin",
    )
    allowances.add(db, allowance, at=t0)
    allowances.add_grant(
        db,
        Grant("g1", "work", GrantKind.TOPUP, usd(20), datetime(2026, 10, 5, tzinfo=UTC)),
        at=datetime(2026, 10, 5, tzinfo=UTC),
    )
    rows = [
        # 23:00 local on 30 September (CEST, UTC+2): not October
        rec("oa", datetime(2026, 9, 30, 21, tzinfo=UTC), "sep", cost_micros=usd(1)),
        # 00:00 local on 1 October: the first hour of the month
        rec("oa", datetime(2026, 9, 30, 22, tzinfo=UTC), "oct-first", cost_micros=usd(2), project="alpha", requests=3),
        rec(
            "oa",
            datetime(2026, 9, 30, 22, tzinfo=UTC),
            "oct-tokens",
            source=Source.API_USAGE,
            input_tokens=1000,
            output_tokens=200,
            requests=3,
            project="alpha",
        ),
        # the day the clocks go back (25 hours): 23:30 UTC is already 26 October in Berlin (CET, UTC+1)
        rec("oa", datetime(2026, 10, 25, 22, tzinfo=UTC), "dst-late", cost_micros=usd(4), workspace="ws1"),
        rec("oa", datetime(2026, 10, 25, 23, tzinfo=UTC), "dst-next", cost_micros=usd(8)),
        # 23:00 local on 31 October (CET): the last hour of the month; 00:00 local 1 November is not
        rec("oa", datetime(2026, 10, 31, 22, tzinfo=UTC), "oct-last", cost_micros=usd(16)),
        rec("oa", datetime(2026, 10, 31, 23, tzinfo=UTC), "nov", cost_micros=usd(32)),
        # a provider with daily UTC buckets
        rec(
            "an",
            datetime(2026, 10, 10, tzinfo=UTC),
            "day",
            provider="anthropic",
            model="claude",
            bucket_end=datetime(2026, 10, 11, tzinfo=UTC),
            cost_micros=usd("3.333333"),
            confidence=Confidence.BILLED,
        ),
        # local logs: one priced estimate, one unpriced
        rec(
            "cc",
            datetime(2026, 10, 12, 9, tzinfo=UTC),
            "log1",
            source=Source.LOCAL_LOG,
            provider="anthropic",
            model="claude",
            confidence=Confidence.ESTIMATED,
            input_tokens=500,
            output_tokens=50,
            cost_micros=usd("0.25"),
            api_key="key-id-7",
        ),
        rec(
            "cc",
            datetime(2026, 10, 12, 10, tzinfo=UTC),
            "log2",
            source=Source.LOCAL_LOG,
            provider="anthropic",
            model="mystery",
            confidence=Confidence.ESTIMATED,
            input_tokens=70,
            output_tokens=7,
        ),
    ]
    with db.atomic():
        usage.upsert(db, rows, recorded_at=t0)
    with db.atomic():
        alert_store.add_event(
            db,
            rule_id="r1",
            allowance_id="work",
            period_key="k",
            kind="threshold",
            fired_at=datetime(2026, 10, 20, tzinfo=UTC),
            severity="warning",
            title="work: 50% used",
            message="m",
        )
    return db


def test_local_days_and_reconciliation(ledger: Database) -> None:
    report = build_report(ledger, "2026-10", BERLIN, NOW)
    assert report.start == datetime(2026, 9, 30, 22, tzinfo=UTC)
    assert report.end == datetime(2026, 10, 31, 23, tzinfo=UTC)
    plain = ledger.execute(
        "SELECT SUM(cost_micros), COUNT(*) FROM usage WHERE bucket_start >= ? AND bucket_start < ?",
        [int(report.start.timestamp()), int(report.end.timestamp())],
    ).fetchone()
    assert report.totals.cost_micros == plain[0] == usd("33.583333")
    assert report.totals.rows == plain[1] == 8
    assert report.totals.estimated_micros == usd("0.25")
    assert report.totals.billed_micros == usd("3.333333")
    assert report.totals.unpriced_rows == 1
    assert report.totals.tokens == 1200 + 550 + 77
    by_day = {d.day: d.cost_micros for d in report.daily}
    assert len(report.daily) == 31
    assert by_day[date(2026, 10, 1)] == usd(2)
    assert by_day[date(2026, 10, 25)] == usd(4)
    assert by_day[date(2026, 10, 26)] == usd(8)
    assert by_day[date(2026, 10, 31)] == usd(16)
    assert sum(by_day.values()) == report.totals.cost_micros
    assert any("anthropic gives daily UTC buckets" in n for n in report.notes)
    assert [a.title for a in report.alerts] == ["work: 50% used"]
    groups = {(g.dimension, g.value): g.cost_micros for g in report.groups}
    assert groups[("account", "oa")] == usd(30)
    assert groups[("project", "alpha")] == usd(2)
    assert groups[("workspace", "ws1")] == usd(4)
    assert ("project", "") not in groups


def test_allowance_line_and_compensation(ledger: Database) -> None:
    report = build_report(ledger, "2026-10", BERLIN, NOW)
    (line,) = report.allowances
    assert (line.granted, line.topups, line.spent) == (usd(100), usd(20), usd("33.583333"))
    assert line.remaining == usd(120) - usd("33.583333")
    comp = report.compensation
    assert comp.allowance_value_micros == usd(120)
    assert comp.share_of_pay == Decimal("0.0216")  # 120 USD x 0.9 / 5000


def test_csv_reads_back_and_sums_match(ledger: Database) -> None:
    report = build_report(ledger, "2026-10", BERLIN, NOW)
    text = to_csv(report)
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert tuple(rows[0].keys()) == COLUMNS
    assert len(rows) == len(report.usage)
    cost = sum(Decimal(r["cost_usd"]) for r in rows if r["cost_usd"])
    assert cost == Decimal("33.583333")
    assert sum(int(r["input_tokens"]) + int(r["output_tokens"]) for r in rows) == 1827
    assert [r for r in rows if r["model"] == "mystery"][0]["cost_usd"] == ""
    assert KEY_HINT not in text and "Zq9x" not in text


def test_json_shape(ledger: Database) -> None:
    report = build_report(ledger, "2026-10", BERLIN, NOW)
    text = to_json(report)
    data = json.loads(text)
    assert data["schema_version"] == 1
    assert data["month"] == "2026-10" and data["timezone"] == "Europe/Berlin"
    assert data["start"] == "2026-09-30T22:00:00Z"
    assert data["totals"]["cost_micros"] == usd("33.583333")
    assert data["allowances"][0]["unit"] == "usd"
    assert data["usage"][0]["day"] == "2026-10-01"
    assert data["compensation"]["share_of_pay"] == "0.0216"
    assert sum(d["cost_micros"] for d in data["daily"]) == data["totals"]["cost_micros"]
    assert KEY_HINT not in text and "Zq9x" not in text


def test_bad_or_future_month(ledger: Database) -> None:
    for bad in ("2026-13", "Oct", "2026-1"):
        with pytest.raises(UserInputError, match="YYYY-MM"):
            build_report(ledger, bad, BERLIN, NOW)
    with pytest.raises(UserInputError, match="not started"):
        build_report(ledger, "2027-01", BERLIN, NOW)


def test_a_key_pasted_into_a_tag_never_reaches_an_export(ledger: Database) -> None:
    secret = "sk-proj-AbCdEfGhIjKlMnOpQrSt1234"
    with ledger.atomic():
        usage.upsert(
            ledger,
            [
                rec(
                    "oa",
                    datetime(2026, 10, 3, 9, tzinfo=UTC),
                    "oops",
                    cost_micros=usd(1),
                    project=secret,
                    api_key=secret,
                )
            ],
            recorded_at=NOW,
        )
    report = build_report(ledger, "2026-10", BERLIN, NOW)
    for text in (to_csv(report), to_json(report)):
        assert "AbCdEfGh" not in text
    assert ("project", "[redacted]") in {(g.dimension, g.value) for g in report.groups}


def test_every_csv_table_reads_back(ledger: Database) -> None:
    from tokenwallet.reports.csv_export import TABLES

    report = build_report(ledger, "2026-10", BERLIN, NOW)
    tables = {name: list(csv.DictReader(io.StringIO(to_csv(report, name), newline=""))) for name in TABLES}
    assert tables["allowances"][0]["topups"] == "20.000000"
    assert sum(Decimal(r["cost_usd"]) for r in tables["daily"]) == Decimal("33.583333")
    assert sum(Decimal(r["cost_usd"]) for r in tables["groups"] if r["dimension"] == "account") == Decimal("33.583333")
    assert [r["title"] for r in tables["alerts"]] == ["work: 50% used"]
    assert [r["action"] for r in tables["audit"]] == ["grant.topup"]
    with pytest.raises(UserInputError, match="no report table"):
        to_csv(report, "salaries")
