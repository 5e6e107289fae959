"""The report's tables as CSV; the default is usage, one row per local day x provider x model x confidence.

Columns of the usage table are :data:`COLUMNS`; ``cost_usd`` is an exact decimal with six places
(empty when no money is known for the rows).  The other tables (:data:`TABLES`) are the
allowances, account/tag groups, daily totals, alerts and the audit entries of the month.  Every
table reads back with Python's ``csv`` module and spreadsheets alike.

Text cells come from providers, agent logs and users (model names, project folders, allowance
names, alert texts), so a cell that a spreadsheet would run as a formula (one starting with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is neutralised as OWASP recommends: a
single quote is put in front and the cell is quoted, e.g. ``"'=HYPERLINK(...)"``.  Numbers stay
numbers: a numeric cell such as ``-12.500000`` is written as it is.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, TextIO

from tokenwallet.domain.allowance import Unit
from tokenwallet.domain.errors import UserInputError
from tokenwallet.domain.money import micros_to_decimal
from tokenwallet.reports.model import LINE_FIGURES, MonthlyReport

COLUMNS = (
    "day",
    "provider",
    "model",
    "confidence",
    "input_tokens",
    "cached_input_tokens",
    "cache_write_tokens",
    "output_tokens",
    "reasoning_tokens",
    "requests",
    "cost_usd",
    "unpriced_rows",
    "split",
)


def usd_text(micros: int | None) -> str:
    """Micro-USD as an exact ``12.345678`` string; empty for None."""
    return "" if micros is None else f"{micros_to_decimal(micros):.6f}"


def _usage_rows(report: MonthlyReport) -> Iterable[Sequence[Any]]:
    for u in report.usage:
        yield (
            u.day.isoformat(),
            u.provider,
            u.model,
            u.confidence,
            u.input_tokens,
            u.cached_input_tokens,
            u.cache_write_tokens,
            u.output_tokens,
            u.reasoning_tokens,
            u.requests,
            usd_text(u.cost_micros),
            u.unpriced_rows,
            "yes" if u.split else "",
        )


COMPENSATION_COLUMNS = (
    "allowance",
    "per_month_usd",
    "per_year_usd",
    "month_value_usd",
    "month_consumed_usd",
    "month_forfeited_usd",
    "year_granted_usd",
    "year_consumed_usd",
    "year_overspent_usd",
    "year_forfeited_usd",
    "remaining_usd",
    "projected_year_consumed_usd",
    "projected_year_value_usd",
    "projected_year_unspent_usd",
    "vested_usd",
    "unvested_usd",
    "payable_usd",
    "forfeitable_usd",
    "share_of_monthly_pay",
    "policy_id",
)


def _compensation_rows(report: MonthlyReport) -> Iterable[Sequence[Any]]:
    """One row per usd allowance, then ``total`` (with the shares of pay when a pay is set)."""
    c = report.compensation
    months = {a.allowance_id: a for a in report.allowances if a.unit is Unit.USD}
    for line in c.lines:
        month = months.get(line.allowance_id)
        month_figures = (
            (month.granted + month.topups, month.spent, month.expired_unspent) if month is not None else (0, 0, 0)
        )
        yield (
            line.name,
            usd_text(line.per_month),
            usd_text(line.per_year),
            *(usd_text(v) for v in month_figures),
            *(usd_text(getattr(line, name)) for name in LINE_FIGURES[2:]),
            "",
            line.policy_id,
        )
    yield (
        "total",
        usd_text(c.total("per_month")),
        usd_text(c.total("per_year")),
        usd_text(c.allowance_value_micros),
        usd_text(c.consumed_micros),
        usd_text(c.forfeited_micros),
        *(usd_text(c.total(name)) for name in LINE_FIGURES[2:]),
        "" if c.share_of_pay is None else str(c.share_of_pay),
        "",
    )


def _utc(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


TABLES: dict[str, tuple[tuple[str, ...], Callable[[MonthlyReport], Iterable[Sequence[Any]]]]] = {
    "usage": (COLUMNS, _usage_rows),
    "allowances": (
        (
            "allowance",
            "unit",
            "granted",
            "topups",
            "rollover_in",
            "rollover_out",
            "spent",
            "remaining",
            "expired_unspent",
            "overspent",
        ),
        lambda r: (
            (
                a.name,
                a.unit.value,
                *(
                    _amount(v, a.unit)
                    for v in (
                        a.granted,
                        a.topups,
                        a.rollover_in,
                        a.rollover_out,
                        a.spent,
                        a.remaining,
                        a.expired_unspent,
                        a.overspent,
                    )
                ),
            )
            for a in r.allowances
        ),
    ),
    "groups": (
        ("dimension", "value", "cost_usd", "tokens", "requests"),
        lambda r: ((g.dimension, g.value, usd_text(g.cost_micros), g.tokens, g.requests) for g in r.groups),
    ),
    "daily": (
        ("day", "cost_usd", "estimated_usd"),
        lambda r: ((d.day.isoformat(), usd_text(d.cost_micros), usd_text(d.estimated_micros)) for d in r.daily),
    ),
    "alerts": (
        ("fired_at_utc", "kind", "severity", "title", "message"),
        lambda r: ((_utc(a.fired_at), a.kind, a.severity, a.title, a.message) for a in r.alerts),
    ),
    "audit": (
        ("at_utc", "actor", "action", "entity", "entity_id"),
        lambda r: ((_utc(a.at), a.actor, a.action, a.entity, a.entity_id) for a in r.audit),
    ),
    "compensation": (COMPENSATION_COLUMNS, _compensation_rows),
    "off_policy": (
        ("policy_id", "revision", "provider", "model", "region", "cost_usd", "tokens", "rows", "reasons"),
        lambda r: (
            (
                o.policy_id,
                o.revision,
                o.provider,
                o.model,
                o.region,
                usd_text(o.cost_micros),
                o.tokens,
                o.rows,
                o.reasons,
            )
            for o in r.off_policy
        ),
    ),
}


def _amount(value: int, unit: Unit) -> str | int:
    """Dollars as an exact decimal for usd allowances, whole tokens for token allowances."""
    return usd_text(value) if unit is Unit.USD else value


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_NEEDS_QUOTES = re.compile(r'[,"\r\n]')


def csv_cell(value: object) -> str:
    """One CSV field as the ``csv`` module's excel dialect writes it, with formulas neutralised.

    ``None`` is empty; a cell that starts like a formula (and is not a plain number) gets a
    leading single quote and double quotes around it; a cell with a comma, a quote or a line
    break is quoted with inner quotes doubled.
    """
    if value is None:
        return ""
    text = str(value)
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "\"'" + text.replace('"', '""') + '"'
    if _NEEDS_QUOTES.search(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def write_csv(report: MonthlyReport, out: TextIO, table: str = "usage") -> None:
    """Write one table of ``report`` (default: usage) to ``out`` (opened with ``newline=''``).

    Rows end in CRLF, as the ``csv`` module's excel dialect writes them.  The module itself cannot
    quote one chosen cell, which neutralising a formula needs, so :func:`csv_cell` formats each.
    """
    try:
        columns, rows = TABLES[table]
    except KeyError:
        raise UserInputError(f"no report table {table!r}; use one of {', '.join(TABLES)}") from None
    out.write(",".join(map(csv_cell, columns)) + "\r\n")
    out.writelines(",".join(map(csv_cell, row)) + "\r\n" for row in rows(report))


def to_csv(report: MonthlyReport, table: str = "usage") -> str:
    """One table of the report as CSV text."""
    buffer = io.StringIO(newline="")
    write_csv(report, buffer, table)
    return buffer.getvalue()
