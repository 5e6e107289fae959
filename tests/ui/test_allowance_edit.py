"""Editing an allowance from the settings: prefilled fields, a saved edit, a rejected one, top-ups."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tokenwallet.domain.allowance import Cadence, GrantKind
from tokenwallet.domain.money import usd_to_micros
from tokenwallet.secrets.store import MemorySecretStore

pytestmark = pytest.mark.usefixtures("qapp")


@pytest.fixture
def settings(allowance_ctx, settings_dialog):  # type: ignore[no-untyped-def]
    return settings_dialog(allowance_ctx, MemorySecretStore(), keyring_problem="")


def _editor(settings):  # type: ignore[no-untyped-def]
    settings.tabs.setCurrentIndex(1)
    settings.allowances.allowance_list.setCurrentRow(0)
    settings.allowances.edit_allowance()
    return settings.allowances.editor


def test_editor_opens_prefilled_from_the_list(settings) -> None:  # type: ignore[no-untyped-def]
    editor = _editor(settings)
    assert editor.name.text() == "Work"
    assert editor.amount.text() == "100"
    assert editor.unit.currentText() == "usd"
    assert editor.cadence.currentText() == "monthly"
    assert not editor.rollover.isChecked()
    assert editor.scope_accounts() == ()
    assert editor.topups.item(0).text() == "No top-ups yet"
    editor.reject()


def test_saved_edit_replaces_the_allowance_and_tells_the_app(settings, allowance_ctx, qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt

    from tokenwallet.ledger import allowances

    before = allowances.get(allowance_ctx.ledger(), "a1")
    editor = _editor(settings)
    editor.name.setText("Work (raised)")
    editor.amount.setText("250.50")
    editor.rollover.setChecked(True)
    editor.cap.setText("40")
    editor.scope.item(0).setCheckState(Qt.CheckState.Checked)
    with qtbot.waitSignal(settings.changed):
        editor.save()
    assert not editor.isVisible()  # saved and closed
    after = allowances.get(allowance_ctx.ledger(), "a1")
    assert after.name == "Work (raised)"
    assert after.amount == usd_to_micros("250.50")
    assert after.rollover is not None and after.rollover.cap == usd_to_micros(40)
    assert after.scope.accounts == (editor.scope.item(0).data(Qt.ItemDataRole.UserRole),)
    assert (after.id, after.starts_at, after.cadence) == (before.id, before.starts_at, Cadence.MONTHLY)
    assert settings.allowances.allowance_list.item(0).text().startswith("Work (raised): $250.50")
    assert settings.status.text() == "Allowance saved."


def test_bad_edit_says_what_is_wrong_and_changes_nothing(settings, allowance_ctx) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.ledger import allowances

    before = allowances.get(allowance_ctx.ledger(), "a1")
    editor = _editor(settings)
    editor.amount.setText("lots")
    editor.save()
    assert editor.status.text().startswith("Not saved: ")
    assert "lots" in editor.status.text()
    assert editor.isVisible()  # the user can correct it
    editor.amount.setText("100")
    editor.cadence.setCurrentText("weekly")
    editor.anchor.setValue(15)
    editor.save()
    assert "weekday" in editor.status.text() and editor.isVisible()
    assert allowances.get(allowance_ctx.ledger(), "a1") == before
    editor.reject()


def test_top_up_with_expiry_from_the_editor(settings, allowance_ctx, now) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QDate

    from tokenwallet.ledger import allowances
    from tokenwallet.ui.locale_dates import day_pattern, format_day

    editor = _editor(settings)
    editor.topup_amount.setText("25")
    expiry = (now + timedelta(days=10)).date()
    editor.topup_expires.setDate(QDate(expiry.year, expiry.month, expiry.day))
    editor.add_topup()
    assert editor.status.text() == "Top-up added."
    grants = [g for g in allowances.grants_for(allowance_ctx.ledger(), "a1") if g.kind is GrantKind.TOPUP]
    assert [g.amount for g in grants] == [usd_to_micros(25)]
    assert grants[0].expires_at is not None
    # the day as the dashboard writes it (the locale's format), in the date field too
    assert editor.topups.item(0).text().startswith(f"+25 usd · expires {format_day(expiry)}")
    assert editor.topup_expires.displayFormat() == day_pattern()
    editor.reject()


def test_edit_without_a_selection_asks_for_one(settings) -> None:  # type: ignore[no-untyped-def]
    settings.tabs.setCurrentIndex(1)
    settings.allowances.allowance_list.setCurrentRow(-1)
    settings.allowances.edit_allowance()
    assert settings.status.text() == "Select the allowance to edit first."


def _texts(widget) -> list[str]:  # type: ignore[no-untyped-def]
    return [widget.item(i).text() for i in range(widget.count())]


def test_the_editor_lists_the_default_alerts_of_a_new_allowance(app_context, settings_dialog) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.services.allowances import add_allowance

    add_allowance(
        app_context,
        name="Home",
        amount="40",
        unit="usd",
        cadence="monthly",
        anchor_day=1,
        rollover=False,
        rollover_cap=None,
    )
    dialog = settings_dialog(app_context, MemorySecretStore(), keyring_problem="")
    editor = _editor(dialog)
    assert _texts(editor.alerts.rules) == [
        "80% of the allowance is used",
        "95% of the allowance is used",
        "100% of the allowance is used",
        "At the current pace it will run out before the reset",
        "A grant lapses within 3 days with value unspent",
    ]
    editor.reject()


def test_alerts_are_added_changed_snoozed_and_removed_from_the_editor(settings, allowance_ctx, qtbot) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.alerts.rules import ExpiryParams, SpikeParams, ThresholdParams
    from tokenwallet.services.alert_rules import rules_for

    allowance_ctx.save_settings(allowance_ctx.settings.replace(timezone="UTC"))  # the snooze's end as shown
    editor = _editor(settings)
    section = editor.alerts
    assert _texts(section.rules) == ["No alerts: add one to be told before the allowance runs out"]
    section.add_button.click()
    rule = section.rule_dialog
    rule.kind.setCurrentIndex(rule.kind.findData("percent"))
    rule.percent.setValue(50)
    with qtbot.waitSignal(settings.changed):  # the app hears of it: the next refresh evaluates the rule
        rule.buttons.button(rule.buttons.StandardButton.Save).click()
    assert not rule.isVisible() and _texts(section.rules) == ["50% of the allowance is used"]
    # Change it into an absolute threshold.
    section.rules.setCurrentRow(0)
    section.change_button.click()
    rule = section.rule_dialog
    assert rule.kind_key() == "percent" and rule.percent.value() == 50
    rule.kind.setCurrentIndex(rule.kind.findData("absolute"))
    rule.absolute.setText("lots")
    rule.submit()
    assert rule.status.text().startswith("Not saved: ") and "lots" in rule.status.text()
    assert "border: 2px solid" in rule.absolute.styleSheet()  # the field to fix
    rule.absolute.setText("75")
    rule.submit()
    assert _texts(section.rules) == ["Spend this period reaches $75.00"]
    [view] = rules_for(allowance_ctx, "a1")
    assert view.rule.params == ThresholdParams(absolute=75_000_000)
    # An expiry and a spike rule.
    for key, setup in (
        ("expiry", lambda d: (d.days.setValue(5), d.min_unspent.setText("10"))),
        ("spike", lambda d: (d.factor.setValue(4), d.trailing.setValue(7))),
    ):
        section.add_rule()
        rule = section.rule_dialog
        rule.kind.setCurrentIndex(rule.kind.findData(key))
        setup(rule)
        rule.submit()
    assert [v.rule.params for v in rules_for(allowance_ctx, "a1")][1:] == [
        ExpiryParams(days_before=5, min_unspent=10_000_000),
        SpikeParams(factor=4, trailing_days=7),
    ]
    # Snooze the first until the next period, then remove it.
    section.rules.setCurrentRow(0)
    section.snooze("period")
    assert "snoozed until 1 Dec 00:00" in section.rules.item(0).text()
    section.remove_rule()
    assert len(rules_for(allowance_ctx, "a1")) == 2 and section.rules.count() == 2
    editor.reject()


def test_fields_the_policy_owns_are_read_only_with_a_note(app_context, settings_dialog) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    from tokenwallet.services.policy import apply_import, plan_import, read_file

    example = Path(__file__).resolve().parents[2] / "resources" / "examples" / "example-corp-policy.toml"
    apply_import(app_context, plan_import(app_context, read_file(str(example)), example.name))
    dialog = settings_dialog(app_context, MemorySecretStore(), keyring_problem="")
    editor = _editor(dialog)
    assert editor.name.text() == "AI compute"
    assert editor.owner_note.isVisibleTo(editor)
    note = editor.owner_note.text()
    assert "Set by the employer policy <b>ai-compute</b> (revision 3)" in note and "amount, cadence" in note
    for field in (editor.name, editor.amount, editor.unit, editor.cadence, editor.anchor, editor.rollover, editor.cap):
        assert not field.isEnabled()
    assert editor.scope.isEnabled() and editor.alerts.add_button.isEnabled()
    editor.reject()


def test_closing_the_editor_with_unsaved_edits_asks(settings, allowance_ctx, asked) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.ledger import allowances
    from tokenwallet.ui.settings.discard import Answer

    editor = _editor(settings)
    editor.reject()  # nothing edited: closes without a question
    assert asked.questions == [] and not editor.isVisible()
    editor = _editor(settings)
    editor.amount.setText("120")
    asked.answer = Answer.KEEP
    editor.reject()
    assert asked.questions == [["Work: amount"]] and editor.isVisible()
    asked.answer = Answer.SAVE
    editor.reject()
    assert not editor.isVisible()
    assert allowances.get(allowance_ctx.ledger(), "a1").amount == usd_to_micros(120)
