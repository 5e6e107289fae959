"""The tray's state, tooltip and number formatting, without widgets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tokenwallet.domain.allowance import Unit
from tokenwallet.domain.money import group_digits
from tokenwallet.ui.display import MASK, DisplayOptions, describe_age, format_amount
from tokenwallet.ui.tray.view_state import Badge, Severity, build_view_state, is_stale, severity_for


def test_indian_grouping_uses_lakh_and_crore() -> None:
    assert group_digits(12345678, "indian") == "1,23,45,678"
    assert group_digits(123456, "indian") == "1,23,456"
    assert group_digits(999, "indian") == "999"
    assert group_digits(1234567, "western") == "1,234,567"


def test_amount_in_display_currency_with_rate() -> None:
    options = DisplayOptions(currency="INR", rate=Decimal("83.5"), grouping="indian")
    assert format_amount(10_000 * 1_000_000, Unit.USD, options) == "₹8,35,000.00"
    assert format_amount(1_500_000, Unit.USD, DisplayOptions()) == "$1.50"
    assert format_amount(-1_500_000, Unit.USD, DisplayOptions()) == "-$1.50"
    assert format_amount(2_500_000, Unit.TOKENS, DisplayOptions()) == "2.5M tok"


def test_hidden_amounts_are_masked() -> None:
    assert format_amount(1_500_000, Unit.USD, DisplayOptions(hide_amounts=True)) == MASK


def test_stale_after_three_missed_polls() -> None:
    now = datetime(2026, 11, 15, 12, tzinfo=UTC)
    interval = timedelta(minutes=5)
    assert not is_stale(now - timedelta(minutes=14), now, interval)
    assert is_stale(now - timedelta(minutes=16), now, interval)
    assert not is_stale(None, now, interval)


def test_describe_age() -> None:
    now = datetime(2026, 11, 15, 12, tzinfo=UTC)
    assert describe_age(now - timedelta(seconds=5), now) == "just now"
    assert describe_age(now - timedelta(minutes=4), now) == "4 min ago"
    assert describe_age(None, now) == "never"


def test_view_state_from_real_statuses(allowance_ctx, now) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.ledger.status import allowance_statuses

    statuses = allowance_statuses(allowance_ctx.ledger(), now)
    state = build_view_state(
        statuses,
        primary_id="",
        now=now,
        last_update=now - timedelta(minutes=1),
        failing=False,
        paused=False,
        poll_interval=timedelta(minutes=5),
        options=DisplayOptions(),
    )
    assert state.percent == statuses[0].percent_used
    assert round(state.percent or 0) == 40
    assert severity_for(statuses[0]) in (Severity.OK, Severity.WARNING)
    assert state.badge is Badge.NONE
    assert "Work: $60.00 left" in state.tooltip
    assert "40% used" in state.tooltip
    assert "Resets" in state.tooltip and "Updated 1 min ago" in state.tooltip
    assert state.lines[0].text.startswith("Work: $60.00 left of $100.00 · 40% used (incl. estimates)")


def test_badges_error_beats_stale_and_paused_beats_all(allowance_ctx, now) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.ledger.status import allowance_statuses

    statuses = allowance_statuses(allowance_ctx.ledger(), now)
    common = dict(primary_id="", now=now, poll_interval=timedelta(minutes=5), options=DisplayOptions())
    old = now - timedelta(hours=2)
    assert build_view_state(statuses, last_update=old, failing=False, paused=False, **common).badge is Badge.STALE
    failing = build_view_state(statuses, last_update=old, failing=True, paused=False, **common)
    assert failing.badge is Badge.ERROR and "Last poll failed" in failing.tooltip
    assert build_view_state(statuses, last_update=old, failing=True, paused=True, **common).badge is Badge.PAUSED


def test_no_allowance_says_what_to_do(now) -> None:  # type: ignore[no-untyped-def]
    state = build_view_state(
        [],
        primary_id="",
        now=now,
        last_update=None,
        failing=False,
        paused=False,
        poll_interval=timedelta(minutes=5),
        options=DisplayOptions(),
        demo=True,
    )
    assert state.severity is Severity.NONE and state.percent is None
    assert "Demo data" in state.tooltip and "Settings" in state.tooltip
