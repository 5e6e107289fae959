"""The meter snapshot: every ledger change rewrites it, the fast path finds it where it is written."""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tokenwallet.app import AppContext
from tokenwallet.cli.root import cli
from tokenwallet.domain.clock import FixedClock
from tokenwallet.services import agent_files
from tokenwallet.services.meter_snapshot import build_meter, keep_meter_current, refresh_meter


def run(home: Path, *args: str) -> Result:
    result = CliRunner().invoke(cli, ["--home", str(home), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def meter(home: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((home / "cache" / "meter.json").read_text())


def test_each_change_from_the_command_line_rewrites_the_snapshot(home: Path) -> None:
    run(home, "allowance", "add", "work", "--amount", "100", "--cadence", "monthly")
    first = meter(home)["allowances"][0]
    assert (first["name"], first["unit"], first["remaining"], first["granted"]) == (
        "work",
        "usd",
        100_000_000,
        100_000_000,
    )
    assert first["formatted"]["remaining"] == "$100.00"

    run(home, "usage", "add", "--amount", "12.50", "--provider", "openai")
    assert meter(home)["allowances"][0]["remaining"] == (100_000_000 - 12_500_000)

    run(home, "allowance", "topup", "work", "--amount", "20")
    assert meter(home)["allowances"][0]["remaining"] == (100_000_000 - 12_500_000 + 20_000_000)

    run(home, "allowance", "edit", "work", "--amount", "50")
    assert meter(home)["allowances"][0]["granted"] == (50_000_000 + 20_000_000)


def test_a_command_that_changes_nothing_leaves_the_snapshot_alone(home: Path) -> None:
    run(home, "allowance", "add", "work", "--amount", "100")
    path = home / "cache" / "meter.json"
    path.write_text('{"marker": true}')
    run(home, "status")
    run(home, "allowance", "list")
    assert json.loads(path.read_text()) == {"marker": True}


def test_the_snapshot_is_private_and_replaced_atomically(home: Path) -> None:
    run(home, "allowance", "add", "work", "--amount", "100")
    path = home / "cache" / "meter.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".meter.json")] == []


def test_ledger_changed_sees_writes_of_this_and_other_connections(home: Path) -> None:
    ctx = AppContext.create(str(home))
    calls: list[int] = []
    ctx.ledger_listeners.append(lambda c: calls.append(1))
    db = ctx.ledger()
    assert ctx.ledger_changed() is False  # nothing since the connection opened
    db.execute(
        "INSERT INTO audit_log (at, actor, action, entity, entity_id, details) VALUES (1, 'u', 'x', 'y', '', '{}')"
    )
    db.conn.commit()
    assert ctx.ledger_changed() is True
    assert ctx.ledger_changed() is False
    other = AppContext.create(str(home))  # another connection, as a worker thread or process has
    other.ledger().execute(
        "INSERT INTO audit_log (at, actor, action, entity, entity_id, details) VALUES (2, 'u', 'x', 'y', '', '{}')"
    )
    other.ledger().conn.commit()
    other.close()
    assert ctx.ledger_changed() is True
    assert calls == [1, 1]
    ctx.close()


def test_a_failing_listener_never_fails_the_caller(home: Path, caplog: pytest.LogCaptureFixture) -> None:
    ctx = AppContext.create(str(home))

    def broken(_: AppContext) -> None:
        raise OSError("disk full")

    ctx.ledger_listeners.append(broken)
    db = ctx.ledger()
    db.execute(
        "INSERT INTO audit_log (at, actor, action, entity, entity_id, details) VALUES (1, 'u', 'x', 'y', '', '{}')"
    )
    assert ctx.ledger_changed() is True
    assert "disk full" in caplog.text
    ctx.close()


def test_keep_meter_current_registers_once_and_refreshes_after_each_poll(home: Path) -> None:
    ctx = AppContext.create(str(home))
    keep_meter_current(ctx)
    keep_meter_current(ctx)
    assert len(ctx.ledger_listeners) == 1
    assert len(ctx.after_poll) == 1
    ctx.ledger().execute(
        "INSERT INTO audit_log (at, actor, action, entity, entity_id, details) VALUES (1, 'u', 'x', 'y', '', '{}')"
    )
    ctx.after_poll[0](ctx.ledger(), datetime.now(UTC))
    assert (home / "cache" / "meter.json").exists()
    ctx.close()


def test_build_meter_marks_states_resets_and_expiries(home: Path) -> None:
    now = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
    ctx = AppContext.create(str(home), clock=FixedClock(now))
    runner_home = str(home)
    CliRunner().invoke(
        cli,
        [
            "--home",
            runner_home,
            "allowance",
            "add",
            "work",
            "--amount",
            "100",
            "--starts",
            "2026-11-01",
            "--timezone",
            "UTC",
        ],
    )
    CliRunner().invoke(
        cli,
        [
            "--home",
            runner_home,
            "allowance",
            "topup",
            "work",
            "--amount",
            "10",
            "--expires",
            "2026-11-19",
            "--at",
            "2026-11-05",
        ],
    )
    CliRunner().invoke(
        cli,
        ["--home", runner_home, "usage", "add", "--amount", "99", "--provider", "openai", "--at", "2026-11-10T10:00"],
    )
    built = build_meter(ctx.ledger(), now, ctx.settings)
    row = built["allowances"][0]
    # The top-up lapses first, so it is spent first: 99 of (100 + 10) is used, 11 is left.
    assert row["remaining"] == (100_000_000 + 10_000_000 - 99_000_000)
    assert row["state"] == "warning"  # 99 of 110 is 90 % used: past 80, short of 95
    assert row["reset_day"] == "1 Dec"
    assert row["period_end"] == int(datetime(2026, 12, 1, tzinfo=UTC).timestamp())
    assert row["expiring"] is None  # the top-up is used up, nothing of it lapses
    assert built["valid_until"] == row["period_end"]  # nothing lapses before the reset
    assert built["primary"] == "work"
    ctx.close()


def test_value_that_lapses_before_the_reset_is_shown_and_bounds_the_snapshot(home: Path) -> None:
    now = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
    ctx = AppContext.create(str(home), clock=FixedClock(now))
    h = str(home)
    CliRunner().invoke(cli, ["--home", h, "allowance", "add", "work", "--amount", "100", "--timezone", "UTC"])
    CliRunner().invoke(
        cli,
        ["--home", h, "allowance", "topup", "work", "--amount", "10", "--expires", "2026-11-19", "--at", "2026-11-05"],
    )
    CliRunner().invoke(
        cli, ["--home", h, "usage", "add", "--amount", "4", "--provider", "openai", "--at", "2026-11-10T10:00"]
    )
    built = build_meter(ctx.ledger(), now, ctx.settings)
    row = built["allowances"][0]
    assert row["expiring"]["amount"] == (10_000_000 - 4_000_000)  # the top-up is spent first
    assert row["expiring"]["day"] == "20 Nov"  # "through the 19th" ends at midnight
    assert built["valid_until"] == int(datetime(2026, 11, 20, tzinfo=UTC).timestamp())
    assert row["state"] == "ok"
    ctx.close()


def test_the_fast_path_finds_the_snapshot_where_platformdirs_puts_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from tokenwallet.paths import AppPaths

    for xdg in ("", "/tmp/xdg-cache-test", "relative/ignored"):
        if xdg:
            monkeypatch.setenv("XDG_CACHE_HOME", xdg)
        else:
            monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
        monkeypatch.delenv("TOKENWALLET_HOME", raising=False)
        assert agent_files.cache_dir(None) == str(AppPaths.from_platformdirs().cache_dir)


def test_an_explicit_home_wins(tmp_path: Path) -> None:
    assert agent_files.cache_dir(str(tmp_path), {"TOKENWALLET_HOME": "/elsewhere"}) == str(tmp_path / "cache")
    assert agent_files.cache_dir(None, {"TOKENWALLET_HOME": str(tmp_path)}) == str(tmp_path / "cache")
    assert agent_files.ledger_file(None, {}) is None


@pytest.mark.parametrize(
    "content",
    [b"", b"not json", b"[1, 2]", b'{"schema_version": 2, "allowances": []}', b'{"schema_version": 1}', b"\xff\xfe"],
)
def test_a_snapshot_this_version_cannot_read_is_none(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "meter.json").write_bytes(content)
    assert agent_files.read_meter(str(tmp_path)) is None


def test_overrides_expire(tmp_path: Path) -> None:
    now = 1_800_000_000
    (tmp_path / agent_files.OVERRIDES_FILE).write_text(
        json.dumps({"sessions": {"a": {"until": now + 60}, "b": {"until": now - 1}, "c": "junk"}})
    )
    assert agent_files.overridden(str(tmp_path), "a", now) is not None
    assert agent_files.overridden(str(tmp_path), "b", now) is None
    assert agent_files.overridden(str(tmp_path), "c", now) is None
    assert agent_files.overridden(str(tmp_path), "", now) is None


def test_refresh_meter_writes_what_it_returns(home: Path) -> None:
    ctx = AppContext.create(str(home))
    written = refresh_meter(ctx)
    assert meter(home) == written
    assert written["allowances"] == [] and written["primary"] is None
    ctx.close()
    assert os.path.exists(home / "data" / "ledger.db")
    assert timedelta(0) <= datetime.now(UTC) - datetime.fromtimestamp(written["generated_at"], UTC) < timedelta(1)
