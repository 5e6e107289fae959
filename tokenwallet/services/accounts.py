"""Account use cases: add, edit, test and remove provider accounts, and keep their keys.

The command line and the settings dialog both come here, so an account the tray app accepts is one
the command line accepts too.  Each kind of account asks for exactly what it needs: an API account
needs a key (and a base URL when the provider has no default one, as a LiteLLM gateway); an
agent-log account takes neither.  Keys go to the secret store, the ledger keeps only their last
characters and a keyed hash; when the ledger write after storing a key fails, the store is put back
as it was, so a failed add never leaves an orphaned key behind.

An org admin key sees everyone's usage.  :class:`~tokenwallet.domain.accounts.AccountFilters`
narrow an account to the user's own api keys, projects, workspaces and Claude Code logins (each
kind takes the dimensions in :attr:`AccountNeeds.filters`); :func:`add_account`,
:func:`update_account` and :func:`set_filters` take them.  An account whose key is already used
by another account with the same or overlapping filters is refused, naming that account: its
usage would be counted twice.

Heavy modules (the ledger, the connectors and their HTTP client) are imported where they are used:
the tray app imports this module when its settings open, the command line for every command.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from tokenwallet.domain.accounts import (
    FILTER_DIMENSIONS,
    NO_FILTERS,
    Account,
    AccountFilters,
    AccountKind,
    SyncState,
    filters_overlap,
    key_fingerprint,
)
from tokenwallet.domain.errors import (
    DuplicateAccountError,
    SecretStoreError,
    TokenwalletError,
    UserInputError,
    input_field,
)

if TYPE_CHECKING:
    from sqlite_utils import Database

    from tokenwallet.app import AppContext
    from tokenwallet.secrets.store import ApiKey, SecretStore
    from tokenwallet.sync.service import PollOutcome

log = logging.getLogger(__name__)

T = TypeVar("T")

_LOG_KIND_NAMES = {
    AccountKind.CLAUDE_CODE: "Claude Code",
    AccountKind.CODEX: "Codex CLI",
    AccountKind.GEMINI: "Gemini CLI",
}


@dataclass(frozen=True, slots=True)
class AccountNeeds:
    """What an account of one kind asks the user for."""

    key: bool
    """An API key (kept in the secret store, never in the ledger)."""
    base_url: bool
    """A base URL can be given (a proxy, a regional host or a self-hosted gateway)."""
    base_url_required: bool
    """... and must be given, because the provider has no default one."""
    filters: tuple[str, ...] = ()
    """The filter dimensions that narrow the account to the user's own usage (see :data:`FILTER_NAMES`)."""


FILTER_NAMES: dict[str, str] = {
    "api_key_id": "api key id",
    "project_id": "project id",
    "workspace_id": "workspace id",
    "user_email": "user email",
}
"""What each filter dimension is called in messages and forms."""
MAX_FILTER_VALUE = 200
"""Longest filter value accepted (provider ids are a few dozen characters)."""


@dataclass(frozen=True, slots=True)
class AccountDetails:
    """The checked label and base URL of an account (the URL without a trailing slash)."""

    kind: AccountKind
    label: str
    base_url: str


@dataclass(frozen=True, slots=True)
class AccountState:
    """An account with how syncing it stands."""

    account: Account
    sync: SyncState


@dataclass(frozen=True, slots=True)
class RemovedAccount:
    """What removing an account did.

    The account is always forgotten (its recorded usage stays for reports); ``key_problem`` says,
    ready to show, why its key could not be deleted from the secret store ('' when it was, or when
    the account had no key).
    """

    account: Account
    key_problem: str = ""

    @property
    def key_deleted(self) -> bool:
        """True when the account had a key and it is gone from the secret store."""
        return self.account.kind.needs_key and not self.key_problem


def kind_name(kind: AccountKind) -> str:
    """The name users know a kind by, e.g. ``OpenAI`` or ``LiteLLM gateway``."""
    from tokenwallet.sources.registry import CONNECTORS

    connector = CONNECTORS.get(kind.value)
    if connector is not None:
        return connector.display_name
    return _LOG_KIND_NAMES.get(kind, kind.value)


def needs(kind: AccountKind) -> AccountNeeds:
    """What an account of ``kind`` asks for: a key, a base URL, both or neither."""
    if not kind.needs_key:
        return AccountNeeds(key=False, base_url=False, base_url_required=False)
    from tokenwallet.sources.registry import CONNECTORS

    connector = CONNECTORS.get(kind.value)
    required = connector is None or not connector.default_base_url
    return AccountNeeds(
        key=True, base_url=True, base_url_required=required, filters=connector.filters if connector else ()
    )


def keyring_problem(store: SecretStore) -> str:
    """Why keys cannot be kept in ``store`` (with what to do), or '' when it is usable."""
    try:
        store.check()
    except TokenwalletError as exc:
        remedy = getattr(exc, "remedy", "")
        return f"{exc} {remedy}".strip()
    return ""


def usable_key_store(ctx: AppContext) -> tuple[SecretStore, str]:
    """Where new keys go, and why not the OS keyring ('' when it is the keyring).

    When the keyring cannot be used, the context switches to keys held in memory for this run
    (never a plaintext file), and the reason says what to do about the keyring.
    """
    store = ctx.secret_store()
    problem = keyring_problem(store)
    return (ctx.use_session_only_keys() if problem else store), problem


def validate_details(kind: AccountKind, *, label: str, base_url: str = "") -> AccountDetails:
    """Check a label and base URL for an account of ``kind``; a :class:`UserInputError` names the bad ``field``.

    A base URL must use https (plain http only to this machine) and carry no user name or password;
    one is required where the provider has none of its own, and refused for agent-log accounts.
    """
    if kind is AccountKind.MANUAL:
        raise UserInputError(
            "Manual spend has its own built-in account; no other manual account can be added.", field="kind"
        )
    name = kind_name(kind)
    if not label.strip():
        raise UserInputError("Give the account a name, e.g. “Work OpenAI”.", field="label")
    wanted = needs(kind)
    url = base_url.strip()
    if url and not wanted.base_url:
        raise UserInputError(
            f"A {name} account reads the agent's log files on this computer; it has no base URL.", field="base_url"
        )
    if url:
        url = _checked_url(url)
    elif wanted.base_url_required:
        raise UserInputError(f"A {name} account needs its base URL, e.g. https://llm.example.com.", field="base_url")
    return AccountDetails(kind=kind, label=label.strip(), base_url=url)


def validate_filters(kind: AccountKind, filters: AccountFilters) -> AccountFilters:
    """Check the filters of an account of ``kind``; a :class:`UserInputError` names the bad dimension in ``field``.

    A kind takes only the dimensions its provider can narrow a poll by; each value is one token of
    printable text (an email has an ``@``).  Values come back without surrounding spaces.
    """
    allowed = needs(kind).filters
    cleaned: list[tuple[str, str]] = []
    for dimension, raw in filters.pairs():
        label = FILTER_NAMES[dimension]
        if dimension not in allowed:
            takes = ", ".join(FILTER_NAMES[d] + "s" for d in allowed)
            what = f"it can be narrowed by {takes} only" if takes else "it cannot be narrowed"
            raise UserInputError(f"A {kind_name(kind)} account takes no {label}: {what}.", field=dimension)
        value = raw.strip()
        if not value or len(value) > MAX_FILTER_VALUE or any(ch.isspace() or not ch.isprintable() for ch in value):
            raise UserInputError(
                f"{value!r} is not a usable {label}: give the id as the provider shows it, one word of up to "
                f"{MAX_FILTER_VALUE} characters.",
                field=dimension,
            )
        if dimension == "user_email" and "@" not in value.strip("@"):
            raise UserInputError(f"{value!r} is not an email address.", field=dimension)
        cleaned.append((dimension, value))
    return AccountFilters.from_pairs(cleaned)


def describe_filters(filters: AccountFilters) -> str:
    """The filters in words, e.g. ``project id proj_a, api key ids key_1 and key_2`` ('' when there are none)."""
    parts = []
    for dimension in FILTER_DIMENSIONS:
        values = filters.values(dimension)
        if values:
            label = FILTER_NAMES[dimension] + ("s" if len(values) > 1 else "")
            listed = ", ".join(values[:-1]) + (" and " if len(values) > 1 else "") + values[-1]
            parts.append(f"{label} {listed}")
    return "; ".join(parts)


def _fingerprint(db: Database, key: ApiKey) -> str:
    from tokenwallet.ledger import accounts as accounts_db

    return key_fingerprint(accounts_db.fingerprint_key(db), key.reveal())


def _refuse_duplicate(
    db: Database,
    kind: AccountKind,
    *,
    base_url: str,
    key_hint: str,
    fingerprint: str,
    filters: AccountFilters,
    except_id: str | None = None,
) -> None:
    """Refuse an account whose key another account of the same kind already uses with overlapping filters.

    The key is compared by its keyed hash; an account added before hashes were kept (none yet) is
    compared by its key's last characters and base URL.  Two accounts of one organization key may
    coexist only when their filters are disjoint (other projects, api keys or workspaces).
    """
    from tokenwallet.ledger import accounts as accounts_db

    for other in accounts_db.list_accounts(db):
        if other.id == except_id or other.kind is not kind:
            continue
        if other.key_fingerprint:
            same_key = other.key_fingerprint == fingerprint
        else:
            same_key = bool(key_hint) and other.key_hint == key_hint and other.base_url == base_url
        if not same_key or not filters_overlap(filters, other.filters):
            continue
        overlap = " with the same or overlapping filters" if (filters or other.filters) else ""
        narrow = (
            ", or narrow each account to other "
            + " or ".join(FILTER_NAMES[d] + "s" for d in needs(kind).filters if d != "user_email")
            if needs(kind).filters
            else ""
        )
        raise DuplicateAccountError(
            f"This key is already used by {other.id} (“{other.label}”){overlap}: its usage would be counted twice. "
            f"Change that account instead{narrow}.",
            other_id=other.id,
        )


def _checked_url(url: str) -> str:
    from tokenwallet.sources.http import check_base_url

    try:
        return check_base_url(url)
    except UserInputError as exc:
        raise UserInputError(f"The base URL cannot be used: {exc}.", field="base_url") from None
    except ValueError:  # urlsplit refuses some malformed hosts, e.g. an unclosed IPv6 bracket
        raise UserInputError(f"The base URL cannot be used: {url!r} is not a valid URL.", field="base_url") from None


def _checked_key(kind: AccountKind, text: str) -> ApiKey | None:
    """The key for an account of ``kind`` (None for kinds without one); :class:`UserInputError` otherwise."""
    from tokenwallet.secrets.store import ApiKey

    name = kind_name(kind)
    if not kind.needs_key:
        if text.strip():
            raise UserInputError(
                f"A {name} account reads the agent's log files on this computer; it takes no key.", field="key"
            )
        return None
    if not text.strip():
        raise UserInputError(f"No usable key was given: a {name} account needs its API key.", field="key")
    try:
        return ApiKey(text)
    except ValueError as exc:
        raise UserInputError(f"No usable key was given: {exc}.", field="key") from None


def add_account(
    ctx: AppContext,
    store: SecretStore,
    *,
    kind: AccountKind,
    label: str,
    base_url: str = "",
    key: str = "",
    filters: AccountFilters = NO_FILTERS,
) -> Account:
    """Add an account of ``kind`` and put its key in ``store`` (the ledger gets only its last characters and a
    keyed hash); ``filters`` narrow an organization's polls to the user's own usage.

    Everything is checked before anything is written; an account whose key is already used by
    another with overlapping filters is refused.  When the ledger write fails after the key was
    stored, the key is deleted again.
    """
    from tokenwallet.ledger import accounts as accounts_db

    details = validate_details(kind, label=label, base_url=base_url)
    filters = validate_filters(kind, filters)
    api_key = _checked_key(kind, key)
    now = ctx.clock()
    db = ctx.ledger()
    fingerprint = ""
    if api_key is not None:
        fingerprint = _fingerprint(db, api_key)
        _refuse_duplicate(
            db, kind, base_url=details.base_url, key_hint=api_key.hint, fingerprint=fingerprint, filters=filters
        )
    account = Account(
        id=accounts_db.new_account_id(kind),
        kind=kind,
        label=details.label,
        base_url=details.base_url,
        key_hint=api_key.hint if api_key is not None else "",
        created_at=now,
        filters=filters,
        key_fingerprint=fingerprint,
    )
    if api_key is None:
        return accounts_db.add(db, account, at=now)
    store.check()  # a store that cannot keep keys: nothing is written anywhere
    return _with_key(store, account.id, api_key, lambda: accounts_db.add(db, account, at=now))


def update_account(
    ctx: AppContext,
    store: SecretStore | None,
    account_id: str,
    *,
    label: str,
    base_url: str,
    key: str = "",
    filters: AccountFilters | None = None,
) -> Account:
    """Rename an account, change its base URL and, when given, replace its key or its filters.

    The new values are checked like :func:`add_account` checks them (a key or filters that would
    duplicate another account are refused).  New filters make the next poll read the whole first
    window again, narrowed to them.  When the ledger write fails after the new key was stored, the
    previous key is put back.
    """
    from tokenwallet.ledger import accounts as accounts_db

    db = ctx.ledger()
    account = accounts_db.get(db, account_id)
    details = validate_details(account.kind, label=label, base_url=base_url)
    changes: dict[str, Any] = {"label": details.label, "base_url": details.base_url}
    new_filters = account.filters if filters is None else validate_filters(account.kind, filters)
    if new_filters != account.filters:
        changes["filters"] = new_filters
    api_key = _checked_key(account.kind, key) if key.strip() else None
    if api_key is not None:
        changes["key_hint"], changes["key_fingerprint"] = api_key.hint, _fingerprint(db, api_key)
    if api_key is not None or "filters" in changes:
        _refuse_duplicate(
            db,
            account.kind,
            base_url=details.base_url,
            key_hint=changes.get("key_hint", account.key_hint),
            fingerprint=changes.get("key_fingerprint", account.key_fingerprint),
            filters=new_filters,
            except_id=account_id,
        )
    now = ctx.clock()

    def write() -> Account:
        updated = accounts_db.update(db, account_id, at=now, **changes)
        if "filters" in changes:
            _read_again(db, account_id)
        return updated

    if api_key is None:
        return write()
    if store is None:
        raise ValueError("a new key needs the secret store")
    store.check()
    previous = store.get(account_id)
    return _with_key(store, account_id, api_key, write, previous=previous)


def set_filters(ctx: AppContext, account_id: str, filters: AccountFilters) -> Account:
    """Narrow ``account_id`` to ``filters`` (empty: its whole organization); checked and audited.

    The next poll reads the account's first window again with the new filters, replacing what was
    recorded there; older history keeps what was recorded when it was polled.
    """
    from tokenwallet.ledger import accounts as accounts_db

    account = accounts_db.get(ctx.ledger(), account_id)
    if not account.kind.needs_key:
        raise UserInputError(
            f"{account_id} is a {kind_name(account.kind)} account; only provider accounts are narrowed by filters.",
            field="account",
        )
    return update_account(
        ctx,
        None,
        account_id,
        label=account.label,
        base_url=account.base_url,
        filters=filters,
    )


def _read_again(db: Database, account_id: str) -> None:
    """Forget the account's poll cursor, so its next poll reads the whole first window again (and soon)."""
    from msgspec.structs import replace

    from tokenwallet.ledger import sync_state

    state = sync_state.get(db, account_id)
    with db.atomic():
        sync_state.put(db, replace(state, cursor={}, next_due=None))


_BILLED_THROUGH: dict[AccountKind, tuple[AccountKind, ...]] = {
    AccountKind.CLAUDE_CODE: (AccountKind.ANTHROPIC, AccountKind.LITELLM, AccountKind.OPENROUTER),
    AccountKind.CODEX: (AccountKind.OPENAI, AccountKind.LITELLM, AccountKind.OPENROUTER),
    AccountKind.GEMINI: (AccountKind.LITELLM, AccountKind.OPENROUTER),
}
"""The accounts an agent's requests can be billed through: its provider's API, or a gateway."""

KEEP = object()
"""Marker for :func:`set_stream`: leave this declaration as it is."""


def set_stream(
    ctx: AppContext, account_id: str, *, billed_by: str | object | None = KEEP, subscription: bool | None = None
) -> Account:
    """Declare how an agent-log source's usage counts (the counting rule's stream declarations).

    ``billed_by`` names the API or gateway account its requests are billed through (None: not
    billed through any): its estimates then count only for the time that account has not reported
    yet.  ``subscription`` marks its usage as under a subscription plan: counted in token
    allowances, and as dollars only in allowances that count subscriptions.  A source is one or
    the other.  Both are audited.
    """
    from tokenwallet.ledger import accounts as accounts_db

    db = ctx.ledger()
    account = accounts_db.get(db, account_id)
    if not account.kind.is_local_log:
        raise UserInputError(
            f"{account_id} is a {kind_name(account.kind)} account; only agent-log sources (Claude Code, Codex "
            "CLI, Gemini CLI) are billed through another account or used under a subscription.",
            field="account",
        )
    changes: dict[str, Any] = {}
    target = account.billed_by if billed_by is KEEP else billed_by
    if billed_by is not KEEP and billed_by is not None:
        assert isinstance(billed_by, str)
        with input_field("billed_by"):
            other = accounts_db.get(db, billed_by)
        allowed = _BILLED_THROUGH.get(account.kind, ())
        if other.id == account.id or other.kind not in allowed:
            names = " or ".join(kind_name(k) for k in allowed)
            raise UserInputError(
                f"{kind_name(account.kind)} requests are billed through {names}, not through "
                f"{other.id} ({kind_name(other.kind)}).",
                field="billed_by",
            )
    if billed_by is not KEEP:
        changes["billed_by"] = target
    plan = account.subscription if subscription is None else subscription
    if subscription is not None:
        changes["subscription"] = subscription
    if target and plan:
        raise UserInputError(
            f"{account_id} cannot be both billed through {target} and under a subscription; turn one of them off.",
            field="subscription" if subscription else "billed_by",
        )
    if not changes:
        return account
    return accounts_db.update(db, account_id, at=ctx.clock(), **changes)


def _with_key(
    store: SecretStore, account_id: str, key: ApiKey, write: Callable[[], T], *, previous: ApiKey | None = None
) -> T:
    """Store ``key``, then run ``write``; when ``write`` fails, put the store back as it was."""
    store.set(account_id, key)  # the key first: a store that refuses it leaves no half account
    try:
        return write()
    except BaseException:  # also an interrupt: the cleanup runs, then the failure goes on unchanged
        _put_back(store, account_id, previous)
        raise


def _put_back(store: SecretStore, account_id: str, previous: ApiKey | None) -> None:
    try:
        if previous is None:
            store.delete(account_id)
        else:
            store.set(account_id, previous)
    except SecretStoreError as exc:  # the write's own failure is the news; this one goes to the log
        log.warning("could not undo the key change of %s in the secret store: %s", account_id, exc)


def remove_account(ctx: AppContext, store: SecretStore, account_id: str) -> RemovedAccount:
    """Forget an account and delete its key; its recorded usage stays in the ledger for reports.

    The account is forgotten even when the secret store cannot be used (no keyring, a locked one):
    the result then says that the key could not be deleted and what to do about it.
    """
    from tokenwallet.ledger import accounts as accounts_db
    from tokenwallet.secrets.store import SERVICE

    db = ctx.ledger()
    account = accounts_db.get(db, account_id)
    accounts_db.remove(db, account_id, at=ctx.clock())
    if not account.kind.needs_key:
        return RemovedAccount(account)
    try:
        store.delete(account_id)
    except SecretStoreError as exc:
        problem = str(exc).rstrip(".")
        return RemovedAccount(
            account,
            key_problem=(
                f"Its key could not be deleted from the keyring: {problem}. When the keyring works again, "
                f"delete the entry “{SERVICE} / {account_id}” with your keyring manager."
            ),
        )
    return RemovedAccount(account)


def check_connection(ctx: AppContext, account_id: str) -> PollOutcome:
    """Poll ``account_id`` once now, a real request with its stored key; the outcome says how it went.

    An unknown id is a :class:`~tokenwallet.domain.errors.NotFoundError` before any request.
    """
    get_account(ctx, account_id)
    return ctx.poll_service().poll(account_id)


def get_account(ctx: AppContext, account_id: str) -> Account:
    """The account with ``account_id``; :class:`~tokenwallet.domain.errors.NotFoundError` when there is none."""
    from tokenwallet.ledger import accounts as accounts_db

    return accounts_db.get(ctx.ledger(), account_id)


def list_accounts(ctx: AppContext, *, include_disabled: bool = True, include_manual: bool = True) -> list[Account]:
    """The accounts in the order they were added (removed ones are gone)."""
    from tokenwallet.ledger import accounts as accounts_db

    found = accounts_db.list_accounts(ctx.ledger(), include_disabled=include_disabled)
    return [a for a in found if include_manual or a.kind is not AccountKind.MANUAL]


def account_states(ctx: AppContext) -> list[AccountState]:
    """Every account with its sync state (last success, last error, next poll)."""
    from tokenwallet.ledger import sync_state

    db = ctx.ledger()
    return [AccountState(account, sync_state.get(db, account.id)) for account in list_accounts(ctx)]
