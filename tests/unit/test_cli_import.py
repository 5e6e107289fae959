"""`tokenwallet import` on fixture folders: summary, JSON, idempotence and bad paths."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from click.testing import CliRunner

from tokenwallet.cli import cli

FIXTURES = Path(__file__).parents[1] / "fixtures" / "agent_logs"


def test_import_prints_summary_and_is_idempotent(tmp_path: Path) -> None:
    logs = tmp_path / "claude"
    shutil.copytree(FIXTURES / "claude", logs)
    home = tmp_path / "home"
    runner = CliRunner()
    first = runner.invoke(cli, ["--home", str(home), "import", "claude-code", "--path", str(logs)])
    assert first.exit_code == 0, first.output
    assert "duplicates" in first.output and "claude-imaginary-9" in first.output
    assert re.search(r"\nmalformed lines skipped +2\n", first.output)
    assert re.search(r"\nlines rejected \(limits\) +0\n", first.output)
    assert re.search(r"\nunreadable files \(read again next time\) +0\n", first.output)
    second = runner.invoke(cli, ["--home", str(home), "import", "claude-code", "--path", str(logs), "--json"])
    assert second.exit_code == 0, second.output
    payload = json.loads(second.stdout)["import"]
    assert payload["files"] == 2 and payload["files_read"] == 0 and payload["imported"] == 0
    listed = runner.invoke(cli, ["--home", str(home), "account", "list", "--json"])
    assert listed.exit_code == 0 and listed.output.count("claude-code") >= 1


def test_codex_and_gemini_json(tmp_path: Path) -> None:
    runner = CliRunner()
    for agent, folder, entries in (("codex", "codex", 3), ("gemini", "gemini", 2)):
        logs = tmp_path / folder
        shutil.copytree(FIXTURES / folder, logs)
        result = runner.invoke(cli, ["--home", str(tmp_path / "h"), "import", agent, "--path", str(logs), "--json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["import"]["imported"] == entries


def test_missing_path_is_bad_input(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["--home", str(tmp_path / "h"), "import", "claude-code", "--path", str(tmp_path / "nope")]
    )
    assert result.exit_code == 2 and "Log folder not found" in result.output
