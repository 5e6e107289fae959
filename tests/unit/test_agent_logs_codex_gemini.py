"""Codex CLI rollouts (token deltas, rate-limit windows) and Gemini CLI chats."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tokenwallet.domain.accounts import Account, AccountKind
from tokenwallet.domain.usage import SnapshotKind
from tokenwallet.ledger import accounts, snapshots
from tokenwallet.sync.log_import.importer import import_account

FIXTURES = Path(__file__).parents[1] / "fixtures" / "agent_logs"


def _account(db: Any, kind: AccountKind, root: Path, now: datetime) -> Account:
    return accounts.add(db, Account(id="a", kind=kind, label="a", config={"paths": [str(root)]}), at=now)


def _rows(db: Any) -> list[tuple[Any, ...]]:
    return db.execute(
        "SELECT model, input_tokens, cached_input_tokens, output_tokens, reasoning_tokens, cost_micros, confidence "
        "FROM usage WHERE account_id = 'a' ORDER BY bucket_start, key"
    ).fetchall()


def test_codex_deltas_prices_and_windows(db: Any, tmp_path: Path, clock: Any, now: datetime) -> None:
    root = tmp_path / "codex"
    shutil.copytree(FIXTURES / "codex", root)
    summary = import_account(db, _account(db, AccountKind.CODEX, root, now), clock=clock)
    rows = _rows(db)
    # last_token_usage; a repeated event skipped; a totals-only delta; zero delta skipped; cached clamped.
    assert [r[1:5] for r in rows] == [(800, 200, 300, 100), (1000, 1000, 200, 50), (0, 100, 10, 0)]
    assert rows[0][0] == "gpt-5-codex" and rows[0][5] == 800 * 1.25 + 200 * 0.125 + 300 * 10
    # The rollout runs under a ChatGPT plan (rate_limits.plan_type "plus"): subscription usage, whose
    # money is its API-equivalent value.
    assert {r[6] for r in rows} == {"subscription"}
    assert summary.duplicates == 2 and summary.snapshots == 2
    windows = {s.name: s for s in snapshots.latest(db, "a")}
    assert windows["primary"].kind is SnapshotKind.RATE_WINDOW
    assert (windows["primary"].used_percent, windows["primary"].window_minutes) == (4.0, 300)
    assert windows["secondary"].window_minutes == 10080
    assert windows["primary"].resets_at == datetime.fromtimestamp(1795000000, UTC)


def test_codex_incremental_continues_running_totals(db: Any, tmp_path: Path, clock: Any, now: datetime) -> None:
    root = tmp_path / "codex"
    shutil.copytree(FIXTURES / "codex", root)
    account = _account(db, AccountKind.CODEX, root, now)
    import_account(db, account, clock=clock)
    rollout = next((root / "sessions").rglob("*.jsonl"))
    total = {
        "input_tokens": 3600,
        "cached_input_tokens": 1700,
        "output_tokens": 610,
        "reasoning_output_tokens": 150,
        "total_tokens": 4210,
    }
    event = {
        "timestamp": "2026-11-24T09:10:00.000Z",
        "type": "event_msg",
        "payload": {"type": "token_count", "info": {"total_token_usage": total, "last_token_usage": None}},
    }
    with rollout.open("a") as fh:
        fh.write(json.dumps(event, separators=(",", ":")) + "\n")
    second = import_account(db, account, clock=clock)
    assert second.entries == 1
    assert _rows(db)[-1][1:4] == (500, 0, 100)  # difference from the remembered running total


def test_codex_auto_review_is_priced_as_the_newest_model_of_its_day(
    db: Any, tmp_path: Path, clock: Any, now: datetime
) -> None:
    folder = tmp_path / "codex" / "sessions" / "2026" / "03" / "01"
    folder.mkdir(parents=True)
    usage = {"input_tokens": 1000, "cached_input_tokens": 0, "output_tokens": 100, "reasoning_output_tokens": 0}
    lines = [
        {"timestamp": "2026-03-01T09:00:00.000Z", "type": "turn_context", "payload": {"model": "codex-auto-review"}}
    ]
    for stamp in ("2026-03-01T09:00:05.000Z", "2026-11-24T09:00:05.000Z", "2025-10-01T09:00:05.000Z"):
        info = {"last_token_usage": usage, "total_token_usage": None}
        lines.append({"timestamp": stamp, "type": "event_msg", "payload": {"type": "token_count", "info": info}})
    (folder / "rollout-2026-03-01T09-00-00-auto.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    import_account(db, _account(db, AccountKind.CODEX, tmp_path / "codex", now), clock=clock)
    rows = db.execute(
        "SELECT model, cost_micros, extra FROM usage WHERE account_id = 'a' ORDER BY bucket_start"
    ).fetchall()
    assert [r[0] for r in rows] == ["gpt-5-codex", "gpt-5.3-codex", "gpt-5.6-luna"]
    assert all(r[1] is not None and r[1] > 0 for r in rows)  # priced, never shown as unpriced
    assert all(json.loads(r[2]) == {"model_alias": "codex-auto-review"} for r in rows)


def test_gemini_cached_inside_input_and_thoughts_as_output(db: Any, tmp_path: Path, clock: Any, now: datetime) -> None:
    root = tmp_path / "gemini"
    shutil.copytree(FIXTURES / "gemini", root)
    summary = import_account(db, _account(db, AccountKind.GEMINI, root, now), clock=clock)
    rows = _rows(db)
    assert rows[0][:5] == ("gemini-2.5-pro", 200, 1000, 120, 40)
    assert rows[0][5] == 200 * 1.25 + 1000 * 0.125 + 120 * 10
    assert rows[1][0] == "gemini-9-imaginary" and rows[1][5] is None
    assert summary.unpriced_models == ["gemini-9-imaginary"]
    # The chat document is rewritten as it grows; importing it again does not add rows.
    chat = next(root.rglob("session-*.json"))
    chat.write_text(chat.read_text() + "\n")
    again = import_account(db, _account_again(db), clock=clock)
    assert again.files_read == 1 and len(_rows(db)) == 2


def _account_again(db: Any) -> Account:
    return accounts.get(db, "a")
