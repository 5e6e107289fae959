"""The rotating log file under logs/: wired up for CLI commands, private, redacted, created only when used."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tokenwallet.cli.root import cli
from tokenwallet.domain import redaction
from tokenwallet.logging_setup import PrivateRotatingFileHandler, add_file_logging, configure_logging
from tokenwallet.secrets import ApiKey

KEY = "corp-gateway-KEY-0123456789"


@pytest.fixture(autouse=True)
def no_file_handlers() -> Iterator[None]:
    """Each test starts and ends without a log file handler (they are per process)."""

    def drop() -> None:
        logger = logging.getLogger("tokenwallet")
        for handler in [h for h in logger.handlers if isinstance(h, PrivateRotatingFileHandler)]:
            logger.removeHandler(handler)
            handler.close()

    drop()
    redaction.forget_all()
    yield
    drop()
    redaction.forget_all()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_cli_commands_log_to_the_home_log_file_redacted_and_private(home: Path) -> None:
    result = CliRunner().invoke(cli, ["--home", str(home), "status"])
    assert result.exit_code == 0, result.output
    log_file = home / "logs" / "tokenwallet.log"
    ApiKey(KEY)
    logging.getLogger("tokenwallet.sync.service").warning("poll of gw failed: Invalid key %s", KEY)
    text = log_file.read_text()
    assert "WARNING tokenwallet.sync.service: poll of gw failed: Invalid key [redacted]" in text
    assert KEY not in text
    assert _mode(log_file) == 0o600 and _mode(log_file.parent) == 0o700


def test_nothing_is_created_before_the_first_record(tmp_path: Path) -> None:
    log_file = tmp_path / "home" / "logs" / "tokenwallet.log"
    configure_logging(logging.WARNING, log_file)
    logging.getLogger("tokenwallet.test").debug("below the file's level")
    assert not (tmp_path / "home").exists()
    logging.getLogger("tokenwallet.test").info("woke up after 600 s; polling now")
    assert "INFO tokenwallet.test: woke up" in log_file.read_text()


def test_the_log_rotates(tmp_path: Path) -> None:
    log_file = tmp_path / "tokenwallet.log"
    add_file_logging(log_file, max_bytes=2_000, backups=2)
    for i in range(200):
        logging.getLogger("tokenwallet.test").warning("line %03d %s", i, "x" * 40)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["tokenwallet.log", "tokenwallet.log.1", "tokenwallet.log.2"]
    assert all(p.stat().st_size <= 2_000 for p in tmp_path.iterdir())
    assert "line 199" in log_file.read_text()
    assert all(_mode(p) == 0o600 for p in tmp_path.iterdir())


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes anywhere")
def test_an_unwritable_log_folder_is_said_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tmp_path.chmod(0o500)
    try:
        add_file_logging(tmp_path / "logs" / "tokenwallet.log")
        for _ in range(3):
            logging.getLogger("tokenwallet.test").warning("something")
    finally:
        tmp_path.chmod(0o700)
    assert capsys.readouterr().err.count("cannot write the log file") == 1


def test_an_unopenable_log_file_is_said_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "tokenwallet.log").mkdir()  # a folder where the file should be: fails even for root
    add_file_logging(tmp_path / "tokenwallet.log")
    for _ in range(3):
        logging.getLogger("tokenwallet.test").warning("something")
    err = capsys.readouterr().err
    assert err.count("cannot write the log file") == 1 and "Traceback" not in err


def test_another_home_replaces_the_file(tmp_path: Path) -> None:
    configure_logging(logging.WARNING, tmp_path / "a" / "tokenwallet.log")
    configure_logging(logging.WARNING, tmp_path / "b" / "tokenwallet.log")
    logging.getLogger("tokenwallet.test").warning("here")
    assert not (tmp_path / "a").exists() and "here" in (tmp_path / "b" / "tokenwallet.log").read_text()
