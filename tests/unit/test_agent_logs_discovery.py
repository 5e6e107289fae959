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


def test_claude_log_files_in_rglob_order_without_following_folder_links(tmp_path: Path) -> None:
    root = tmp_path / "projects"
    names = ["a/b.jsonl", "a-b/c.jsonl", "a/z/y.jsonl", "Z/x.jsonl", "top.jsonl", "a/notes.txt", "a/.hidden.jsonl"]
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("{}\n")
    (root / "dir.jsonl").mkdir()  # a folder with a log's name is not a log
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "linked.jsonl").write_text("{}\n")
    (root / "link-to-folder").symlink_to(outside, target_is_directory=True)  # rglob does not descend
    (root / "a" / "link.jsonl").symlink_to(outside / "linked.jsonl")  # a linked file is read

    found = list(discovery.log_files(AccountKind.CLAUDE_CODE, [root]))

    expected = sorted(p for p in root.rglob("*.jsonl") if p.is_file())
    assert found == expected
    assert [p.relative_to(root).as_posix() for p in found] == [
        "Z/x.jsonl",
        "a/.hidden.jsonl",
        "a/b.jsonl",
        "a/link.jsonl",
        "a/z/y.jsonl",
        "a-b/c.jsonl",  # by components, as Path sorts: "a" before "a-b" although "-" < "/"
        "top.jsonl",
    ]
    assert list(discovery.log_files(AccountKind.CLAUDE_CODE, [tmp_path / "missing"])) == []
