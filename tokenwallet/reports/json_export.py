"""The report as JSON with a documented, versioned shape (``schema_version``; see the README).

Money is integer micro-USD in fields ending ``_micros``; allowance figures are in the allowance's
``unit`` (micro-USD for ``usd``, tokens for ``tokens``); times are ISO 8601 UTC with ``Z``; days
are ``YYYY-MM-DD`` in the report's time zone; decimals (rates, shares) are strings.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from tokenwallet.reports.model import LINE_FIGURES, MonthlyReport


def _encode(value: Any) -> Any:
    """JSON form of the values the model holds besides str, int and None."""
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"cannot encode {type(value).__name__}")


def report_dict(report: MonthlyReport) -> dict[str, Any]:
    """The mapping of ``report`` that :func:`to_json` encodes (key order follows the model)."""
    data: dict[str, Any] = {"schema_version": report.schema_version}
    for f in dataclasses.fields(report):
        if f.name != "schema_version":
            data[f.name] = _field(report, f.name)
    return data


def _shallow(value: Any) -> dict[str, Any]:
    # the model's rows hold only plain values, so a shallow copy is enough (and much faster than asdict)
    return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}


def _compensation(report: MonthlyReport) -> dict[str, Any]:
    """The month's figures, then the year's per allowance and in total (added fields, see the README)."""
    c = report.compensation
    data = {f.name: getattr(c, f.name) for f in dataclasses.fields(c) if f.name != "lines"}
    data["lines"] = [
        {**_shallow(line), "projected_unspent": line.projected_unspent, "terms": list(line.terms)} for line in c.lines
    ]
    data["year_totals"] = {name: c.total(name) for name in LINE_FIGURES}
    return data


def _field(report: MonthlyReport, name: str) -> Any:
    if name == "compensation":
        return _compensation(report)
    value = getattr(report, name)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _shallow(value)
    if isinstance(value, tuple) and value and dataclasses.is_dataclass(value[0]):
        return [_shallow(v) for v in value]
    return value


def to_json(report: MonthlyReport, *, indent: int | None = None) -> str:
    """The report as JSON text: compact by default (the fast C encoder), or indented."""
    return json.dumps(report_dict(report), indent=indent, default=_encode, ensure_ascii=False) + "\n"
