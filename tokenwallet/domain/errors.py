"""The error tree of tokenwallet.

Every failure a user can meet is one of these; the CLI maps them to exit codes and the tray to
plain words.  Messages say what is wrong and what to do, and never contain a secret: ``str()`` of
any of them is redacted (:mod:`tokenwallet.domain.redaction`), so a key that a server echoed into
a message is gone wherever the message is shown or stored.

::

    TokenwalletError
    ├── UserInputError ............ bad input from the user (CLI exit status 2); ``field`` names
    │   │                           the input it is about, so a front-end can point at it
    │   ├── NotFoundError ......... an account, allowance, rule, ... that does not exist
    │   ├── DuplicateAccountError . the key (and filters) of an account already in use; ``other_id``
    │   │                           names that account
    │   ├── PolicyFileError ....... an employer policy file breaks the policy format; ``problems``
    │   │                           has one line per mistake, naming its line and field
    │   └── OutputExistsError ..... the file to write exists and replacing it was not allowed
    ├── OutputError ............... a file the user asked for (a report) could not be written
    ├── ConfigError ............... the settings file cannot be used
    ├── LedgerError ............... the SQLite ledger cannot be used (CLI exit status 1)
    │   ├── CorruptLedgerError .... the file is damaged and has been moved aside (exit status 3)
    │   ├── LedgerFullError ....... the disk is full or failed to write; nothing was changed
    │   ├── LedgerBusyError ....... another process kept the ledger locked; nothing was changed
    │   └── StoredValueError ...... a stored value is outside the documented bounds (written by an
    │                               older version); the message names it and how to fix it
    ├── SecretStoreError .......... the OS keyring cannot be used
    │   ├── NoUsableKeyringError .. no backend that keeps secrets safely
    │   └── KeyringLockedError .... the keyring is locked or the unlock was refused
    └── SourceError ............... a provider API or a local log failed
        ├── AuthError ............. the key was refused (401/403, revoked, wrong kind of key)
        ├── RateLimitedError ...... 429; ``retry_after`` seconds when the provider said
        ├── ProviderUnavailableError  5xx, timeouts, connection failures
        ├── ProviderSchemaError ... a body that is not what the documentation promises
        ├── BudgetExceededError ... the gateway says the budget is used up
        └── KeyExpiredError ....... the gateway says the key has expired
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from tokenwallet.domain.redaction import redact


class TokenwalletError(Exception):
    """Base of every error tokenwallet raises on purpose."""

    def __str__(self) -> str:
        return redact(super().__str__())


class UserInputError(TokenwalletError):
    """The user gave a value that cannot be used; nothing was written.

    ``field`` names the input the message is about (``amount``, ``anchor_day``, ...), or None.
    The message itself speaks in domain words; the CLI adds the name of its option.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@contextmanager
def input_field(field: str) -> Iterator[None]:
    """Name ``field`` on a :class:`UserInputError` raised inside that does not name one yet."""
    try:
        yield
    except UserInputError as exc:
        if exc.field is None:
            exc.field = field
        raise


class NotFoundError(UserInputError):
    """A named thing (account, allowance, rule) does not exist."""


class DuplicateAccountError(UserInputError):
    """An account would record usage another account already records (same key, overlapping filters)."""

    def __init__(self, message: str, *, other_id: str, field: str | None = "key") -> None:
        super().__init__(message, field=field)
        self.other_id = other_id


class PolicyFileError(UserInputError):
    """A policy file cannot be imported as it is; nothing was written.

    ``problems`` holds one line per mistake, e.g. ``line 14, allowance[0].cadence: 'fortnightly'
    is not one of daily, weekly, ...``; ``field`` is the path of the first one.
    """

    def __init__(self, source: str, problems: Sequence[str], *, field: str | None = None) -> None:
        listed = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{source} is not a valid policy file; change it and import it again:\n{listed}", field=field)
        self.problems = tuple(problems)


class OutputExistsError(UserInputError):
    """The file to write (``path``) already exists and the caller did not allow replacing it."""

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message)
        self.path = path


class OutputError(TokenwalletError):
    """A file the user asked for could not be written; nothing was recorded as done."""


class ConfigError(TokenwalletError):
    """The settings file is unreadable or holds bad values."""


class LedgerError(TokenwalletError):
    """The ledger database cannot be opened or written."""


class CorruptLedgerError(LedgerError):
    """The ledger file was damaged; it has been moved aside to ``moved_to`` (None: it could not be moved)."""

    def __init__(self, message: str, moved_to: str | None = None) -> None:
        super().__init__(message)
        self.moved_to = moved_to


class LedgerFullError(LedgerError):
    """The disk under the ledger is full (or failed to write); the ledger was left as it was."""


class LedgerBusyError(LedgerError):
    """Another process held the ledger's write lock for longer than the busy timeout; nothing was changed."""


class StoredValueError(LedgerError):
    """A value in the ledger is outside the bounds of :mod:`tokenwallet.domain.limits`."""


class SecretStoreError(TokenwalletError):
    """The secret store cannot be used."""


class NoUsableKeyringError(SecretStoreError):
    """No keyring backend that keeps secrets safely is available; ``remedy`` says what to do."""

    def __init__(self, message: str, remedy: str = "") -> None:
        super().__init__(message if not remedy else f"{message}\n{remedy}")
        self.remedy = remedy


class KeyringLockedError(SecretStoreError):
    """The keyring is locked, or the user dismissed the unlock prompt."""


class SourceError(TokenwalletError):
    """A provider or a local log could not be read.

    ``provider`` names the connector and ``status`` the HTTP status, when there was one.
    """

    def __init__(self, message: str, *, provider: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.provider = provider
        self.status = status

    @property
    def kind(self) -> str:
        """A short stable name for the failure, stored in the sync state."""
        return _KINDS.get(type(self), "error")


class AuthError(SourceError):
    """The provider refused the key."""


class RateLimitedError(SourceError):
    """The provider asked us to slow down."""

    def __init__(
        self, message: str, *, provider: str = "", status: int | None = 429, retry_after: float | None = None
    ) -> None:
        super().__init__(message, provider=provider, status=status)
        self.retry_after = retry_after


class ProviderUnavailableError(SourceError):
    """The provider did not answer usefully (5xx, timeout, connection failure)."""


class ProviderSchemaError(SourceError):
    """The provider answered with a body we cannot read."""


class BudgetExceededError(SourceError):
    """The gateway reports that the budget of this key, user or team is used up."""


class KeyExpiredError(SourceError):
    """The gateway reports that the key has expired."""


_KINDS: dict[type[SourceError], str] = {
    SourceError: "error",
    AuthError: "auth",
    RateLimitedError: "rate_limited",
    ProviderUnavailableError: "unavailable",
    ProviderSchemaError: "schema",
    BudgetExceededError: "budget_exceeded",
    KeyExpiredError: "key_expired",
}
