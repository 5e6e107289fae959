"""Logging with a filter that redacts secrets before a record reaches a handler.

What is redacted (every key this process has loaded, and anything key-shaped) is decided in
:mod:`tokenwallet.domain.redaction`; :func:`scrub` is the same function under its older name.
"""

from __future__ import annotations

import logging

from tokenwallet.domain.redaction import KEY_PATTERN, REDACTED, redact

__all__ = ["KEY_PATTERN", "REDACTED", "SecretRedactingFilter", "add_file_logging", "configure_stderr_logging", "scrub"]


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


def configure_stderr_logging(level: int) -> None:
    """Send warnings (or more, with ``-v``) to standard error through the scrubbing filter."""
    root = logging.getLogger("tokenwallet")
    if any(getattr(h, "_tokenwallet", False) for h in root.handlers):
        root.setLevel(level)
        return
    handler = logging.StreamHandler()
    handler._tokenwallet = True  # type: ignore[attr-defined]
    handler.addFilter(SecretRedactingFilter())
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)


def add_file_logging(path: str, level: int = logging.INFO) -> logging.Handler:
    """Also log to ``path`` (rotating, 1 MB x 3), scrubbed like standard error."""
    from logging.handlers import RotatingFileHandler

    handler = RotatingFileHandler(path, maxBytes=1_000_000, backupCount=3, encoding="utf-8")
    handler.addFilter(SecretRedactingFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger("tokenwallet").addHandler(handler)
    return handler
