"""Where provider keys live: the OS keyring, or memory for session-only keys.

This package is the only importer of ``keyring``.  Secrets are stored under service
``tokenwallet`` with the account id as the username, so two accounts at one provider never clash.
There is no plaintext fallback: a backend that loses or exposes secrets is refused, and the
remedy text says what to install or unlock on this operating system.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Any, Literal, Protocol

from tokenwallet.domain.errors import KeyringLockedError, NoUsableKeyringError, SecretStoreError
from tokenwallet.domain.redaction import redact, remember_secret

SERVICE = "tokenwallet"
HINT_LENGTH = 4


class ApiKey:
    """A provider key whose ``repr`` and ``str`` never show it; call :meth:`reveal` at the HTTP boundary.

    Making one remembers its text for redaction (:mod:`tokenwallet.domain.redaction`), so every
    key this process reads from or puts into a store, holds for the session only, or was given
    in a dialog or on standard input is removed from logs, stored errors, messages and exports.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        cleaned = value.strip()
        # Remembered before the checks: text offered as a key is a secret even when refused.
        remember_secret(cleaned)
        if not cleaned:
            raise ValueError("an API key cannot be empty")
        if any(c.isspace() for c in cleaned):
            raise ValueError("an API key cannot contain spaces or line breaks")
        self._value = cleaned

    def reveal(self) -> str:
        """The key's text; only for building request headers."""
        return self._value

    @property
    def hint(self) -> str:
        """The last four characters, the only part the ledger stores."""
        return key_hint(self._value)

    def __repr__(self) -> str:
        return f"ApiKey('…{self.hint}')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ApiKey) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> tuple[object, ...]:
        # Pickling would write the key somewhere (a cache, a queue file); refuse it.
        raise TypeError("ApiKey cannot be pickled")


def key_hint(value: str) -> str:
    """The last :data:`HINT_LENGTH` characters of a key (what the ledger and the UI show)."""
    return value.strip()[-HINT_LENGTH:]


class SecretStore(Protocol):
    """Somewhere to keep one key per account id."""

    @property
    def description(self) -> str:
        """A short name for messages, e.g. ``SecretService keyring`` or ``memory (this session only)``."""
        ...

    def check(self) -> None:
        """Raise :class:`SecretStoreError` when keys cannot be stored safely here."""
        ...

    def set(self, account_id: str, key: ApiKey) -> None:
        """Store (or replace) the key of ``account_id``."""
        ...

    def get(self, account_id: str) -> ApiKey | None:
        """The key of ``account_id``, or ``None`` when there is none."""
        ...

    def delete(self, account_id: str) -> None:
        """Forget the key of ``account_id``; a missing key counts as already gone."""
        ...


class MemorySecretStore:
    """Session-only keys held in this process's memory; gone when tokenwallet exits."""

    description = "memory (this session only)"

    def __init__(self) -> None:
        self._keys: dict[str, ApiKey] = {}
        self._lock = threading.Lock()

    def check(self) -> None:
        """Memory is always usable."""

    def set(self, account_id: str, key: ApiKey) -> None:
        """Keep ``key`` until the process ends."""
        with self._lock:
            self._keys[account_id] = key

    def get(self, account_id: str) -> ApiKey | None:
        """The key, if one was given in this session."""
        with self._lock:
            return self._keys.get(account_id)

    def delete(self, account_id: str) -> None:
        """Forget the key."""
        with self._lock:
            self._keys.pop(account_id, None)


def remedy(platform: str | None = None) -> str:
    """What the user can do on ``platform`` (``sys.platform`` by default) to get a usable keyring."""
    platform = platform or sys.platform
    if platform.startswith("linux") or "bsd" in platform:
        return (
            "Install and unlock a Secret Service keyring: gnome-keyring (e.g. `sudo apt install gnome-keyring`) "
            "or KWallet, and make sure a D-Bus session is running (log in to a desktop session). "
            "Or choose a backend with PYTHON_KEYRING_BACKEND. Until then, keys can be kept for this "
            "session only (the tray app offers this)."
        )
    if platform == "darwin":
        return "Unlock the macOS login Keychain (Keychain Access), then try again."
    if platform.startswith("win"):
        return "Windows Credential Manager should be available; sign in to Windows normally and try again."
    return "Install a keyring backend supported by the Python `keyring` package, or use session-only keys."


def _backend_problem(backend: object) -> str | None:
    """Why ``backend`` must not hold secrets, or ``None`` when it is acceptable."""
    cls = type(backend)
    module, name = cls.__module__, cls.__name__
    if module.startswith(("keyring.backends.fail", "keyring.backends.null")):
        return "no keyring backend is available (secrets would be lost)"
    if module.startswith("keyrings.alt"):
        return f"the keyring backend {name} stores secrets in a plain file, which tokenwallet refuses"
    if module.startswith("keyring.backends.chainer"):
        backends = getattr(backend, "backends", [])
        if not backends:
            return "no keyring backend is available (secrets would be lost)"
        problems = [_backend_problem(b) for b in backends]
        if all(problems):
            return problems[0]
        return None
    try:
        priority = float(getattr(cls, "priority", 1))
    except Exception:  # a backend whose priority probes the system may raise anything
        priority = 0.0
    if priority < 1:
        return f"the keyring backend {name} is not considered safe (priority {priority:g})"
    return None


def _backend() -> Any:
    """The backend ``keyring`` chose; a clear :class:`SecretStoreError` when it cannot be loaded.

    ``PYTHON_KEYRING_BACKEND`` (or keyring's own configuration file) may name a backend that is
    not installed or fails to start; keyring then raises whatever the import raised.
    """
    import keyring

    try:
        return keyring.get_keyring()
    except Exception as exc:  # a named backend's import or start-up may raise anything
        named = os.environ.get("PYTHON_KEYRING_BACKEND", "").strip()
        source = (
            f"PYTHON_KEYRING_BACKEND names {named!r}, which"
            if named
            else "the backend named in keyring's configuration file"
        )
        raise SecretStoreError(
            f"The keyring cannot be used: {source} cannot be loaded ({type(exc).__name__}: {redact(str(exc))}). "
            "Install that backend, or unset PYTHON_KEYRING_BACKEND to use the system keyring."
        ) from None


class KeyringSecretStore:
    """Keys in the OS keyring (Secret Service, macOS Keychain, Windows Credential Manager)."""

    def __init__(self, service: str = SERVICE) -> None:
        self._service = service
        # One lock for every call: backends differ in thread-safety, and two threads asking at
        # once could show the user two unlock prompts.
        self._lock = threading.Lock()

    @property
    def description(self) -> str:
        """The backend's class name."""
        backend = _backend()
        return f"{type(backend).__module__}.{type(backend).__name__}"

    def check(self) -> None:
        """Raise :class:`NoUsableKeyringError` (with the remedy) for backends that lose or expose secrets."""
        with self._lock:
            problem = _backend_problem(_backend())
        if problem:
            raise NoUsableKeyringError(f"Cannot store keys safely: {problem}.", remedy=remedy())

    def set(self, account_id: str, key: ApiKey) -> None:
        """Store the key of ``account_id`` in the keyring."""
        import keyring

        self.check()
        with self._lock, _mapped_errors():
            keyring.set_password(self._service, account_id, key.reveal())

    def get(self, account_id: str) -> ApiKey | None:
        """Read the key of ``account_id`` (may show the system's unlock prompt)."""
        import keyring

        self.check()
        with self._lock, _mapped_errors():
            value = keyring.get_password(self._service, account_id)
        return ApiKey(value) if value else None

    def delete(self, account_id: str) -> None:
        """Remove the key of ``account_id``; one that is already gone is fine."""
        import keyring
        from keyring.errors import PasswordDeleteError

        self.check()
        with self._lock, _mapped_errors():
            try:
                keyring.delete_password(self._service, account_id)
            except PasswordDeleteError:
                pass


class _mapped_errors:
    """Translate keyring's exceptions into the domain error tree (never with the secret in them)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> Literal[False]:
        if exc is None:
            return False
        from keyring.errors import InitError, KeyringError, KeyringLocked, NoKeyringError

        if isinstance(exc, KeyringLocked):
            raise KeyringLockedError(
                "The keyring is locked or the unlock was refused. Unlock it (e.g. log in to the desktop "
                "session or open the keyring manager) and try again."
            ) from None
        if isinstance(exc, NoKeyringError | InitError):
            raise NoUsableKeyringError(f"The keyring cannot be used ({type(exc).__name__}).", remedy=remedy()) from None
        if isinstance(exc, KeyringError):
            raise SecretStoreError(f"The keyring failed ({type(exc).__name__}).") from None
        return False
