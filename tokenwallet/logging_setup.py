"""Logging with a filter that redacts secrets before a record reaches a handler.

What is redacted (every key this process has loaded, and anything key-shaped) is decided in
:mod:`tokenwallet.domain.redaction`; :func:`scrub` is the same function under its older name.
"""

from __future__ import annotations

import io
import logging
import os
import sys
from pathlib import Path
from types import TracebackType

from tokenwallet.domain.redaction import KEY_PATTERN, REDACTED, redact

__all__ = [
    "KEY_PATTERN",
    "REDACTED",
    "PrivateRotatingFileHandler",
    "SecretRedactingFilter",
    "add_file_logging",
    "configure_logging",
    "configure_stderr_logging",
    "redact_uncaught_exceptions",
    "scrub",
]


def scrub(text: str) -> str:
    """Replace every known key and anything key-shaped with ``[redacted]``."""
    return redact(text)


class SecretRedactingFilter(logging.Filter):
    """Rewrites every record's message (arguments applied) and traceback without secrets."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            # The traceback repeats exception messages, chained causes included; formatters use
            # this cached text instead of formatting the exception again.
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_LOGGER = "tokenwallet"


def _is_stderr_handler(handler: logging.Handler) -> bool:
    return bool(getattr(handler, "_tokenwallet", False))


def _update_level() -> None:
    """The logger passes what the most talkative of its handlers wants; each handler filters the rest."""
    logger = logging.getLogger(_LOGGER)
    levels = [h.level for h in logger.handlers if _is_stderr_handler(h) or isinstance(h, PrivateRotatingFileHandler)]
    if levels:
        logger.setLevel(min(levels))


def configure_stderr_logging(level: int) -> None:
    """Send warnings (or more, with ``-v``) to standard error through the redacting filter."""
    logger = logging.getLogger(_LOGGER)
    handler = next((h for h in logger.handlers if _is_stderr_handler(h)), None)
    if handler is None:
        handler = logging.StreamHandler()
        handler._tokenwallet = True  # type: ignore[attr-defined]
        handler.addFilter(SecretRedactingFilter())
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
    handler.setLevel(level)
    _update_level()


def configure_logging(level: int, log_file: str | os.PathLike[str] | None = None) -> None:
    """Standard error at ``level`` plus, when ``log_file`` is given, the rotating log file at INFO.

    Called by every CLI command and by the tray app once its icon is shown.  The file and its
    folder are created only when the first record is written.
    """
    configure_stderr_logging(level)
    if log_file is not None:
        add_file_logging(log_file)


def redact_uncaught_exceptions() -> None:
    """Print the traceback of an exception nobody caught with every key redacted (the CLI's last resort)."""
    if getattr(sys.excepthook, "_tokenwallet", False):
        return

    def hook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        import traceback

        sys.stderr.write(redact("".join(traceback.format_exception(exc_type, exc, tb))))

    hook._tokenwallet = True  # type: ignore[attr-defined]
    sys.excepthook = hook


LOG_MAX_BYTES = 1_000_000
LOG_BACKUPS = 3


class PrivateRotatingFileHandler(logging.Handler):
    """A rotating log file (mode 0600, folder 0700) opened on the first record.

    The standard library's rotating handler (and ``logging.handlers``, with the modules it loads)
    is made with the first record too: most commands write none.  If the file cannot be written
    (a read-only home, a full disk) this is said once on standard error and the handler goes
    quiet, instead of printing a traceback for every record.
    """

    def __init__(self, path: str | os.PathLike[str], *, max_bytes: int = LOG_MAX_BYTES, backups: int = LOG_BACKUPS):
        super().__init__()
        self.baseFilename = os.path.abspath(path)
        self.maxBytes = max_bytes
        self.backupCount = backups
        self.failed = False
        self._file: logging.Handler | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if self.failed:
            return
        if self._file is None:
            self._file = _rotating_file(self)
        self._file.emit(record)

    def handleError(self, record: logging.LogRecord) -> None:
        if self.failed:
            return
        self.failed = True
        problem = sys.exc_info()[1]
        reason = getattr(problem, "strerror", None) or problem
        sys.stderr.write(f"tokenwallet: cannot write the log file {self.baseFilename} ({reason}); not logging to it\n")

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        super().close()


def _rotating_file(owner: PrivateRotatingFileHandler) -> logging.Handler:
    """The standard library's rotating handler behind ``owner``: private file and folder, its errors
    reported by ``owner``."""
    from logging.handlers import RotatingFileHandler

    class _File(RotatingFileHandler):
        def _open(self) -> io.TextIOWrapper:
            from tokenwallet.files import make_private_dirs

            make_private_dirs(Path(self.baseFilename).parent)
            flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
            fd = os.open(self.baseFilename, flags, 0o600)
            return open(fd, "a", encoding=self.encoding, errors=self.errors)

        def handleError(self, record: logging.LogRecord) -> None:
            owner.handleError(record)

    handler = _File(
        owner.baseFilename, maxBytes=owner.maxBytes, backupCount=owner.backupCount, encoding="utf-8", delay=True
    )
    handler.setFormatter(owner.formatter)
    return handler


def add_file_logging(
    path: str | os.PathLike[str],
    level: int = logging.INFO,
    *,
    max_bytes: int = LOG_MAX_BYTES,
    backups: int = LOG_BACKUPS,
) -> logging.Handler:
    """Also log to ``path`` (rotating, 1 MB x 3 by default), redacted like standard error.

    There is one log file per process: a call with another path (another home) replaces it.
    """
    logger = logging.getLogger(_LOGGER)
    target = os.path.abspath(path)
    for old in [h for h in logger.handlers if isinstance(h, PrivateRotatingFileHandler)]:
        if old.baseFilename == target and old.maxBytes == max_bytes and old.backupCount == backups:
            old.setLevel(level)
            _update_level()
            return old
        logger.removeHandler(old)
        old.close()
    handler = PrivateRotatingFileHandler(target, max_bytes=max_bytes, backups=backups)
    handler.setLevel(level)
    handler.addFilter(SecretRedactingFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    _update_level()
    return handler
