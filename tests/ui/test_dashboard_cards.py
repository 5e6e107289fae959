"""The dashboard's cards, the tray's tooltip and menu: provider limits, overspent, pace, gateway-backed, how counted."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from tests.ui import dashboard_world as world
from tokenwallet.ui.display import DisplayOptions, days_text

NOW = world.NOW


@pytest.fixture
def ctx(app_context):  # type: ignore[no-untyped-def]
    return app_context


def _snapshot(ctx, *builders):  # type: ignore[no-untyped-def]
    from tokenwallet.services.snapshot import load_snapshot

    for build in builders:
        build(ctx)
    return load_snapshot(ctx, NOW)


def _window(qtbot, snapshot, options=None):  # type: ignore[no-untyped-def]
    from tokenwallet.ui.dashboard.window import DashboardWindow

    window = DashboardWindow()
    qtbot.addWidget(window)
    window.set_options(options or DisplayOptions(), demo=False)
    window.show_snapshot(snapshot, NOW)
    return window


def test_days_are_written_one_way() -> None:
    assert [days_text(d) for d in (0.01, 0.2, 0.99, 1.0, 1.04, 1.4, 9.96, 12.4)] == [
        "14 min",
        "5 h",
        "1 day",
        "1 day",
        "1 day",
        "1.4 days",
        "10 days",
        "12 days",
    ]


def test_overspent_card_says_by_how_much_and_never_on_pace(qtbot, ctx) -> None:  # type: ignore[no-untyped-def]
    snapshot = _snapshot(ctx, world.overspent)
    [view] = snapshot.allowances
    over = sum(Decimal(d) for d in world.OVER_DAYS) - Decimal(world.OVER_AMOUNT)
    assert view.status.overspent == int(over * 1_000_000)
    window = _window(qtbot, snapshot)
    card = window.cards[0]
    assert card.summary.text().startswith(f"Over the allowance by ${over:.2f} (104% spent)")
    assert "pace" not in card.summary.text()
    assert card.captions["Remaining"].text() == "Over the allowance by"
    assert card.fields["Remaining"].text() == f"${over:.2f}"
    assert card.fields["Runs out"].text() == "used up"
    assert card.fields["Expiring unspent"].text() == "nothing at this pace"
    assert card.bar.used == pytest.approx(float(sum(Decimal(d) for d in world.OVER_DAYS) / Decimal(270)), abs=1e-3)
    assert card.bar.scale() > 1  # the bar's scale grows past the allowance, with a tick at 100 %


def test_tray_tooltip_menu_and_icon_show_overspent(ctx) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.ui.tray.view_state import Badge, Severity, build_view_state

    snapshot = _snapshot(ctx, world.overspent)
    state = build_view_state(
        snapshot.statuses,
        primary_id="",
        now=NOW,
        last_update=NOW,
        failing=False,
        paused=False,
        poll_interval=timedelta(minutes=5),
        options=DisplayOptions(),
        limits=snapshot.limits,
    )
    assert state.severity is Severity.EXHAUSTED and state.badge is Badge.NONE
    assert state.percent == pytest.approx(104.35, abs=0.01)  # 281.74 / 270
    assert "Work: $11.74 over the allowance" in state.tooltip
    assert "104% spent · 16 days left" in state.tooltip
    [line] = state.lines
    assert line.text == "Work: $11.74 over $270.00 · 104% spent · 16 days left"


def test_expiring_nothing_is_never_shown_with_a_daily_pace() -> None:
    from msgspec.structs import replace

    from tokenwallet.domain.allowance import ExpiryForecast
    from tokenwallet.ui.dashboard.figures import expiring

    status = _plain_status()
    nothing = replace(status, expiring=(ExpiryForecast(NOW + timedelta(days=3), 0, 0, 4.63e6),))
    assert expiring(nothing, DisplayOptions()) is None
    some = replace(status, expiring=(ExpiryForecast(NOW + timedelta(days=3), 20_000_000, 7_000_000, 6.67e6),))
    assert expiring(some, DisplayOptions()) == "$7.00 on 18 Nov 2026 — spend $6.67/day to use it"


def _plain_status():  # type: ignore[no-untyped-def]
    from tokenwallet.domain.allowance import AllowanceStatus, Unit

    return AllowanceStatus(
        allowance_id="a",
        name="A",
        unit=Unit.USD,
        now=NOW,
        period_start=NOW - timedelta(days=14, hours=12),
        period_end=NOW + timedelta(days=15, hours=12),
        granted=100_000_000,
        spent=40_000_000,
        remaining=60_000_000,
        expired=0,
        period_spent=40_000_000,
        percent_used=40.0,
        days_left=15.5,
        elapsed_fraction=0.4833,
        burn_rate_per_day=2_000_000,
        projected_period_spend=71_000_000,
        projected_runout=None,
    )


def test_provider_limit_cards_and_menu_lines(qtbot, ctx) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.ui.tray.view_state import limit_line

    snapshot = _snapshot(ctx, world.provider_limits)
    window = _window(qtbot, snapshot)
    window.show()
    assert window.limits_scroll.isVisible()
    titles = [c.title.text().split("\n")[0] for c in window.limit_cards if c.isVisibleTo(window)]
    assert titles == [
        "Codex 5-hour window",
        "Codex weekly window",
        "DeepSeek balance (CNY)",
        "OpenRouter key limit",
        "LiteLLM user budget · tightest",
        "LiteLLM key budget",
        "LiteLLM team budget",
    ]
    cards = {c.title.text().split("\n")[0]: c.details.text() for c in window.limit_cards}
    assert cards["LiteLLM user budget · tightest"].startswith("$20.00 left of $200.00\nsoft budget $150.00")
    assert "resets in 3.0 days" in cards["LiteLLM key budget"]
    assert cards["DeepSeek balance (CNY)"].startswith("CNY 80.00 left")
    assert "key expires 31 Jan 2027" in cards["OpenRouter key limit"]
    assert cards["Codex 5-hour window"].startswith("35% used\nresets in 2 h (15 Nov 2026 14:00)")
    lines = [limit_line(x, DisplayOptions(), NOW) for x in snapshot.limits]
    assert "OpenRouter key limit (OpenRouter): $2.50 left of $10.00 · key expires 31 Jan 2027 00:00" in lines
    assert "Codex weekly window (Codex CLI): 62% used · resets in 3.0 days" in lines


def test_limits_are_in_the_tray_menu(qtbot, ctx) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.ui.tray.controller import TrayController
    from tokenwallet.ui.tray.view_state import build_view_state

    snapshot = _snapshot(ctx, world.overspent, world.provider_limits)
    state = build_view_state(
        snapshot.statuses,
        primary_id="",
        now=NOW,
        last_update=NOW,
        failing=False,
        paused=False,
        poll_interval=timedelta(minutes=5),
        options=DisplayOptions(),
        limits=snapshot.limits,
    )
    tray = TrayController()
    tray.render(state)
    tray.rebuild_menu()
    texts = tray.action_texts()
    head = texts.index("Provider limits")
    assert texts[0].startswith("Work: $11.74 over")
    assert texts[head + 1].startswith("Codex 5-hour window (Codex CLI): 35% used")
    assert len(texts[head + 1 : texts.index("Refresh now")]) == len(snapshot.limits) == 7
    tray.icon.hide()
    tray.menu.deleteLater()


def test_gateway_backed_card_shows_the_gateway_s_spend_and_reset(qtbot, ctx) -> None:  # type: ignore[no-untyped-def]
    snapshot = _snapshot(ctx, world.gateway)
    assert not snapshot.limits  # the limit is the allowance's, not a card of its own
    window = _window(qtbot, snapshot)
    card = window.cards[0]
    assert card.fields["Spent"].text() == f"${world.GATEWAY_SPENT}"  # not $0.00 next to "47% used"
    # The budget's own window: 30 days ending at its reset, 1.4 days away, so 28.6 of 30 days are gone.
    assert card.summary.text().startswith(f"47% used, {(30 - 1.4) / 30 * 100:.0f}% of the period gone (behind pace)")
    assert "resets 16 Nov 2026 (in 1.4 days)" in card.summary.text()
    assert card.fields["Granted"].text() == "$50.00"
    assert card.fields["Remaining"].text() == f"${Decimal(world.GATEWAY_LIMIT) - Decimal(world.GATEWAY_SPENT):.2f}"
    assert card.fields["Expiring unspent"].text() == "nothing at this pace"  # the key expires after the reset
    assert "Mar 2027" not in card.fields["Expiring unspent"].text()
    assert card.title.text() == "Gateway budget  · the key budget of Company gateway"
    assert card.how.text() == "How this was counted: the gateway's own count"


def test_how_each_figure_was_counted_and_hidden_amounts(qtbot, ctx) -> None:  # type: ignore[no-untyped-def]
    snapshot = _snapshot(ctx, world.linkable)
    window = _window(qtbot, snapshot)
    card = window.cards[0]
    card.how.setChecked(True)
    assert card.counting.isVisibleTo(card)
    # Anthropic org: $3 on each of two days (billed); Claude Code: $2.50 on each (estimated, not linked yet).
    assert card.counting.text().split("\n") == [
        "• Anthropic org: $6.00 counted (billed)",
        "• Claude Code: $5.00 counted (estimated)",
        "• Estimated from local logs (not billed): $5.00",
    ]
    window.hide_amounts.setChecked(True)
    assert "$" not in card.counting.text() and "•••" in card.counting.text()
    assert "$" not in card.summary.text()


def test_link_suggestion_button_links_through_the_accounts_service(qtbot, ctx) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.ledger import accounts
    from tokenwallet.secrets.store import MemorySecretStore
    from tokenwallet.ui.runtime.application import TrayApp
    from tokenwallet.ui.runtime.bridge import InlineExecutor

    world.linkable(ctx)
    app = TrayApp(ctx, executor=InlineExecutor(), store=MemorySecretStore())
    try:
        app.refresh()
        app.show_dashboard()
        [row] = app.dashboard.suggestion_rows
        assert "tokenwallet account edit claude-code-1 --billed-by anthropic-org" in row.text.text()
        row.button.click()
        assert accounts.get(ctx.ledger(), "claude-code-1").billed_by == "anthropic-org"
        assert app.snapshot is not None and not app.snapshot.suggestions  # refreshed: nothing left to suggest
        assert app.dashboard.suggestion_rows == []
        card = app.dashboard.cards[0]
        card.how.setChecked(True)
        assert "$5.00 of estimates replaced by what Anthropic org reported" in card.counting.text()
        assert card.fields["Spent"].text() == "$6.00"  # counted once now
    finally:
        app.shutdown()


def test_pace_bar_draws_a_track_and_a_marker(qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtGui import QColor

    from tokenwallet.ui.dashboard.allowance_card import MARKER, TRACK, PaceBar

    bar = PaceBar()
    qtbot.addWidget(bar)
    bar.resize(400, 22)
    bar.set_values(0.25, 0.5, "#43a047")
    image = bar.grab().toImage()
    track = image.pixelColor(300, 15)  # right of the fill and of the marker: the empty track shows
    assert track.name() == QColor(TRACK).name()
    marker_x = round(1.5 + (400 - 3) * 0.5)
    tip = [image.pixelColor(x, 2).name() for x in range(marker_x - 3, marker_x + 4)]
    assert QColor(MARKER).name() in tip  # the triangle above the bar
    assert image.pixelColor(50, 15).name() == QColor("#43a047").name()  # the fill
