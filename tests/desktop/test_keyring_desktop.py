"""The real Secret Service (gnome-keyring) in the desktop session: add, poll, and no key on disk."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.desktop


def _tw(home: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tokenwallet", "--home", str(home), "-vv", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_account_add_stores_key_in_secret_service_and_nowhere_else(tmp_path: Path) -> None:
    import keyring

    from tokenwallet.emulator import start_emulator

    backend = keyring.get_keyring()
    assert "SecretService" in type(backend).__module__ + type(backend).__name__, type(backend)
    home = tmp_path / "home"
    emulator = start_emulator()
    try:
        key = emulator.keys["anthropic"]
        added = _tw(
            home,
            "account",
            "add",
            "anthropic",
            "--label",
            "work",
            "--base-url",
            emulator.base_url("anthropic"),
            "--key-stdin",
            "--json",
            stdin=key + "\n",
        )
        assert added.returncode == 0, added.stderr
        account_id = json.loads(added.stdout)["account"]["id"]
        assert keyring.get_password("tokenwallet", account_id) == key

        polled = _tw(home, "poll", "--once", "--json")
        assert polled.returncode == 0, polled.stderr
        assert json.loads(polled.stdout)["outcomes"][0]["records"] > 0

        emulator.set_fault("anthropic", "revoked")
        failed = _tw(home, "account", "test", account_id)
        assert failed.returncode == 1

        outputs = added.stdout + added.stderr + polled.stdout + polled.stderr + failed.stdout + failed.stderr
        assert key not in outputs
        leaks = [p for p in home.rglob("*") if p.is_file() and key.encode() in p.read_bytes()]
        assert leaks == []

        removed = _tw(home, "account", "remove", account_id)
        assert removed.returncode == 0, removed.stderr
        assert keyring.get_password("tokenwallet", account_id) is None
    finally:
        emulator.stop()


def test_without_a_secret_service_the_cli_explains_and_writes_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tokenwallet",
            "--home",
            str(home),
            "account",
            "add",
            "openai",
            "--label",
            "x",
            "--key-stdin",
        ],
        input="sk-admin-abcdefgh1234\n",
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert result.returncode != 0
    assert "gnome-keyring" in result.stderr
    assert not home.exists() or list(home.rglob("*")) == []
