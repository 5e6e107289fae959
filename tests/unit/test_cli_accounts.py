"""`tokenwallet account ...` and `tokenwallet poll` through the CLI, against the emulator."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from tokenwallet.cli.root import cli
from tokenwallet.domain.money import usd_to_micros
from tokenwallet.emulator import Scenario, start_emulator


@pytest.fixture
def live_emulator():  # type: ignore[no-untyped-def]
    """The emulator on the real clock (the CLI polls with the system clock)."""
    running = start_emulator()
    yield running
    running.stop()


def run(home: Path, *args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["--home", str(home), *args], input=stdin, catch_exceptions=False)


def _add(home: Path, emu, kind: str) -> str:  # type: ignore[no-untyped-def]
    result = run(
        home,
        "account",
        "add",
        kind,
        "--label",
        f"my {kind}",
        "--base-url",
        emu.base_url(kind),
        "--key-stdin",
        "--json",
        stdin=emu.keys[kind] + "\n",
    )
    assert result.exit_code == 0, result.output
    return str(json.loads(result.output)["account"]["id"])


def _files_contain(root: Path, text: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and text.encode() in p.read_bytes()]


def test_add_poll_list_usage_status_remove(home: Path, live_emulator, memory_keyring) -> None:  # type: ignore[no-untyped-def]
    key = live_emulator.keys["openai"]
    account_id = _add(home, live_emulator, "openai")
    assert memory_keyring.passwords[("tokenwallet", account_id)] == key

    listed = json.loads(run(home, "account", "list", "--json").output)["accounts"]
    assert [(a["id"], a["key_hint"]) for a in listed] == [(account_id, key[-4:])]

    polled = run(home, "poll", "--once", "--json")
    assert polled.exit_code == 0, polled.output
    (outcome,) = json.loads(polled.output)["outcomes"]
    assert outcome["ok"] and outcome["records"] > 0

    usage = run(home, "usage", "list", "--json", "--limit", "1000")
    assert usage.exit_code == 0, usage.output
    assert key not in usage.output
    items = json.loads(usage.output)["usage"]
    assert {(i["source"], i["confidence"]) for i in items} == {("api_usage", "reported"), ("api_cost", "billed")}
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date()
    (cost,) = [i for i in items if i["source"] == "api_cost" and i["bucket_start"].startswith(yesterday.isoformat())]
    assert cost["cost_micros"] == usd_to_micros(Scenario().openai_cost_usd(yesterday, datetime.now(UTC)))
    chat = [i for i in items if i["source"] == "api_usage" and i["model"] == "gpt-5.2"]
    assert chat and all(
        i["cost_micros"] is None and i["input_tokens"] > 0 and i["cached_input_tokens"] > 0 for i in chat
    )

    status = run(home, "status", "--json")
    assert status.exit_code == 0 and account_id in status.output and "last_success" in status.output

    assert _files_contain(home, key) == []

    removed = run(home, "account", "remove", account_id)
    assert removed.exit_code == 0
    assert ("tokenwallet", account_id) not in memory_keyring.passwords
    assert json.loads(run(home, "account", "list", "--json").output)["accounts"] == []


def test_failing_account_test_exits_1_with_reason(home: Path, live_emulator) -> None:  # type: ignore[no-untyped-def]
    account_id = _add(home, live_emulator, "deepseek")
    live_emulator.set_fault("deepseek", "revoked")
    result = CliRunner().invoke(cli, ["--home", str(home), "account", "test", account_id])
    assert result.exit_code == 1
    assert "refused the key" in result.output
    listed = json.loads(run(home, "account", "list", "--json").output)["accounts"][0]
    assert listed["sync"]["error_kind"] == "auth" and listed["sync"]["failures"] == 1


def test_no_usable_keyring_prints_remedy_and_writes_nothing(home: Path) -> None:
    import keyring
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())
    result = CliRunner().invoke(
        cli,
        ["--home", str(home), "account", "add", "openai", "--label", "x", "--key-stdin"],
        input="sk-admin-abcdefgh\n",
    )
    assert result.exit_code != 0
    assert "gnome-keyring" in result.output or "Keychain" in result.output
    assert list(home.rglob("*")) == []


def test_remote_plain_http_and_missing_gateway_url_are_refused(home: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["--home", str(home), "account", "add", "litellm", "--label", "gw", "--base-url", "http://llm.example.com"],
        input="sk-abcdefgh\n",
    )
    assert result.exit_code == 2 and "https" in result.output
    result = CliRunner().invoke(cli, ["--home", str(home), "account", "add", "litellm", "--label", "gw"], input="k\n")
    assert result.exit_code == 2 and "--base-url" in result.output


def test_key_is_never_taken_from_arguments(home: Path) -> None:
    result = CliRunner().invoke(cli, ["--home", str(home), "account", "add", "openai", "--label", "x", "--key", "sk-1"])
    assert result.exit_code == 2 and "No such option" in result.output


def test_empty_key_is_a_clear_error(home: Path) -> None:
    result = CliRunner().invoke(
        cli, ["--home", str(home), "account", "add", "openai", "--label", "x", "--key-stdin"], input="\n"
    )
    assert result.exit_code == 2 and "No usable key" in result.output
    assert json.loads(run(home, "account", "list", "--json").output)["accounts"] == []


def test_poll_unknown_account_is_input_error(home: Path) -> None:
    result = CliRunner().invoke(cli, ["--home", str(home), "poll", "--once", "--account", "nope"])
    assert result.exit_code == 2 and "No account 'nope'" in result.output


def test_poll_loop_polls_due_accounts_then_stops_on_interrupt(home: Path, live_emulator, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import tokenwallet.cli.poll as poll_cli

    account_id = _add(home, live_emulator, "moonshot")
    ticks: list[float] = []

    def fake_sleep(seconds: float) -> None:
        ticks.append(seconds)
        raise KeyboardInterrupt

    monkeypatch.setattr(poll_cli.time, "sleep", fake_sleep)
    result = run(home, "poll")
    assert result.exit_code == 0 and f"{account_id}: ok" in result.output
    assert ticks == [poll_cli.TICK_SECONDS]


def test_session_only_keys_stay_in_memory(home: Path, memory_keyring) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.app import AppContext
    from tokenwallet.secrets import ApiKey, MemorySecretStore

    app = AppContext.create(str(home))
    store = app.use_session_only_keys()
    assert isinstance(store, MemorySecretStore) and app.secret_store() is store
    store.set("openai-x", ApiKey("sk-admin-session-only-1234"))
    assert memory_keyring.passwords == {}
    assert app.poll_service().secrets is store
    app.shutdown()


def test_remove_without_a_usable_keyring_forgets_the_account_and_says_the_key_stayed(
    home: Path, live_emulator, memory_keyring
) -> None:  # type: ignore[no-untyped-def]
    import keyring
    from keyring.backends import fail

    account_id = _add(home, live_emulator, "openai")
    keyring.set_keyring(fail.Keyring())
    result = CliRunner().invoke(cli, ["--home", str(home), "account", "remove", account_id])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Removed {account_id}; its history was kept.\n"
    assert "could not be deleted from the keyring" in result.stderr and account_id in result.stderr
    assert json.loads(run(home, "account", "list", "--json").output)["accounts"] == []
    assert memory_keyring.passwords == {("tokenwallet", account_id): live_emulator.keys["openai"]}


def test_field_errors_name_the_option_that_sets_the_field(home: Path) -> None:
    result = CliRunner().invoke(
        cli, ["--home", str(home), "account", "add", "openai", "--label", " ", "--key-stdin"], input="sk-abcdefgh\n"
    )
    assert result.exit_code == 2 and "--label: Give the account a name" in result.output
    result = CliRunner().invoke(
        cli, ["--home", str(home), "account", "add", "openai", "--label", "x", "--base-url", "https://[::1"]
    )
    assert result.exit_code == 2 and "--base-url: The base URL cannot be used" in result.output
    assert json.loads(run(home, "account", "list", "--json").output)["accounts"] == []
