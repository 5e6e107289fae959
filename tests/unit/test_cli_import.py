"""`tokenwallet import` on fixture folders: summary, JSON, idempotence and bad paths."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from click.testing import CliRunner

from tokenwallet.cli.root import cli

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


def _claude_lines(count: int) -> str:
    """``count`` lines of claude-sonnet-4: 100 input, 50 output, 1,000 cache-write and 2,000 cache-read tokens."""
    lines = []
    for n in range(count):
        entry = {
            "type": "assistant",
            "timestamp": f"2026-11-{1 + n % 14:02d}T10:{n % 60:02d}:00.000Z",
            "requestId": f"req_{n}",
            "message": {
                "id": f"msg_{n}",
                "model": "claude-sonnet-4-20250514",
                "usage": {
                    "input_tokens": 100,
                    "output_tokens": 50,
                    "cache_creation_input_tokens": 1000,
                    "cache_read_input_tokens": 2000,
                },
            },
        }
        lines.append(json.dumps(entry, separators=(",", ":")))
    return "\n".join(lines) + "\n"


def test_the_summary_shows_cost_with_separators_and_the_last_sync(tmp_path: Path) -> None:
    from tokenwallet.app import AppContext
    from tokenwallet.ledger import accounts, sync_state

    logs = tmp_path / "claude" / "projects" / "p"
    logs.mkdir(parents=True)
    (logs / "session.jsonl").write_text(_claude_lines(1234))
    home = tmp_path / "home"
    runner = CliRunner()
    env = {"TOKENWALLET_NOW": "2026-11-15T12:00:00Z"}
    result = runner.invoke(
        cli, ["--home", str(home), "import", "claude-code", "--path", str(tmp_path / "claude")], env=env
    )
    assert result.exit_code == 0, result.output
    assert re.search(r"\nlines read +1,234\n", result.output)
    assert re.search(r"\nimported +1,234\n", result.output)
    # each line: 100 × $3 + 50 × $15 + 1,000 × $3.75 + 2,000 × $0.30 per million tokens = $0.0054
    each = (100 * 3 + 50 * 15 + 1000 * 3.75 + 2000 * 0.30) / 1_000_000
    assert re.search(rf"\ncost of what was imported +\${1234 * each:,.2f} \(estimated from the logs\)\n", result.output)
    again = runner.invoke(
        cli, ["--home", str(home), "import", "claude-code", "--path", str(tmp_path / "claude"), "--json"], env=env
    )
    assert json.loads(again.stdout)["import"]["cost_micros"] == 0  # nothing new, nothing added
    ctx = AppContext.create(str(home))
    try:
        [account] = [a for a in accounts.list_accounts(ctx.ledger()) if a.kind.value == "claude-code"]
        state = sync_state.get(ctx.ledger(), account.id)
        assert state.last_success is not None and state.last_success.isoformat() == "2026-11-15T12:00:00+00:00"
    finally:
        ctx.shutdown()
