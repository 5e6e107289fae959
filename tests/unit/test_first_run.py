"""First run without Qt: the throwaway demo home, "own data?", and agent-log folders found at start."""

from __future__ import annotations

import tempfile
from pathlib import Path

from tokenwallet.domain.accounts import Account, AccountKind
from tokenwallet.services.first_run import check_first_run, cleanup_demo_home, demo_context, has_own_data


def test_first_run_check_adds_detected_agent_logs(app_context, tmp_path) -> None:  # type: ignore[no-untyped-def]
    empty_home = tmp_path / "user"
    empty_home.mkdir()
    assert check_first_run(app_context, env={}, home=empty_home) is False  # nothing yet: the demo is shown
    logs = tmp_path / "claude" / "projects" / "p"
    logs.mkdir(parents=True)
    (logs / "s.jsonl").write_text("")
    env = {"CLAUDE_CONFIG_DIR": str(tmp_path / "claude")}
    assert check_first_run(app_context, env=env, home=empty_home) is True  # the folder became an account


def test_first_run_check_leaves_log_folders_alone_when_the_setting_is_off(app_context, tmp_path) -> None:  # type: ignore[no-untyped-def]
    logs = tmp_path / "claude" / "projects" / "p"
    logs.mkdir(parents=True)
    app_context.save_settings(app_context.settings.replace(import_local_logs=False))
    assert check_first_run(app_context, env={"CLAUDE_CONFIG_DIR": str(tmp_path / "claude")}, home=tmp_path) is False


def test_own_data_means_an_allowance_or_an_account_other_than_manual_entries(app_context, now) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.ledger import accounts

    db = app_context.ledger()
    accounts.ensure_manual(db, at=now)
    assert not has_own_data(app_context)
    accounts.add(db, Account(id="openai-1", kind=AccountKind.OPENAI, label="Work"), at=now)
    assert has_own_data(app_context)


def test_demo_home_is_throwaway_and_only_it_is_cleaned_up(app_context, clock) -> None:  # type: ignore[no-untyped-def]
    ctx = demo_context(clock)
    home = ctx.paths.config_dir.parent
    assert home.name.startswith("tokenwallet-demo-") and Path(tempfile.gettempdir()) in home.parents
    assert ctx.clock() == clock()
    ctx.ledger()
    ctx.close()
    assert home.is_dir()
    cleanup_demo_home(ctx)
    assert not home.exists()
    user_home = app_context.paths.config_dir.parent
    app_context.ledger()
    cleanup_demo_home(app_context)  # never any other folder
    assert user_home.is_dir()
