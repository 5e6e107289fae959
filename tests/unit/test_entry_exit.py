"""The console entry ends a command without the interpreter's teardown, as ``sys.exit`` would end it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("TOKENWALLET_HOME", "TOKENWALLET_NOW")}


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=_env(), check=False)


EXIT = """
import logging, logging.handlers, sys
from tokenwallet.entry import _exit_now
target = logging.FileHandler(sys.argv[1])
buffered = logging.handlers.MemoryHandler(100, target=target)  # writes only when flushed or closed
logging.getLogger("t").addHandler(buffered)
logging.getLogger("t").warning("the last record")
sys.stdout.write("printed before the end")  # buffered: a pipe is not a terminal
_exit_now(eval(sys.argv[2]))
"""


@pytest.mark.parametrize(
    ("code", "status", "stderr"), [("None", 0, ""), ("3", 3, ""), ("'bad input'", 1, "bad input\n")]
)
def test_exit_now_keeps_sys_exit_status_output_and_log(tmp_path: Path, code: str, status: int, stderr: str) -> None:
    log = tmp_path / "log.txt"
    done = _run("-c", EXIT, str(log), code)
    assert done.returncode == status
    assert done.stdout == "printed before the end"
    assert done.stderr == stderr
    assert log.read_text() == "the last record\n"


def test_commands_end_with_their_status_and_whole_output(tmp_path: Path) -> None:
    home = str(tmp_path / "home")
    added = _run("-m", "tokenwallet", "--home", home, "usage", "add", "--provider", "openai", "--amount", "2.25")
    assert added.returncode == 0, added.stderr
    status = _run("-m", "tokenwallet", "--home", home, "status", "--json")
    assert status.returncode == 0, status.stderr
    assert isinstance(json.loads(status.stdout), dict)  # all of it reached the pipe
    wrong = _run("-m", "tokenwallet", "--home", home, "no-such-command")
    assert wrong.returncode == 2
    assert "No such command 'no-such-command'" in wrong.stderr
    refused = _run("-m", "tokenwallet", "--home", home, "budget", "check", "--amount", "1")
    assert refused.returncode == 2 and refused.stderr.startswith("error: There is no usd allowance")
