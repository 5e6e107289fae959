"""Agent-log accounts added from the settings window: the folder is checked, the billing table is the CLI's."""

from __future__ import annotations

from pathlib import Path

import pytest

from tokenwallet.domain.accounts import AccountKind
from tokenwallet.domain.errors import UserInputError
from tokenwallet.services import log_sources


def test_a_missing_or_empty_folder_is_refused_naming_the_field(app_context, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for folder, words in (("", "Choose the folder"), (str(tmp_path / "nope"), "does not exist")):
        with pytest.raises(UserInputError, match=words) as caught:
            log_sources.add_log_account(app_context, kind=AccountKind.CODEX, label="Codex", folder=folder)
        assert caught.value.field == "folder"
    with pytest.raises(UserInputError) as caught:
        log_sources.add_log_account(app_context, kind=AccountKind.OPENAI, label="x", folder=str(tmp_path))
    assert caught.value.field == "kind"


def test_the_folder_is_kept_as_the_readers_expect_it(app_context, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "claude" / "projects").mkdir(parents=True)
    account = log_sources.add_log_account(
        app_context, kind=AccountKind.CLAUDE_CODE, label="Laptop", folder=str(tmp_path / "claude")
    )
    assert log_sources.folders(account) == [str((tmp_path / "claude" / "projects").resolve())]


def test_log_sources_are_billed_through_their_provider_or_a_gateway() -> None:
    assert log_sources.bills_through(AccountKind.CLAUDE_CODE) == (
        AccountKind.ANTHROPIC,
        AccountKind.LITELLM,
        AccountKind.OPENROUTER,
    )
    assert AccountKind.OPENAI in log_sources.bills_through(AccountKind.CODEX)
    assert log_sources.bills_through(AccountKind.OPENAI) == ()
