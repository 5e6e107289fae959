"""Logging with a filter that scrubs anything key-shaped before it reaches a handler."""

from __future__ import annotations

import logging
import re

# Provider key shapes: OpenAI (sk-, sk-proj-, sk-admin-), Anthropic (sk-ant-...), OpenRouter
# (sk-or-v1-...), LiteLLM virtual keys (sk-...), bearer tokens in headers, and long hex/base64 runs.
KEY_PATTERN = re.compile(
    r"(sk-[A-Za-z0-9_\-]{8,}|Bearer\s+[A-Za-z0-9._\-]{8,}|x-api-key[\"':= ]+[A-Za-z0-9._\-]{8,})",
    re.IGNORECASE,
)
REDACTED = "[redacted]"


def scrub(text: str) -> str:
    """Replace key-shaped substrings with ``[redacted]``."""
    return KEY_PATTERN.sub(REDACTED, text)


class SecretRedactingFilter(logging.Filter):
    """Rewrites every record's message (with its arguments applied) without key-shaped strings."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if record.exc_info and record.exc_info[1] is not None:
            cleaned_exc = scrub(str(record.exc_info[1]))
            if cleaned_exc != str(record.exc_info[1]):
                # The traceback text would repeat the secret; keep only the scrubbed summary.
                record.exc_info = None
                cleaned = f"{cleaned} ({cleaned_exc})"
        record.msg = cleaned
        record.args = None
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
