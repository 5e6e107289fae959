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

from tokenwallet.reports.model import MonthlyReport


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def report_dict(report: MonthlyReport) -> dict[str, Any]:
    """The JSON-ready mapping of ``report`` (key order follows the model)."""
    data: dict[str, Any] = {"schema_version": report.schema_version}
    for f in dataclasses.fields(report):
        if f.name != "schema_version":
            data[f.name] = _plain(_field(report, f.name))
    return data


def _field(report: MonthlyReport, name: str) -> Any:
    value = getattr(report, name)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, tuple) and value and dataclasses.is_dataclass(value[0]):
        return [dataclasses.asdict(v) for v in value]
    return value


def to_json(report: MonthlyReport) -> str:
    """The report as indented JSON text."""
    return json.dumps(report_dict(report), indent=2, ensure_ascii=False) + "\n"
