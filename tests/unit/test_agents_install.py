"""`tokenwallet agents install|uninstall|status` on settings files with other content, comments and damage."""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
import tomlkit
from click.testing import CliRunner

from tokenwallet.agents import install as inst
from tokenwallet.cli.root import cli
from tokenwallet.domain.errors import ConfigError, UserInputError

GUARD = "/opt/tw/bin/tokenwallet guard --mode block --agent claude-code"
LINE = "/opt/tw/bin/tokenwallet statusline"
NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)

CLAUDE = {
    "model": "opus",
    "permissions": {"allow": ["Bash(npm test:*)"], "deny": ["Read(./.env)"]},
    "env": {"FOO": "bar"},
    "hooks": {
        "PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "~/bin/lint-bash"}]}],
        "Stop": [{"hooks": [{"type": "command", "command": "notify-send done"}]}],
    },
}


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_claude_code_keeps_every_other_key_and_backs_up(tmp_path: Path) -> None:
    path = write(tmp_path / "settings.json", json.dumps(CLAUDE, indent=2))
    os.chmod(path, 0o640)
    change = inst.install("claude-code", path, statusline=LINE, guard=GUARD, now=NOW)
    assert change.changed and change.backup is not None
    assert json.loads(change.backup.read_text()) == CLAUDE
    data = json.loads(path.read_text())
    assert {k: data[k] for k in ("model", "permissions", "env")} == {
        k: CLAUDE[k] for k in ("model", "permissions", "env")
    }
    assert data["hooks"]["Stop"] == CLAUDE["hooks"]["Stop"]
    assert data["hooks"]["PreToolUse"][0] == CLAUDE["hooks"]["PreToolUse"][0]
    assert data["hooks"]["PreToolUse"][1] == {
        "matcher": "*",
        "hooks": [{"type": "command", "command": GUARD, "timeout": 10}],
    }
    for event in ("SessionStart", "UserPromptSubmit"):
        assert data["hooks"][event] == [{"hooks": [{"type": "command", "command": GUARD, "timeout": 10}]}]
    assert data["statusLine"] == {"type": "command", "command": LINE, "padding": 0}
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_installing_twice_changes_nothing(tmp_path: Path) -> None:
    path = write(tmp_path / "settings.json", json.dumps(CLAUDE))
    inst.install("claude-code", path, statusline=LINE, guard=GUARD, now=NOW)
    once = path.read_bytes()
    again = inst.install("claude-code", path, statusline=LINE, guard=GUARD, now=NOW)
    assert not again.changed and again.backup is None
    assert path.read_bytes() == once
    assert len(list(tmp_path.glob("settings.json.tokenwallet-backup-*"))) == 1


def test_new_options_replace_our_entries_in_place(tmp_path: Path) -> None:
    path = write(tmp_path / "settings.json", "{}")
    inst.install("claude-code", path, statusline=None, guard=GUARD, now=NOW)
    data = json.loads(path.read_text())
    data["hooks"]["PreToolUse"].append({"matcher": "Edit", "hooks": [{"type": "command", "command": "fmt"}]})
    path.write_text(json.dumps(data))
    newer = GUARD.replace("--mode block", "--reserve 5 --mode block")
    change = inst.install("claude-code", path, statusline=None, guard=newer, now=NOW)
    assert change.actions == [f"updated the guard on {e}" for e in ("SessionStart", "UserPromptSubmit", "PreToolUse")]
    hooks = json.loads(path.read_text())["hooks"]
    assert hooks["PreToolUse"][0]["hooks"][0]["command"] == newer  # still first, the user's hook still after it
    assert hooks["PreToolUse"][1]["matcher"] == "Edit"


def test_a_new_file_is_created_private(tmp_path: Path) -> None:
    path = tmp_path / "fresh" / "settings.json"
    change = inst.install("claude-code", path, statusline=LINE, guard=GUARD, now=NOW)
    assert change.changed and change.backup is None
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert set(json.loads(path.read_text())) == {"statusLine", "hooks"}


def test_someone_elses_status_line_is_kept_unless_forced(tmp_path: Path) -> None:
    path = write(tmp_path / "settings.json", json.dumps({"statusLine": {"type": "command", "command": "ccstatus"}}))
    with pytest.raises(UserInputError, match="already has a status line"):
        inst.install("claude-code", path, statusline=LINE, guard=None, now=NOW)
    assert json.loads(path.read_text())["statusLine"]["command"] == "ccstatus"
    inst.install("claude-code", path, statusline=LINE, guard=None, force=True, now=NOW)
    assert json.loads(path.read_text())["statusLine"]["command"] == LINE


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"model": "opus",}', "not valid JSON"),
        ("[1, 2]", "does not hold a JSON object"),
        ('{"hooks": []}', "hooks is not an object"),
        ('{"hooks": {"PreToolUse": {"matcher": "*"}}}', "hooks.PreToolUse is not a list"),
        ('{"hooks": {"SessionStart": ["echo"]}}', "unexpected shape"),
        ('{"statusLine": "tokenwallet statusline"}', "statusLine is not an object"),
        ('{\n  // my model\n  "model": "opus"\n}', "has comments"),
    ],
)
def test_a_file_it_cannot_parse_is_left_alone(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path / "settings.json", text)
    with pytest.raises(ConfigError, match=message):
        inst.install("claude-code", path, statusline=LINE, guard=GUARD, now=NOW)
    assert path.read_text() == text
    assert list(tmp_path.iterdir()) == [path]


def test_an_unreadable_file_is_left_alone(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        path = write(tmp_path / "settings.json", "{}")
        path.unlink()
        path.mkdir()  # root reads any file; a folder where the file should be cannot be read either
    else:
        path = write(tmp_path / "settings.json", "{}")
        os.chmod(path, 0)
    with pytest.raises(ConfigError, match="cannot be read"):
        inst.install("claude-code", path, statusline=LINE, guard=GUARD, now=NOW)


def test_gemini_with_comments_is_refused_with_the_entries_to_add(tmp_path: Path) -> None:
    text = '{\n  // dark, always\n  "theme": "Dracula",\n  /* keep */ "mcpServers": {}\n}\n'
    path = write(tmp_path / "settings.json", text)
    with pytest.raises(ConfigError) as caught:
        inst.install("gemini", path, statusline=None, guard="tokenwallet guard --agent gemini", now=NOW)
    message = str(caught.value)
    assert "has comments" in message and "Add these entries by hand" in message
    snippet = json.loads(message.split("by hand:\n", 1)[1])
    assert set(snippet["hooks"]) == {"SessionStart", "BeforeAgent", "BeforeTool"}
    assert path.read_text() == text


def test_gemini_without_comments(tmp_path: Path) -> None:
    original = {"theme": "Dracula", "hooks": {"enabled": True, "disabled": ["secret-scanner"]}}
    path = write(tmp_path / "settings.json", json.dumps(original))
    inst.install("gemini", path, statusline=None, guard="tokenwallet guard --agent gemini", now=NOW)
    data = json.loads(path.read_text())
    assert data["theme"] == "Dracula"
    assert (data["hooks"]["enabled"], data["hooks"]["disabled"]) == (True, ["secret-scanner"])
    tool = data["hooks"]["BeforeTool"][0]
    assert tool["matcher"] == "*"
    assert tool["hooks"][0] == {
        "name": "tokenwallet-guard",
        "type": "command",
        "command": "tokenwallet guard --agent gemini",
        "timeout": 10_000,
    }
    with pytest.raises(UserInputError, match="no status line"):
        inst.install("gemini", path, statusline=LINE, guard=None, now=NOW)
    assert inst.state("gemini", path).guard_events == ("SessionStart", "BeforeAgent", "BeforeTool")
    inst.uninstall("gemini", path, statusline=False, guard=True, now=NOW)
    assert json.loads(path.read_text()) == original


CODEX = """# Codex settings, kept by hand
model = "gpt-5.1-codex"  # the default model
approval_policy = "on-request"

[mcp_servers.docs]
command = "docs-mcp"  # docs server
args = ["--port", "0"]

[[hooks.Stop]]
[[hooks.Stop.hooks]]
type = "command"
command = "say done"
"""


def test_codex_toml_keeps_comments_and_other_tables(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", CODEX)
    command = "/opt/tw/bin/tokenwallet guard --mode block --agent codex"
    inst.install("codex", path, statusline=None, guard=command, now=NOW)
    text = path.read_text()
    assert text.startswith(CODEX)  # everything that was there, comments included, byte for byte
    doc = tomlkit.parse(text).unwrap()
    assert doc["hooks"]["Stop"] == [{"hooks": [{"type": "command", "command": "say done"}]}]
    for event in ("SessionStart", "UserPromptSubmit", "PreToolUse"):
        assert doc["hooks"][event] == [{"hooks": [{"type": "command", "command": command}]}]
    assert not inst.install("codex", path, statusline=None, guard=command, now=NOW).changed
    inst.uninstall("codex", path, statusline=False, guard=True, now=NOW)
    assert path.read_text() == CODEX


def test_codex_bad_toml_is_left_alone(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", 'model = "a"\nmodel = "b"\n')
    with pytest.raises(ConfigError, match="not valid TOML"):
        inst.install("codex", path, statusline=None, guard="tokenwallet guard", now=NOW)


def test_codex_hooks_json_is_used_when_present(tmp_path: Path) -> None:
    write(tmp_path / "hooks.json", json.dumps({"hooks": {}}))
    path = inst.settings_path("codex", {"CODEX_HOME": str(tmp_path)})
    assert path == tmp_path / "hooks.json"
    inst.install("codex", path, statusline=None, guard="tokenwallet guard", now=NOW)
    hooks = json.loads(path.read_text())["hooks"]
    assert hooks["PreToolUse"] == [{"hooks": [{"type": "command", "command": "tokenwallet guard"}]}]  # no matcher


def test_uninstall_takes_out_only_ours(tmp_path: Path) -> None:
    path = write(tmp_path / "settings.json", json.dumps(CLAUDE))
    inst.install("claude-code", path, statusline=LINE, guard=GUARD, now=NOW)
    change = inst.uninstall("claude-code", path, statusline=True, guard=True, now=NOW)
    assert change.changed
    assert json.loads(path.read_text()) == CLAUDE
    assert not inst.uninstall("claude-code", path, statusline=True, guard=True, now=NOW).changed


def test_a_symlinked_settings_file_stays_a_link(tmp_path: Path) -> None:
    real = write(tmp_path / "dotfiles" / "claude.json", "{}")
    link = tmp_path / ".claude" / "settings.json"
    link.parent.mkdir()
    link.symlink_to(real)
    inst.install("claude-code", link, statusline=LINE, guard=None, now=NOW)
    assert link.is_symlink()
    assert json.loads(real.read_text())["statusLine"]["command"] == LINE


@pytest.mark.parametrize(
    ("command", "word", "ours"),
    [
        ("/usr/bin/tokenwallet guard --mode block", "guard", True),
        ("tokenwallet --home '/a b' guard", "guard", True),
        ("/venv/bin/python -m tokenwallet statusline", "statusline", True),
        ("my-guard tokenwallet-guard", "guard", False),
        ("echo guard", "guard", False),
        ("tokenwallet statusline", "guard", False),
        (None, "guard", False),
    ],
)
def test_our_entries_are_known_by_their_command(command: str | None, word: str, ours: bool) -> None:
    assert inst.is_ours(command, word) is ours


def test_settings_paths_follow_the_agents_environment(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path)}
    assert inst.settings_path("claude-code", env) == tmp_path / ".claude" / "settings.json"
    assert inst.settings_path("claude-code", {**env, "CLAUDE_CONFIG_DIR": "/c1,/c2"}) == Path("/c1/settings.json")
    assert inst.settings_path("codex", env) == tmp_path / ".codex" / "config.toml"
    assert inst.settings_path("codex", {**env, "CODEX_HOME": "/cx"}) == Path("/cx/config.toml")
    assert inst.settings_path("gemini", env) == tmp_path / ".gemini" / "settings.json"


def test_the_cli_install_status_uninstall(tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "claude"))
    monkeypatch.delenv("CODEX_HOME", raising=False)
    runner = CliRunner()
    result = runner.invoke(cli, ["--home", str(home), "agents", "install", "claude-code", "--reserve", "2"])
    assert result.exit_code == 0, result.output
    settings = json.loads((tmp_path / "claude" / "settings.json").read_text())
    command = settings["hooks"]["PreToolUse"][0]["hooks"][0]["command"]
    assert command.endswith(f"--home {home} guard --reserve 2 --mode block --agent claude-code")
    assert settings["statusLine"]["command"].endswith(f"--home {home} statusline")
    status = json.loads(runner.invoke(cli, ["--home", str(home), "agents", "status", "--json"]).output)
    claude = status["agents"][0]
    assert claude["statusline_is_tokenwallet"] is True
    assert sorted(claude["guard_events"]) == ["PreToolUse", "SessionStart", "UserPromptSubmit"]
    bad = runner.invoke(cli, ["--home", str(home), "agents", "install", "claude-code", "--reserve", "lots"])
    assert bad.exit_code == 2 and "--reserve" in bad.output
    dry = runner.invoke(cli, ["--home", str(home), "agents", "uninstall", "claude-code", "--dry-run"])
    assert dry.exit_code == 0 and json.loads(dry.stdout) == {}
    assert (tmp_path / "claude" / "settings.json").read_text() != "{}\n"
    gone = runner.invoke(cli, ["--home", str(home), "agents", "uninstall", "claude-code"])
    assert gone.exit_code == 0 and json.loads((tmp_path / "claude" / "settings.json").read_text()) == {}
    broken = tmp_path / ".gemini" / "settings.json"
    write(broken, "{ nope")
    result = runner.invoke(cli, ["--home", str(home), "agents", "install", "gemini"])
    assert result.exit_code == 1 and "not valid JSON" in result.output
    assert broken.read_text() == "{ nope"
