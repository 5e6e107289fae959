"""Keys are redacted by their exact text, not only by shape: logs, stored errors, messages, hooks, exports."""

from __future__ import annotations

import json
import logging
import os
import stat
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from tokenwallet.alerts.delivery import CompositeDelivery, HookCommand, Notice
from tokenwallet.cli.root import cli
from tokenwallet.domain import redaction
from tokenwallet.domain.errors import AuthError
from tokenwallet.domain.redaction import REDACTED, redact, remember_secret
from tokenwallet.logging_setup import SecretRedactingFilter
from tokenwallet.secrets import ApiKey, KeyringSecretStore, MemorySecretStore

# Not key-shaped: no sk- prefix, no Bearer or x-api-key in front of it.
TEAM_KEY = "team-ABCDEFGH0123456789xyz"


@pytest.fixture(autouse=True)
def fresh_registry() -> Iterator[None]:
    redaction.forget_all()
    yield
    redaction.forget_all()


def test_a_key_of_any_shape_is_redacted_once_loaded() -> None:
    assert redact(f"Invalid key {TEAM_KEY}.") == f"Invalid key {TEAM_KEY}."  # unknown and not key-shaped
    ApiKey(TEAM_KEY)
    assert redact(f"Invalid key {TEAM_KEY}.") == f"Invalid key {REDACTED}."
    # the shapes still apply to keys this process never loaded
    assert redact("key sk-proj-abcdefgh12345678 refused") == f"key {REDACTED} refused"


def test_echoed_forms_and_characters_outside_the_shapes_are_redacted() -> None:
    key = "sk-abcdefgh/ij+kl=="  # a shape would stop at '/' and leave the tail behind
    ApiKey(key)
    echoes = [key, "sk-abcdefgh%2Fij%2Bkl%3D%3D", json.dumps(key)[1:-1]]
    for echo in echoes:
        assert redact(f"got <{echo}>") == f"got <{REDACTED}>", echo


def test_short_values_are_not_remembered() -> None:
    remember_secret("abc")
    assert redact("abc abcdef") == "abc abcdef"


def test_keys_read_from_the_keyring_or_held_in_memory_are_remembered(memory_keyring) -> None:  # type: ignore[no-untyped-def]
    # Put there by another process: this one learns the key only by reading it.
    memory_keyring.passwords[("tokenwallet", "gw-1")] = TEAM_KEY
    assert KeyringSecretStore().get("gw-1") is not None
    assert TEAM_KEY not in redact(TEAM_KEY)
    redaction.forget_all()
    session_key = "session-ONLY-0123456789"
    MemorySecretStore().set("gw-2", ApiKey(session_key))
    assert redact(session_key) == REDACTED


def test_domain_error_messages_never_show_a_loaded_key() -> None:
    ApiKey(TEAM_KEY)
    exc = AuthError(f"litellm refused the key (HTTP 401): Invalid key {TEAM_KEY}", provider="litellm")
    assert TEAM_KEY not in str(exc) and REDACTED in str(exc) and "HTTP 401" in str(exc)


def test_log_records_and_chained_tracebacks_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    ApiKey(TEAM_KEY)
    caplog.handler.addFilter(SecretRedactingFilter())
    logger = logging.getLogger("tokenwallet.test_redaction")
    try:
        try:
            raise ValueError(f"server said: bad key {TEAM_KEY}")
        except ValueError as inner:
            raise RuntimeError("poll failed") from inner
    except RuntimeError:
        logger.exception("account %s: %s", "gw", TEAM_KEY)
    assert caplog.text and TEAM_KEY not in caplog.text
    assert "server said: bad key [redacted]" in caplog.text  # the cause is still there, redacted


def test_alert_hook_gets_no_key_in_environment_or_stdin(tmp_path: Path) -> None:
    ApiKey(TEAM_KEY)
    out = tmp_path / "out"
    hook = tmp_path / "hook.sh"
    hook.write_text(f"#!/bin/sh\nenv > {out}.env\ncat > {out}.json\n")
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    notice = Notice(f"gw: {TEAM_KEY}", f"refused {TEAM_KEY}", "warning", 1, (), (f"line {TEAM_KEY}",))
    CompositeDelivery([HookCommand(str(hook), environ={"PATH": os.environ["PATH"]})])(notice)
    env_text, stdin_text = (tmp_path / "out.env").read_text(), (tmp_path / "out.json").read_text()
    assert TEAM_KEY not in env_text and TEAM_KEY not in stdin_text
    assert json.loads(stdin_text)["lines"] == [f"line {REDACTED}"]
    assert f"TOKENWALLET_ALERT_BODY=refused {REDACTED}" in env_text


class _EchoingGateway(BaseHTTPRequestHandler):
    """A gateway that refuses every key and quotes it back, as some servers do."""

    def do_GET(self) -> None:
        token = self.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        body = json.dumps({"error": {"message": f"Invalid key {token}", "type": "auth_error"}}).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def echoing_gateway() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoingGateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_a_server_echoing_the_key_leaves_it_nowhere(home: Path, echoing_gateway: str) -> None:
    def run(*args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(cli, ["--home", str(home), *args], input=stdin)

    added = run(
        "account", "add", "litellm", "--label", "gw", "--base-url", echoing_gateway, "--key-stdin", "--json",
        stdin=TEAM_KEY + "\n",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    account_id = json.loads(added.output)["account"]["id"]
    # The poll's own process reads the key from the keyring; start from a registry that has not seen it.
    redaction.forget_all()
    polled = run("poll", "--once")
    assert polled.exit_code == 1
    assert "Invalid key [redacted]" in polled.output and TEAM_KEY not in polled.output
    tested = run("account", "test", account_id)
    assert tested.exit_code == 1 and "refused the key" in tested.output and TEAM_KEY not in tested.output
    status = run("status", "--json")
    assert status.exit_code == 0 and "Invalid key [redacted]" in status.output and TEAM_KEY not in status.output
    leaked = [p for p in home.rglob("*") if p.is_file() and TEAM_KEY.encode() in p.read_bytes()]
    assert leaked == []


def test_exports_redact_a_loaded_key_in_allowance_and_model_names(db, now: datetime) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.domain.allowance import Allowance, Cadence, Unit
    from tokenwallet.ledger import allowances
    from tokenwallet.reports.build import build_report
    from tokenwallet.reports.csv_export import to_csv
    from tokenwallet.reports.json_export import to_json
    from tokenwallet.settings import Settings

    ApiKey(TEAM_KEY)
    allowances.add(
        db,
        Allowance(
            id="a1",
            name=f"pasted {TEAM_KEY}",
            unit=Unit.USD,
            amount=100_000_000,
            cadence=Cadence.MONTHLY,
            starts_at=datetime(2026, 10, 1, tzinfo=UTC),
        ),
        at=now,
    )
    report = build_report(db, "2026-11", Settings(timezone="UTC"), now)
    for text in (to_json(report), to_csv(report, "allowances")):
        assert TEAM_KEY not in text and f"pasted {REDACTED}" in text


def test_an_uncaught_exception_prints_no_key(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from tokenwallet.logging_setup import redact_uncaught_exceptions

    monkeypatch.setattr(sys, "excepthook", sys.__excepthook__)
    redact_uncaught_exceptions()
    ApiKey(TEAM_KEY)
    try:
        raise KeyError(f"no route for {TEAM_KEY}")
    except KeyError as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)
    err = capsys.readouterr().err
    assert "Traceback" in err and "KeyError" in err and "no route for [redacted]" in err and TEAM_KEY not in err
