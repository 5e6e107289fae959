"""Finding agent-log folders from an injected environment, and first-start accounts."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from tokenwallet.domain.accounts import AccountKind
from tokenwallet.ledger import accounts
from tokenwallet.sources.agent_logs import discovery
from tokenwallet.sync.log_import.importer import ensure_detected_accounts


def _home(tmp_path: Path) -> Path:
    home = tmp_path / "user"
    (home / ".claude" / "projects").mkdir(parents=True)
    (home / ".config" / "claude" / "projects").mkdir(parents=True)
    (home / ".codex" / "sessions").mkdir(parents=True)
    return home


def test_default_folders_and_config_dir_list(tmp_path: Path) -> None:
    home = _home(tmp_path)
    assert discovery.claude_roots({}, home) == [home / ".config/claude/projects", home / ".claude/projects"]
    a, b = tmp_path / "a", tmp_path / "b" / "projects"
    (a / "projects").mkdir(parents=True)
    b.mkdir(parents=True)
    env = {"CLAUDE_CONFIG_DIR": f"{a}, {b},{tmp_path / 'missing'}"}
    assert discovery.claude_roots(env, home) == [a / "projects", b]
    assert discovery.codex_roots({}, home) == [home / ".codex"]
    assert discovery.codex_roots({"CODEX_HOME": str(tmp_path / "none")}, home) == []
    assert AccountKind.GEMINI not in discovery.detect({}, home)


def test_first_start_creates_accounts_once_and_respects_removal(db: Any, tmp_path: Path, now: datetime) -> None:
    home = _home(tmp_path)
    created = ensure_detected_accounts(db, env={}, home=home, at=now)
    kinds = sorted(a.kind.value for a in created)
    assert kinds == ["claude-code", "codex"] and all(a.enabled for a in created)
    claude = next(a for a in created if a.kind is AccountKind.CLAUDE_CODE)
    assert claude.config["paths"] == [str(home / ".config/claude/projects"), str(home / ".claude/projects")]
    assert ensure_detected_accounts(db, env={}, home=home, at=now) == []
    # The user turns one off and removes the other: neither comes back.
    accounts.update(db, claude.id, at=now, enabled=False)
    accounts.remove(db, next(a.id for a in created if a.kind is AccountKind.CODEX), at=now)
    assert ensure_detected_accounts(db, env={}, home=home, at=now) == []
    actions = [r[0] for r in db.execute("SELECT action FROM audit_log WHERE actor = 'system'").fetchall()]
    assert actions.count("account.add") == 2
