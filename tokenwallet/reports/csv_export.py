"""The report's usage table as CSV: one row per local day x provider x model x confidence.

Columns are :data:`COLUMNS`; ``cost_usd`` is an exact decimal with six places (empty when no money
is known for the rows).  The CSV reads back with Python's ``csv`` module and spreadsheets alike.
"""

from __future__ import annotations

import csv
import io
from typing import TextIO

from tokenwallet.domain.money import micros_to_decimal
from tokenwallet.reports.model import MonthlyReport

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
)


def usd_text(micros: int | None) -> str:
    """Micro-USD as an exact ``12.345678`` string; empty for None."""
    return "" if micros is None else f"{micros_to_decimal(micros):.6f}"


def write_csv(report: MonthlyReport, out: TextIO) -> None:
    """Write the usage table of ``report`` to ``out`` (opened with ``newline=''``)."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for u in report.usage:
        writer.writerow(
            (
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
            )
        )


def to_csv(report: MonthlyReport) -> str:
    """The CSV as text."""
    buffer = io.StringIO(newline="")
    write_csv(report, buffer)
    return buffer.getvalue()
