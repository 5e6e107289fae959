"""The read-only commands load only what they need, so the command line starts fast.

``status``, ``budget check`` and ``alerts check`` run in a fresh interpreter against a home with an
allowance and manual usage; afterwards ``sys.modules`` must not hold modules those commands never
use.  A module imported at load time by something on their path (instead of where it is needed)
makes this fail, so the start-up gain does not silently regress.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# Loaded by none of the three commands: click (they run through tokenwallet.cli.quick),
# dataclasses (their records are msgspec Structs, defined in C), the HTTP client, log readers, the
# policy parser and the price catalog, the rotating log file's handlers, TOML writing, OpenSSL's
# hashes (key fingerprints), the random ids of new rows, and the system's time zone lookup (no
# rule here counts by the local month; tzlocal may load importlib.resources to probe zone names).
NEVER = (
    "click",
    "dataclasses",
    "tzlocal",
    "importlib.resources",
    "httpx",
    "tokenwallet.sources.http",
    "tokenwallet.sources.pricing",
    "tokenwallet.sources.agent_logs",
    "tokenwallet.sync.log_import",
    "tokenwallet.policy.parse",
    "logging.handlers",
    "tomlkit",
    "hashlib",
    "secrets",
)
# Also not loaded by status and budget check: the settings file's reader (no settings file here),
# the file-moving helpers of a damaged ledger and, for budget check, the employer policies shown only by status.
NOT_FOR_STATUS = ("tomllib", "shutil")
NOT_FOR_BUDGET = ("tomllib", "shutil", "tokenwallet.services.policy_value", "tokenwallet.ledger.policies")

RUN = """
import json, sys
from tokenwallet.entry import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def _tw(home: Path, *words: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "tokenwallet", "--home", str(home), *words],
        check=True,
        capture_output=True,
        env=_env(),
    )


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("TOKENWALLET_HOME", "TOKENWALLET_NOW")}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("start") / "home"
    _tw(folder, "allowance", "add", "work", "--amount", "100")
    _tw(folder, "usage", "add", "--provider", "openai", "--amount", "2.25")
    _tw(folder, "status")  # the meter snapshot is current: the commands below change nothing
    return folder


def _loaded(home: Path, *words: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", RUN, "--home", str(home), *words],
        capture_output=True,
        text=True,
        env=_env(),
        check=True,
    )
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


def _heavy(loaded: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in loaded if any(m == n or m.startswith(n + ".") for n in names))


def test_status_loads_nothing_it_does_not_need(home: Path) -> None:
    loaded = _loaded(home, "status")
    assert "tokenwallet.services.status" in loaded  # the command ran
    assert _heavy(loaded, NEVER + NOT_FOR_STATUS) == []


def test_budget_check_loads_nothing_it_does_not_need(home: Path) -> None:
    loaded = _loaded(home, "budget", "check", "--amount", "1")
    assert "tokenwallet.services.budget_check" in loaded
    assert _heavy(loaded, NEVER + NOT_FOR_BUDGET) == []


def test_alerts_check_loads_nothing_it_does_not_need(home: Path) -> None:
    loaded = _loaded(home, "alerts", "check", "--no-notify")
    assert "tokenwallet.alerts.service" in loaded
    assert _heavy(loaded, NEVER) == []
