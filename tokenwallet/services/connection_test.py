"""Testing an account's connection: a stored account, or one still being typed into the settings.

The answer is a :class:`ConnectionReport` in the settings window's words: on failure it names the
address that was tried, says what to do (for a stored account: edit it, never add it again, which
would count its usage twice) and names the form field to fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tokenwallet.domain.accounts import NO_FILTERS, AccountFilters, AccountKind
from tokenwallet.domain.errors import SourceError, TokenwalletError, UserInputError

if TYPE_CHECKING:
    from tokenwallet.app import AppContext

_KEY_KINDS = ("auth", "key_expired", "secret")
"""Failures a new key fixes."""


@dataclass(frozen=True, slots=True)
class ConnectionReport:
    """How a connection test went: ``ok``, the words to show, and the field to fix (None: none)."""

    ok: bool
    text: str
    field: str | None = None
    polled: bool = False
    """A stored account was polled for real (its figures may have changed)."""


def _address(kind: AccountKind, base_url: str) -> str:
    from tokenwallet.sources.registry import CONNECTORS

    connector = CONNECTORS.get(kind.value)
    return base_url or (connector.default_base_url if connector else "")


def _failure(kind_of_error: str, message: str, address: str, *, stored: bool) -> ConnectionReport:
    """The words for a failed test, with the address tried and the remedy."""
    message = message.rstrip(".")
    # The key errors name the address of the request already; others get the base URL tried.
    tried = f" (tried {address})" if address and " at http" not in message else ""
    if kind_of_error in _KEY_KINDS:
        if kind_of_error == "secret":
            message = "No key is stored for this account in the keyring"
        remedy = (
            "Edit this account: paste a working key under API key and choose Save changes "
            "(adding the account again would count its usage twice)."
            if stored
            else "Check the key, then test again."
        )
        return ConnectionReport(False, f"{message}{tried}. {remedy}", "key")
    if kind_of_error in ("unavailable", "schema"):
        remedy = "Check the base URL and the network, then test again."
        return ConnectionReport(False, f"{message}{tried}. {remedy}", "base_url")
    return ConnectionReport(False, f"{message}{tried}.", None)


def try_stored(ctx: AppContext, account_id: str) -> ConnectionReport:
    """Poll a stored account once now (a real request with its stored key) and say how it went."""
    from tokenwallet.services.accounts import check_connection, get_account

    account = get_account(ctx, account_id)
    outcome = check_connection(ctx, account_id)
    if outcome.ok:
        return ConnectionReport(True, "The provider answered: the key works.", polled=True)
    address = _address(account.kind, account.base_url) if account.kind.needs_key else ""
    report = _failure(outcome.error_kind, str(outcome.error or "the test failed"), address, stored=True)
    return ConnectionReport(report.ok, report.text, report.field, polled=True)


def try_new(
    ctx: AppContext, *, kind: AccountKind, base_url: str, key: str, filters: AccountFilters = NO_FILTERS
) -> ConnectionReport:
    """Try a key, base URL and filters before the account is stored: one request, nothing written anywhere.

    A value that cannot be used at all (no key, a plain-http URL to another host, a malformed
    filter) is refused as adding it would be, naming its field.
    """
    from tokenwallet.secrets.store import ApiKey
    from tokenwallet.services.accounts import kind_name, validate_details, validate_filters
    from tokenwallet.sources.registry import CONNECTORS

    if not kind.needs_key:
        raise UserInputError(f"A {kind_name(kind)} account reads log files; there is no connection to test.")
    details = validate_details(kind, label="new account", base_url=base_url)
    filters = validate_filters(kind, filters)
    if not key.strip():
        raise UserInputError(f"Paste the {kind_name(kind)} API key to test it.", field="key")
    try:
        secret = ApiKey(key)
    except ValueError as exc:
        raise UserInputError(f"That key cannot be used: {exc}.", field="key") from None
    connector = CONNECTORS[kind.value]
    address = details.base_url or connector.default_base_url
    narrow = {"filters": filters} if filters else {}  # as a poll passes them
    pages = connector.fetch(ctx.http_client(), address, secret, "new-account", {}, ctx.clock, **narrow)
    try:
        next(iter(pages), None)  # the first page proves the key; nothing is recorded
    except SourceError as exc:
        return _failure(exc.kind, str(exc), address, stored=False)
    except TokenwalletError as exc:
        return ConnectionReport(False, f"{exc} (tried {address}).", getattr(exc, "field", None) or "base_url")
    finally:
        close = getattr(pages, "close", None)
        if close is not None:
            close()
    return ConnectionReport(
        True, f"{connector.display_name} answered at {address}: the key works. Add the account to keep it."
    )
