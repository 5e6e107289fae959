"""Dates and times as the user's locale writes them: one format for the whole tray app.

The format is the locale's long date without the weekday and with short month names ("29 Nov
2026" in en_GB and C, "Nov 29, 2026" in en_US, "29. Nov. 2026" in de_DE), so it is unambiguous
and short; times use the locale's short time format ("16:05", "4:05 PM").  The locale is Qt's
default (the system's, unless :meth:`QLocale.setDefault` changed it).
"""

from __future__ import annotations

import re
from datetime import date, datetime, tzinfo
from functools import lru_cache

from PySide6.QtCore import QDate, QLocale, QTime

_WEEKDAY = re.compile(r"d{4}[,.]?\s*|,?\s*d{4}")


@lru_cache(maxsize=8)
def _formats(name: str) -> tuple[str, str]:
    locale = QLocale(name)
    long = locale.dateFormat(QLocale.FormatType.LongFormat)
    day = _WEEKDAY.sub("", long).replace("MMMM", "MMM").strip(" ,")
    return day, locale.timeFormat(QLocale.FormatType.ShortFormat)


def _locale() -> QLocale:
    return QLocale()


def day_pattern() -> str:
    """The locale's date pattern as the dashboard writes days ('d MMM yyyy'), for date fields too."""
    return _formats(_locale().name())[0]


def format_day(day: date) -> str:
    """``day`` in the locale's date format."""
    locale = _locale()
    pattern, _ = _formats(locale.name())
    return locale.toString(QDate(day.year, day.month, day.day), pattern)


def format_date(at: datetime, zone: tzinfo) -> str:
    """The local day of ``at`` in ``zone``, in the locale's date format."""
    return format_day(at.astimezone(zone).date())


def format_time(at: datetime, zone: tzinfo) -> str:
    """The local time of ``at`` in ``zone``, in the locale's short time format."""
    local = at.astimezone(zone)
    locale = _locale()
    _, pattern = _formats(locale.name())
    return locale.toString(QTime(local.hour, local.minute), pattern)


def format_moment(at: datetime, zone: tzinfo) -> str:
    """Date and time of ``at`` in ``zone``: '29 Nov 2026 16:05'."""
    return f"{format_date(at, zone)} {format_time(at, zone)}"
