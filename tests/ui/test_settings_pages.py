"""The settings window without dead ends: unsaved edits, accounts of every kind, alerts, pay, agents, policy."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from tokenwallet.domain.accounts import AccountKind
from tokenwallet.secrets.store import MemorySecretStore
from tokenwallet.ui.settings.discard import Answer

pytestmark = pytest.mark.usefixtures("qapp")
EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"
MARK = "border: 2px solid #c62828"


def _select(page, kind: str) -> None:  # type: ignore[no-untyped-def]
    page.new_account()
    page.account_kind.setCurrentIndex(page.account_kind.findData(kind))


def _visible(page, widget) -> bool:  # type: ignore[no-untyped-def]
    return page.form.isRowVisible(widget)


# ----------------------------------------------------------------------------- closing the window


def test_closing_with_unsaved_edits_asks_and_discard_shows_the_stored_values(
    app_context, settings_dialog, asked
) -> None:  # type: ignore[no-untyped-def]
    dialog = settings_dialog(app_context)
    dialog.show()
    dialog.general.timezone.setText("Asia/Kolkata")
    dialog.alerts.notifications.setChecked(False)
    dialog.accounts.account_label.setText("Work OpenAI")
    dialog.accounts.account_key.setText("sk-test-0123456789abcd")
    dialog.reject()
    assert asked.questions == [
        [
            "Accounts: the new OpenAI account was not added",
            "Alerts: notifications",
            "General: time zone",
        ]
    ]
    assert not dialog.isVisible()
    # Discarded: nothing stored, and the forms show what is stored when the window opens again.
    assert app_context.settings.timezone == "" and app_context.settings.notifications
    assert dialog.general.timezone.text() == "" and dialog.alerts.notifications.isChecked()
    assert dialog.accounts.account_key.text() == "" and dialog.accounts.account_label.text() == ""


def test_each_page_shows_its_own_last_message(app_context, settings_dialog) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.ui.settings.changes import Tone

    dialog = settings_dialog(app_context)
    dialog.show()
    dialog.tabs.setCurrentWidget(dialog.policy)
    dialog.changes.said.emit("Check what the import will do, then choose Apply.", Tone.PLAIN)
    dialog.tabs.setCurrentWidget(dialog.general)
    assert dialog.status.text() == ""  # the policy page's hint is not shown under General
    dialog.changes.said.emit("Refused: the pay must be a positive amount.", Tone.PROBLEM)
    dialog.tabs.setCurrentWidget(dialog.policy)
    assert dialog.status.text() == "Check what the import will do, then choose Apply."
    dialog.tabs.setCurrentWidget(dialog.general)
    assert dialog.status.text() == "Refused: the pay must be a positive amount."


def test_keep_editing_leaves_the_window_open(app_context, settings_dialog, asked) -> None:  # type: ignore[no-untyped-def]
    dialog = settings_dialog(app_context)
    dialog.show()
    dialog.general.pay_amount.setText("6000")
    asked.answer = Answer.KEEP
    dialog.reject()
    assert dialog.isVisible() and dialog.general.pay_amount.text() == "6000"
    asked.answer = Answer.DISCARD
    dialog.reject()


def test_save_on_close_stores_every_page_then_closes(app_context, settings_dialog, asked) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.ledger import accounts, allowances

    store = MemorySecretStore()
    dialog = settings_dialog(app_context, store)
    dialog.show()
    dialog.general.pay_amount.setText("90000")
    dialog.general.pay_period.setCurrentIndex(dialog.general.pay_period.findData("yearly"))
    dialog.alerts.quiet.setChecked(True)
    dialog.accounts.account_label.setText("Work OpenAI")
    dialog.accounts.account_key.setText("sk-test-0123456789abcd")
    dialog.allowances.fields.name.setText("Side project")
    dialog.allowances.fields.amount.setText("50")
    asked.answer = Answer.SAVE
    dialog.reject()
    assert not dialog.isVisible()
    settings = app_context.settings
    assert (settings.pay_amount, settings.pay_period) == ("90000", "yearly")
    assert (settings.quiet_hours_start, settings.quiet_hours_end) == ("22:00", "07:00")
    [account] = accounts.list_accounts(app_context.ledger(), include_disabled=True)[-1:]
    assert account.label == "Work OpenAI" and store.get(account.id) is not None
    assert [a.name for a in allowances.list_allowances(app_context.ledger())] == ["Side project"]


def test_a_refused_save_on_close_keeps_the_window_open_on_the_field(app_context, settings_dialog, asked) -> None:  # type: ignore[no-untyped-def]
    dialog = settings_dialog(app_context)
    dialog.show()
    dialog.general.pay_amount.setText("lots")
    asked.answer = Answer.SAVE
    dialog.reject()
    assert dialog.isVisible()
    assert "positive number like 5000" in dialog.status.text()
    assert MARK in dialog.general.pay_amount.styleSheet()
    assert app_context.settings.pay_amount == ""
    asked.answer = Answer.DISCARD
    dialog.reject()


def test_nothing_unsaved_closes_without_asking(app_context, settings_dialog, asked) -> None:  # type: ignore[no-untyped-def]
    dialog = settings_dialog(app_context)
    dialog.show()
    dialog.reject()
    assert asked.questions == [] and not dialog.isVisible()


# ----------------------------------------------------------------------------- accounts


def test_each_kind_asks_for_what_it_needs(app_context, settings_dialog) -> None:  # type: ignore[no-untyped-def]
    dialog = settings_dialog(app_context)
    page = dialog.accounts
    _select(page, "openai")
    assert _visible(page, page.account_key) and _visible(page, page.account_url)
    assert not _visible(page, page.folder_box) and not _visible(page, page.billed_by)
    assert page.form.labelForField(page.account_url).text() == "Base URL"
    assert "default https://" in page.account_url.placeholderText()
    _select(page, "litellm")
    assert page.form.labelForField(page.account_url).text() == "Base URL (required)"
    assert "--" not in page.account_key.toolTip()  # the key help without command-line options
    _select(page, "claude-code")
    assert not _visible(page, page.account_key) and not _visible(page, page.account_url)
    assert _visible(page, page.folder_box) and _visible(page, page.billed_by) and _visible(page, page.subscription)


def test_litellm_without_a_base_url_names_the_field(app_context, settings_dialog) -> None:  # type: ignore[no-untyped-def]
    dialog = settings_dialog(app_context)
    page = dialog.accounts
    _select(page, "litellm")
    page.account_label.setText("Company gateway")
    page.account_key.setText("sk-test-0123456789abcd")
    page.add_button.click()
    assert "needs its base URL" in dialog.status.text() and "--" not in dialog.status.text()
    assert MARK in page.account_url.styleSheet()


def test_a_new_account_is_selected_once_added(app_context, settings_dialog) -> None:  # type: ignore[no-untyped-def]
    dialog = settings_dialog(app_context)
    page = dialog.accounts
    for label in ("First", "Second"):
        _select(page, "openrouter")
        page.account_label.setText(label)
        page.account_key.setText(f"sk-or-v1-{label.lower()}-0123456789")
        page.add_button.click()
        assert page.account() is not None and page.account().label == label
        assert page.mode.text() == f"Account: {label}"
        assert page.save_button.isVisibleTo(page) and not page.add_button.isVisibleTo(page)  # edit mode
        assert page.unsaved() == []


def test_a_log_account_reads_the_folder_chosen(app_context, settings_dialog, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.services.accounts import add_account

    gateway = add_account(
        app_context, MemorySecretStore(), kind=AccountKind.ANTHROPIC, label="Org", key="sk-ant-admin-0123456789"
    )
    logs = tmp_path / "claude"
    (logs / "projects").mkdir(parents=True)
    dialog = settings_dialog(app_context)
    page = dialog.accounts
    page.choose_folder = lambda parent, start: str(logs)
    page.fill(dialog.changes.data)  # the gateway account is now in the list
    _select(page, "claude-code")
    page.account_label.setText("Laptop logs")
    page.browse.click()
    assert page.folder.text() == str(logs)
    page.billed_by.setCurrentIndex(page.billed_by.findData(gateway.id))
    page.add_button.click()
    account = page.account()
    assert account is not None and account.label == "Laptop logs"
    assert account.config["paths"] == [str((logs / "projects").resolve())]
    assert account.billed_by == gateway.id
    # The same folder again would count its usage twice.
    _select(page, "claude-code")
    page.account_label.setText("Again")
    page.folder.setText(str(logs))
    page.add_button.click()
    assert "already reads" in dialog.status.text() and MARK in page.folder.styleSheet()


def test_connection_test_of_an_account_not_yet_added(app_context, settings_dialog, emulator) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.emulator import DEMO_KEYS
    from tokenwallet.ledger import accounts

    dialog = settings_dialog(app_context)
    page = dialog.accounts
    _select(page, "openai")
    page.account_url.setText(emulator.base_url("openai"))
    page.account_key.setText(DEMO_KEYS["openai"])
    page.test_button.click()
    assert dialog.status.text() == (
        f"OpenAI answered at {emulator.base_url('openai')}: the key works. Add the account to keep it."
    )
    page.account_key.setText("sk-admin-not-the-right-one-000000")
    page.test_button.click()
    text = dialog.status.text()
    assert text.startswith("The connection test failed: ")
    assert f"at {emulator.base_url('openai')}/organization/" in text and "Check the key" in text
    assert "sk-admin-not" not in text
    assert MARK in page.account_key.styleSheet()
    assert accounts.list_accounts(app_context.ledger()) == []  # nothing was stored by testing


def test_a_refused_key_of_a_stored_account_says_edit_it_not_add_it(app_context, settings_dialog, emulator) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.services.accounts import add_account

    store = app_context.use_session_only_keys()  # the store the poll service reads keys from
    add_account(
        app_context,
        store,
        kind=AccountKind.OPENAI,
        label="Work",
        base_url=emulator.base_url("openai"),
        key="sk-admin-revoked-key-0000000000",
    )
    dialog = settings_dialog(app_context, store)
    page = dialog.accounts
    page.account_list.setCurrentRow(0)
    page.test_button.click()
    text = dialog.status.text()
    assert f"refused the key (HTTP 401) at {emulator.base_url('openai')}/organization/" in text  # the URL tried
    assert "Edit this account" in text and "adding the account again would count its usage twice" in text
    assert "account add" not in text


# ----------------------------------------------------------------------------- alerts and pay


def test_alert_options_are_saved(app_context, settings_dialog, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QTime

    hook = tmp_path / "page-me"
    hook.write_text("#!/bin/sh\n")
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    dialog = settings_dialog(app_context)
    page = dialog.alerts
    page.notifications.setChecked(False)
    page.quiet.setChecked(True)
    page.quiet_start.setTime(QTime(23, 30))
    page.quiet_end.setTime(QTime(6, 45))
    page.choose_program = lambda parent, start: str(hook)
    page._browse()
    page.save_button.click()
    settings = app_context.settings
    assert not settings.notifications
    assert (settings.quiet_hours_start, settings.quiet_hours_end, settings.alert_hook) == ("23:30", "06:45", str(hook))
    assert page.unsaved() == []
    page.hook.setText(str(tmp_path / "missing"))
    page.save_button.click()
    assert "not a program tokenwallet can run" in dialog.status.text() and MARK in page.hook.styleSheet()
    assert app_context.settings.alert_hook == str(hook)


def test_pay_is_saved_and_names_the_display_currency(app_context, settings_dialog) -> None:  # type: ignore[no-untyped-def]
    dialog = settings_dialog(app_context)
    page = dialog.general
    page.currency.setCurrentText("INR")
    assert page.pay_currency.itemText(0) == "INR (the display currency)"
    page.rate.setText("83.2")
    page.pay_amount.setText("150000")
    page.save_button.click()
    settings = app_context.settings
    assert (settings.display_currency, settings.pay_amount, settings.pay_currency, settings.pay_period) == (
        "INR",
        "150000",
        "",
        "monthly",
    )


# ----------------------------------------------------------------------------- agents


@pytest.fixture
def agent_home(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """Agents' settings files under a private home."""
    home = tmp_path / "user"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in ("CLAUDE_CONFIG_DIR", "CODEX_HOME"):
        monkeypatch.delenv(name, raising=False)
    return home


def test_agent_switches_install_and_take_out(app_context, settings_dialog, agent_home) -> None:  # type: ignore[no-untyped-def]
    dialog = settings_dialog(app_context)
    page = dialog.agents
    box = page.boxes["claude-code"]
    assert not box.statusline.isChecked() and "not there yet" in box.where.text()
    page.reserve.setText("5")
    box.guard.setChecked(True)
    box.statusline.setChecked(True)
    settings_file = agent_home / ".claude" / "settings.json"
    written = json.loads(settings_file.read_text())
    assert written["statusLine"]["command"].endswith(f"--home {app_context.paths.home} statusline")
    guard = written["hooks"]["PreToolUse"][0]["hooks"][0]["command"]
    assert guard.endswith("guard --reserve 5 --mode block --agent claude-code")
    assert box.guard.isChecked() and "guard on SessionStart, UserPromptSubmit, PreToolUse" in box.where.text()
    box.guard.setChecked(False)
    assert "hooks" not in json.loads(settings_file.read_text())
    assert box.statusline.isChecked() and not box.guard.isChecked()


def test_a_settings_file_that_cannot_be_parsed_is_said_and_left_alone(app_context, settings_dialog, agent_home) -> None:  # type: ignore[no-untyped-def]
    broken = agent_home / ".gemini" / "settings.json"
    broken.parent.mkdir()
    broken.write_text('{"theme": "dark",, }')
    dialog = settings_dialog(app_context)
    box = dialog.agents.boxes["gemini"]
    assert box.problem.isVisibleTo(box)
    assert box.problem.text().startswith("Cannot read this file, so tokenwallet leaves it alone:")
    assert not box.guard.isEnabled()
    assert broken.read_text() == '{"theme": "dark",, }'


def test_another_status_line_is_replaced_only_when_confirmed(app_context, settings_dialog, agent_home) -> None:  # type: ignore[no-untyped-def]
    settings_file = agent_home / ".claude" / "settings.json"
    settings_file.parent.mkdir()
    settings_file.write_text(json.dumps({"statusLine": {"type": "command", "command": "ccstatus"}}))
    dialog = settings_dialog(app_context)
    page = dialog.agents
    asked: list[str] = []
    page.confirm_replace = lambda parent, current: asked.append(current) or False
    page.boxes["claude-code"].statusline.setChecked(True)
    assert asked == ["ccstatus"] and not page.boxes["claude-code"].statusline.isChecked()
    assert json.loads(settings_file.read_text())["statusLine"]["command"] == "ccstatus"
    page.confirm_replace = lambda parent, current: True
    page.boxes["claude-code"].statusline.setChecked(True)
    assert json.loads(settings_file.read_text())["statusLine"]["command"].endswith("statusline")
    assert "A backup of the previous file was kept." in page.status.text()


def test_a_bad_reserve_points_at_its_field(app_context, settings_dialog, agent_home) -> None:  # type: ignore[no-untyped-def]
    dialog = settings_dialog(app_context)
    page = dialog.agents
    page.reserve.setText("lots")
    page.boxes["codex"].guard.setChecked(True)
    assert "The reserve is an amount to keep back" in page.status.text() and "--" not in page.status.text()
    assert MARK in page.reserve.styleSheet() and not page.boxes["codex"].guard.isChecked()
    assert not (agent_home / ".codex" / "config.toml").exists()


# ----------------------------------------------------------------------------- policy


def test_policy_import_shows_the_preview_then_applies(app_context, settings_dialog) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.ledger import allowances

    dialog = settings_dialog(app_context)
    page = dialog.policy
    page.choose_file = lambda parent: str(EXAMPLES / "example-corp-policy.toml")
    dialog.allowances.policy_button.click()  # "Import policy…" on the Allowances page opens the Policy page
    assert dialog.tabs.currentWidget() is page
    preview = page.preview.toPlainText()
    assert "Example Corp: policy ai-compute revision 3" in preview and "(not imported before)" in preview
    assert "create allowance 'AI compute'" in preview
    assert page.apply_button.isVisibleTo(page) and allowances.list_allowances(app_context.ledger()) == []
    page.apply_button.click()
    assert [a.name for a in allowances.list_allowances(app_context.ledger())] == ["AI compute", "Agent tokens"]
    assert "Imported ai-compute revision 3" in page.preview.toPlainText()
    assert "Example Corp: ai-compute revision 3" in page.active.item(0).text()
    # The next revision shows what changed against the one imported.
    page.open_file(str(EXAMPLES / "example-corp-policy-rev4.toml"))
    preview = page.preview.toPlainText()
    assert "(replaces revision 3)" in preview and "Changes in the policy since revision 3" in preview
    assert "~ AI compute amount: $500.00 -> $600.00" in preview
    page.cancel_button.click()
    assert not page.apply_button.isVisibleTo(page) and page.unsaved() == []


def test_a_bad_policy_file_lists_its_mistakes(app_context, settings_dialog, tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "policy.toml"
    bad.write_text('schema = "tokenwallet-policy/1"\nemployer = "X"\npolicy_id = "p"\nrevision = 1\n')
    dialog = settings_dialog(app_context)
    page = dialog.policy
    page.open_file(str(bad))
    text = page.preview.toPlainText()
    assert "policy.toml is not a valid policy file" in text and "effective" in text
    assert not page.apply_button.isVisibleTo(page)


def test_org_accounts_are_narrowed_to_the_users_own_usage(app_context, settings_dialog) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.domain.accounts import AccountFilters

    store = MemorySecretStore()
    dialog = settings_dialog(app_context, store)
    page = dialog.accounts
    shown = {
        kind: [d for d, field in page.filters.items() if _visible(page, field)]
        for kind in ("openai", "anthropic", "openrouter", "litellm", "claude-code")
        if _select(page, kind) is None
    }
    assert shown == {
        "openai": ["api_key_id", "project_id"],
        "anthropic": ["api_key_id", "workspace_id", "user_email"],
        "openrouter": ["api_key_id"],
        "litellm": [],
        "claude-code": [],
    }
    _select(page, "anthropic")
    page.account_label.setText("Org (mine)")
    page.account_key.setText("sk-ant-admin01-0123456789abcdef")
    page.filters["user_email"].setText("not-an-email")
    page.add_button.click()
    assert "is not an email address" in dialog.status.text() and MARK in page.filters["user_email"].styleSheet()
    page.filters["user_email"].setText("ana@example.com")
    page.filters["workspace_id"].setText("wrkspc_a, wrkspc_b")
    page.add_button.click()
    account = page.account()
    assert account is not None
    assert account.filters == AccountFilters(workspace_ids=("wrkspc_a", "wrkspc_b"), user_emails=("ana@example.com",))
    assert (
        page.account_list.currentItem()
        .text()
        .endswith("· only workspace ids wrkspc_a and wrkspc_b; user email ana@example.com")
    )
    assert page.filters["workspace_id"].text() == "wrkspc_a, wrkspc_b"  # the stored account's filters
    # The same key again, for the whole organization, would count the same usage twice.
    _select(page, "anthropic")
    page.account_label.setText("Org again")
    page.account_key.setText("sk-ant-admin01-0123456789abcdef")
    page.add_button.click()
    assert "already used by" in dialog.status.text() and MARK in page.account_key.styleSheet()
    # Narrowing the stored account further is a change of that account.
    page.account_list.setCurrentRow(0)
    page.filters["workspace_id"].setText("wrkspc_a")
    assert page.unsaved() == ["Accounts: Org (mine): filters"]
    page.save_button.click()
    assert page.account().filters.workspace_ids == ("wrkspc_a",)


def test_an_edit_waiting_on_one_page_survives_a_change_stored_on_another(app_context, settings_dialog, asked) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.services.accounts import add_account

    add_account(
        app_context, MemorySecretStore(), kind=AccountKind.OPENROUTER, label="Router", key="sk-or-v1-abc0123456"
    )
    dialog = settings_dialog(app_context)
    dialog.show()
    dialog.general.timezone.setText("Asia/Kolkata")  # not saved yet
    dialog.accounts.account_list.setCurrentRow(0)
    dialog.accounts.account_label.setText("Router (mine)")  # not saved yet either
    dialog.allowances.fields.name.setText("Side project")
    dialog.allowances.fields.amount.setText("50")
    dialog.allowances._add_allowance()  # stored: every page is read again
    assert "Adding the allowance: done." in dialog.status.text()
    assert dialog.general.timezone.text() == "Asia/Kolkata"
    assert dialog.accounts.account_label.text() == "Router (mine)"
    dialog.reject()
    assert asked.questions == [["Accounts: Router: name", "General: time zone"]]
