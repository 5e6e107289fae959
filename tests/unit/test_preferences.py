"""The settings the settings window saves: pay, quiet hours, the alert hook, and the words of a refusal."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tokenwallet import settings as settings_mod
from tokenwallet.alerts.delivery import AmountsHidden, Notice, without_amounts
from tokenwallet.alerts.rules import ExpiryParams, Rule, ThresholdParams
from tokenwallet.domain.errors import ConfigError, UserInputError
from tokenwallet.paths import AppPaths
from tokenwallet.services.alert_watch import next_alert_moment
from tokenwallet.services.preferences import save_preferences
from tokenwallet.settings import Settings, monthly_pay, monthly_pay_in_display_currency, monthly_pay_usd


def test_pay_is_kept_with_its_period_and_currency(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    chosen = Settings(display_currency="INR", currency_rate="83.2", pay_amount="1200000", pay_period="yearly")
    settings_mod.save(path, chosen)
    text = path.read_text()
    assert 'pay_amount = "1200000"' in text and 'pay_period = "yearly"' in text and 'pay_currency = ""' in text
    loaded, unknown = settings_mod.load(path)
    assert loaded == chosen and unknown == []
    assert monthly_pay(loaded) == (Decimal(1_200_000) / 12, "INR")
    assert monthly_pay_usd(loaded) == Decimal(1_200_000) / 12 / Decimal("83.2")
    assert monthly_pay_in_display_currency(loaded) == Decimal(100_000)


def test_a_pay_in_dollars_shown_in_another_currency() -> None:
    chosen = Settings(display_currency="EUR", currency_rate="0.9", pay_amount="6000", pay_currency="USD")
    assert monthly_pay_usd(chosen) == Decimal(6000)
    assert monthly_pay_in_display_currency(chosen) == Decimal(6000) * Decimal("0.9")
    assert monthly_pay(Settings()) is None and monthly_pay_usd(Settings()) is None


def test_the_older_monthly_salary_is_read_as_a_monthly_pay_and_not_written_again(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text('# mine\nmonthly_salary = "5000"  # before tax\ndisplay_currency = "EUR"\ncurrency_rate = "0.9"\n')
    loaded, unknown = settings_mod.load(path)
    assert unknown == []
    assert (loaded.pay_amount, loaded.pay_period, loaded.pay_currency) == ("5000", "monthly", "")
    settings_mod.save(path, loaded.replace(poll_interval_minutes=7))
    text = path.read_text()
    assert "monthly_salary" not in text and 'pay_amount = "5000"' in text and text.startswith("# mine")
    assert settings_mod.load(path)[0] == loaded.replace(poll_interval_minutes=7)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('pay_period = "weekly"', "pay_period = 'weekly'"),
        ('pay_amount = "-1"', "pay_amount = '-1' must be a positive number"),
        ('pay_amount = "1e13"', "too large"),
        ('display_currency = "INR"\npay_currency = "EUR"', "pay_currency = 'EUR'"),
    ],
)
def test_bad_pay_in_the_file_names_the_key(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(text + "\n")
    with pytest.raises(ConfigError, match=fragment):
        settings_mod.load(path)


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"pay_amount": "lots"}, "pay_amount", "positive number like 5000"),
        ({"pay_amount": "20000000000000"}, "pay_amount", "too large"),
        ({"pay_period": "weekly"}, "pay_period", "monthly or yearly"),
        ({"pay_currency": "EUR"}, "pay_currency", "USD or in the display currency (USD)"),
        ({"currency_rate": "0"}, "currency_rate", "positive number"),
        ({"timezone": "Mars/Olympus"}, "timezone", "not a time zone"),
        ({"display_currency": "RUPEES"}, "display_currency", "three letters"),
        ({"quiet_hours_start": "22:00"}, "quiet_hours_start", "both a start and an end"),
        ({"quiet_hours_start": "25:00", "quiet_hours_end": "07:00"}, "quiet_hours_start", "HH:MM"),
        ({"alert_hook": "notify.sh"}, "alert_hook", "not a full path"),
        ({"alert_hook": "/nonexistent/notify.sh"}, "alert_hook", "not a program"),
    ],
)
def test_a_refused_preference_names_its_field_in_plain_words(app_context, changes, field, words) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UserInputError) as caught:
        save_preferences(app_context, **changes)
    assert caught.value.field == field
    assert words in str(caught.value) and "settings:" not in str(caught.value)
    assert not app_context.paths.settings_file.exists()  # nothing was written


def test_quiet_hours_hook_and_pay_are_saved(app_context, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    hook = tmp_path / "hook.sh"
    hook.write_text("#!/bin/sh\n")
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    note = save_preferences(
        app_context,
        quiet_hours_start="22:00",
        quiet_hours_end="07:30",
        alert_hook=str(hook),
        notifications=False,
        pay_amount="90000",
        pay_period="yearly",
        pay_currency="USD",
    )
    assert note == ""
    loaded = settings_mod.load(app_context.paths.settings_file)[0]
    assert (loaded.quiet_hours_start, loaded.quiet_hours_end, loaded.alert_hook) == ("22:00", "07:30", str(hook))
    assert not loaded.notifications and monthly_pay_usd(loaded) == Decimal(90000) / 12


def test_the_home_folder_is_known_only_when_one_was_chosen(tmp_path: Path) -> None:
    assert AppPaths.under(tmp_path / "h").home == tmp_path / "h"
    assert AppPaths.from_platformdirs().home is None


def test_hidden_amounts_leave_shares_and_dates() -> None:
    notice = Notice(
        "Work: $150.00 used",
        "$85.00 of $100.00 spent (85%); $15.00 left. At $4.63 a day it runs out around 2026-11-20 14:00 UTC.",
        lines=("Tokens: 1,234,567 tokens used", "Work: 80% used"),
    )
    hidden = without_amounts(notice)
    assert hidden.title == "Work: ••• used"
    assert hidden.body == "••• of ••• spent (85%); ••• left. At ••• a day it runs out around 2026-11-20 14:00 UTC."
    assert hidden.lines == ("Tokens: ••• used", "Work: 80% used")
    got: list[Notice] = []
    switch = {"on": False}
    deliver = AmountsHidden(got.append, lambda: switch["on"])
    deliver(notice)
    switch["on"] = True
    deliver(notice)
    assert got == [notice, hidden]  # the switch is read when each notice goes out


NOW = datetime(2026, 11, 15, 12, tzinfo=UTC)


def _status(period_end: datetime, expiring: tuple = ()):  # type: ignore[no-untyped-def]
    from types import SimpleNamespace

    return SimpleNamespace(allowance_id="a1", period_end=period_end, expiring=expiring)


def test_the_next_alert_moment_is_the_nearest_thing_time_changes() -> None:
    from types import SimpleNamespace

    lapse = SimpleNamespace(at=NOW + timedelta(days=5))
    statuses = [_status(NOW + timedelta(days=16), (lapse,))]
    rules = [Rule("e", ExpiryParams(days_before=3), "a1"), Rule("t", ThresholdParams(percent=80), "a1")]
    far = timedelta(days=365)
    # the 3-day warning window opens 5 - 3 = 2 days from now
    assert next_alert_moment(statuses, rules, Settings(), NOW, max_wait=far) == NOW + timedelta(days=2)
    # past that moment: the lapse itself, then the period's end
    assert next_alert_moment(statuses, rules, Settings(), NOW + timedelta(days=3), max_wait=far) == lapse.at
    assert next_alert_moment(statuses, rules, Settings(), NOW + timedelta(days=6), max_wait=far) == NOW + timedelta(
        days=16
    )
    # never more than the longest wait
    assert next_alert_moment(statuses, rules, Settings(), NOW) == NOW + timedelta(hours=1)


def test_quiet_hours_end_is_a_moment_to_look_again() -> None:
    quiet = Settings(timezone="Asia/Kolkata", quiet_hours_start="22:00", quiet_hours_end="07:00")
    at = datetime(2026, 11, 15, 22, 30, tzinfo=UTC)  # 04:00 in Kolkata, inside the quiet hours
    assert next_alert_moment([], [], quiet, at, max_wait=timedelta(days=2)) == datetime(
        2026, 11, 16, 1, 30, tzinfo=UTC
    )  # 07:00 in Kolkata
