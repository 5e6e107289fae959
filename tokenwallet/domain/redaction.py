"""Redaction of secrets from any text that leaves the process.

Two kinds of text are replaced with :data:`REDACTED`:

- the exact text of every key this process has seen (:func:`remember_secret`; every
  :class:`tokenwallet.secrets.ApiKey` registers itself when it is made, so keys read from the
  keyring, set in it, held for this session only, typed into a dialog or piped in on standard
  input are all known), plus its URL-encoded and JSON-escaped forms, which is how a server
  echoes it back;
- anything key-shaped (:data:`KEY_PATTERN`), which also catches keys this process never loaded.

:func:`redact` is applied where text leaves: log records, error messages stored in the ledger or
shown to the user, report exports and alert notices (hook environment and standard input).
The known keys and the shapes are one compiled expression, rebuilt only when a new key is
remembered, so redacting a line costs one regular-expression scan.  Keys are kept for the life
of the process (a removed key may still sit in a message in flight); nothing here is ever
written anywhere.
"""

from __future__ import annotations

import re
import threading

REDACTED = "[redacted]"

# Provider key shapes: OpenAI (sk-, sk-proj-, sk-admin-), Anthropic (sk-ant-...), OpenRouter
# (sk-or-v1-...), LiteLLM virtual keys (sk-...), bearer tokens in headers, x-api-key headers.
_SHAPES = r"sk-[A-Za-z0-9_\-]{8,}|Bearer\s+[A-Za-z0-9._\-]{8,}|x-api-key[\"':= ]+[A-Za-z0-9._\-]{8,}"
KEY_PATTERN = re.compile(f"({_SHAPES})", re.IGNORECASE)
"""Key-shaped text, whatever the key; used on its own until a key is remembered."""

MIN_SECRET_LENGTH = 8
"""Shorter values are not remembered: redacting every three-letter word would garble messages,
and no provider issues keys that short (the key hint already shows four characters)."""

_lock = threading.Lock()
_secrets: set[str] = set()
_pattern: re.Pattern[str] = KEY_PATTERN


def _forms(value: str) -> set[str]:
    """The key and the forms a server or a log may echo it in (URL-encoded, JSON-escaped)."""
    import json  # only once a key is loaded: domain.errors imports this module at every start
    from urllib.parse import quote, quote_plus

    forms = {value, quote(value, safe=""), quote_plus(value, safe=""), json.dumps(value)[1:-1]}
    return {f for f in forms if len(f) >= MIN_SECRET_LENGTH}


def remember_secret(value: str) -> None:
    """Redact ``value`` (stripped) from every text :func:`redact` sees from now on in this process."""
    forms = _forms(value.strip())
    if not forms:
        return
    global _pattern
    with _lock:
        if forms <= _secrets:
            return
        _secrets.update(forms)
        # Longest first, so a key that contains another known key is replaced whole; the exact
        # texts come before the shapes, so a key with characters outside a shape (a '/' or '+')
        # is not cut in two with its tail left behind.
        literals = "|".join(re.escape(s) for s in sorted(_secrets, key=len, reverse=True))
        _pattern = re.compile(f"{literals}|(?i:{_SHAPES})")


def redact(text: str) -> str:
    """``text`` with every remembered key and anything key-shaped replaced by ``[redacted]``."""
    return _pattern.sub(REDACTED, text)


def remembered_count() -> int:
    """How many texts (keys and their echoed forms) are being redacted."""
    return len(_secrets)


def forget_all() -> None:
    """Forget every remembered key (for tests, which share one process)."""
    global _pattern
    with _lock:
        _secrets.clear()
        _pattern = KEY_PATTERN
