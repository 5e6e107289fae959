"""A provider's own limit on the dashboard: a compact card beside the allowances.

LiteLLM key, user and team budgets (the tightest marked), an OpenRouter key limit and its expiry,
a DeepSeek or Moonshot balance, a Codex 5-hour or weekly window with its reset.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from tokenwallet.services.provider_limits import ProviderLimit
from tokenwallet.ui.dashboard.allowance_card import PaceBar
from tokenwallet.ui.display import DisplayOptions, days_text, describe_age
from tokenwallet.ui.locale_dates import format_date, format_moment
from tokenwallet.ui.tray.meter_icon import COLOURS
from tokenwallet.ui.tray.view_state import limit_line, limit_money, limit_severity, limit_standing


def limit_details(limit: ProviderLimit, options: DisplayOptions, now: datetime) -> list[str]:
    """The card's lines under its title, in plain words."""
    s = limit.snapshot
    lines = [p for p in (limit_standing(limit, options),) if p]
    if not limit.is_window and s.soft_limit_micros is not None:
        lines.append(f"soft budget {limit_money(limit, options, s.soft_limit_micros)} (a warning, not a stop)")
    if s.resets_at is not None and s.resets_at > now:
        period = f", a {s.period} budget" if s.period and not limit.is_window else ""
        wait = days_text((s.resets_at - now).total_seconds() / 86_400)
        lines.append(f"resets in {wait} ({format_moment(s.resets_at, options.zone)}{period})")
    elif s.period and not limit.is_window:
        lines.append(f"budget period {s.period}")
    if s.expires_at is not None:
        when = format_date(s.expires_at, options.zone)
        lines.append(f"key expires {when}" if s.expires_at > now else f"key expired {when}")
    lines.append(f"read {describe_age(s.observed_at, now)}")
    return lines


class LimitCard(QFrame):
    """One provider limit; :meth:`show_limit` refreshes it in place."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("limitCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        layout.setSpacing(2)
        self.title = QLabel()
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.title.setWordWrap(True)
        self.bar = PaceBar()
        self.bar.setToolTip("Share of the provider's limit used")
        self.details = QLabel()
        self.details.setWordWrap(True)
        layout.addWidget(self.title)
        layout.addWidget(self.bar)
        layout.addWidget(self.details)

    def show_limit(self, limit: ProviderLimit, options: DisplayOptions, now: datetime) -> None:
        """Fill the card from ``limit``."""
        tight = " · tightest" if limit.tightest else ""
        self.title.setText(f"{limit.title}{tight}\n{limit.account.label}")
        percent = limit.percent_used
        self.bar.setVisible(percent is not None)
        if percent is not None:
            colour = COLOURS[limit_severity(limit)]
            if limit.is_window and limit.snapshot.resets_at is not None and limit.snapshot.window_minutes:
                span = limit.snapshot.window_minutes * 60
                gone = 1 - (limit.snapshot.resets_at - now).total_seconds() / span
                self.bar.set_values(percent / 100, gone, colour)
            else:
                self.bar.set_values(percent / 100, 0.0, colour)
        self.details.setText("\n".join(limit_details(limit, options, now)))
        self.setToolTip(limit_line(limit, options, now))
