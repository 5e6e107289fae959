"""The delivery port: hook command environment and arguments, composite isolation, quiet hours."""

from __future__ import annotations

import json
import logging
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tokenwallet.alerts.delivery import CompositeDelivery, HookCommand, LogDelivery, Notice
from tokenwallet.alerts.service import in_quiet_hours
from tokenwallet.domain.errors import UserInputError
from tokenwallet.settings import Settings

NOTICE = Notice("work: 80% used", "$80.00 of $100.00 spent", "warning", 1, (1,), ("work: 80% used",))


def script(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "hook.sh"
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_hook_gets_only_allowlisted_env_and_the_notice_on_stdin(tmp_path: Path) -> None:
    out = tmp_path / "out"
    hook = script(tmp_path, f"env > {out}.env\ncat > {out}.json\n")
    environ = {"PATH": os.environ["PATH"], "HOME": "/h", "OPENAI_API_KEY": "sk-secret", "AWS_SECRET": "x"}
    HookCommand(str(hook), environ=environ)(NOTICE)
    env = dict(line.split("=", 1) for line in (tmp_path / "out.env").read_text().splitlines() if "=" in line)
    assert env["TOKENWALLET_ALERT_TITLE"] == "work: 80% used"
    assert env["TOKENWALLET_ALERT_SEVERITY"] == "warning"
    assert "OPENAI_API_KEY" not in env and "AWS_SECRET" not in env
    assert "sk-secret" not in (tmp_path / "out.env").read_text()
    assert json.loads((tmp_path / "out.json").read_text())["body"] == "$80.00 of $100.00 spent"


def test_hook_must_be_an_absolute_executable(tmp_path: Path) -> None:
    with pytest.raises(UserInputError, match="absolute"):
        HookCommand("hook.sh")
    plain = tmp_path / "plain"
    plain.write_text("x")
    with pytest.raises(UserInputError, match="executable"):
        HookCommand(str(plain))


def test_composite_goes_on_after_a_failing_channel(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    seen: list[Notice] = []
    failing = HookCommand(str(script(tmp_path, "exit 3\n")))
    with caplog.at_level(logging.WARNING):
        CompositeDelivery([failing, LogDelivery(), seen.append])(NOTICE)
    assert seen == [NOTICE]
    assert "HookCommand failed" in caplog.text
    assert "alert: work: 80% used" in caplog.text


@pytest.mark.parametrize(
    ("hour", "start", "end", "quiet"),
    [
        (23, "22:00", "07:00", True),
        (6, "22:00", "07:00", True),
        (7, "22:00", "07:00", False),
        (12, "22:00", "07:00", False),
        (13, "12:00", "14:00", True),
        (14, "12:00", "14:00", False),
        (3, "", "", False),
    ],
)
def test_quiet_hours_in_the_users_zone(hour: int, start: str, end: str, quiet: bool) -> None:
    settings = Settings(timezone="Asia/Kolkata", quiet_hours_start=start, quiet_hours_end=end)
    # Kolkata is UTC+5:30: local `hour`:00 is UTC hour-5:30
    at = datetime(2026, 11, 15, hour, tzinfo=UTC) - (datetime(2026, 11, 15, 5, 30) - datetime(2026, 11, 15))
    assert in_quiet_hours(at, settings) is quiet


def test_missing_hook_is_reported_and_left_out(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from tokenwallet.alerts.delivery import default_delivery

    missing = tmp_path / "gone.sh"
    with caplog.at_level(logging.WARNING):
        composite = default_delivery(str(missing))
    assert not any(isinstance(d, HookCommand) for d in composite.deliveries)
    assert str(missing) in caplog.text and "alert_hook" in caplog.text


def test_poll_goes_on_when_the_alert_hook_is_missing(
    home: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from click.testing import CliRunner

    from tokenwallet.cli.root import cli
    from tokenwallet.emulator import start_emulator

    (home / "config").mkdir()
    (home / "config" / "settings.toml").write_text(f'alert_hook = "{tmp_path / "gone.sh"}"\n')
    with start_emulator() as emu:
        args = ["account", "add", "openai", "--label", "oa", "--base-url", emu.base_url("openai"), "--key-stdin"]
        added = CliRunner().invoke(cli, ["--home", str(home), *args], input=emu.keys["openai"] + "\n")
        assert added.exit_code == 0, added.output
        polled = CliRunner().invoke(cli, ["--home", str(home), "poll", "--once"])
    assert polled.exit_code == 0, polled.output
    assert "ok," in polled.output
    assert "gone.sh is not an executable file" in caplog.text
