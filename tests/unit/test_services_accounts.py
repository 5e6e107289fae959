"""Account use cases: what each kind asks for, base-URL checks, key storage with rollback, removal."""

from __future__ import annotations

import sqlite3

import pytest

from tokenwallet.domain.accounts import AccountKind
from tokenwallet.domain.errors import LedgerError, NotFoundError, SecretStoreError, UserInputError
from tokenwallet.ledger import accounts as accounts_db
from tokenwallet.secrets.store import SERVICE, ApiKey, KeyringSecretStore, MemorySecretStore
from tokenwallet.services import accounts as service

KEY = "sk-admin-0123456789abcd"


@pytest.fixture
def store() -> KeyringSecretStore:
    """The real keyring store, over the in-memory keyring backend every test gets."""
    return KeyringSecretStore()


def _stored(app_context) -> list[str]:  # type: ignore[no-untyped-def]
    return [a.id for a in accounts_db.list_accounts(app_context.ledger())]


def _make_writes_fail(app_context) -> None:  # type: ignore[no-untyped-def]
    """Every later write on this connection fails, as on a read-only or full disk."""
    app_context.ledger().execute("PRAGMA query_only = ON")


@pytest.mark.parametrize("kind", list(AccountKind))
def test_each_kind_asks_for_what_it_needs(kind: AccountKind) -> None:
    needs = service.needs(kind)
    api_kinds = {"openai", "anthropic", "openrouter", "litellm", "deepseek", "moonshot"}
    assert needs.key is (kind.value in api_kinds)
    assert needs.base_url is (kind.value in api_kinds)
    assert needs.base_url_required is (kind is AccountKind.LITELLM)  # the only provider without a default URL


def test_add_keeps_the_key_in_the_keyring_and_only_a_hint_in_the_ledger(app_context, store, memory_keyring) -> None:  # type: ignore[no-untyped-def]
    account = service.add_account(app_context, store, kind=AccountKind.OPENAI, label="  Work OpenAI ", key=KEY)
    assert (account.label, account.base_url, account.key_hint) == ("Work OpenAI", "", KEY[-4:])
    assert memory_keyring.passwords == {(SERVICE, account.id): KEY}
    assert _stored(app_context) == [account.id]


def test_gui_style_litellm_account_without_url_is_refused(app_context, store, memory_keyring) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UserInputError) as caught:
        service.add_account(app_context, store, kind=AccountKind.LITELLM, label="Company gateway", base_url="", key=KEY)
    assert caught.value.field == "base_url"
    assert "LiteLLM gateway account needs its base URL" in str(caught.value)
    assert "--" not in str(caught.value)  # domain words, no command-line option
    assert memory_keyring.passwords == {} and _stored(app_context) == []


@pytest.mark.parametrize("kind", [AccountKind.LITELLM, AccountKind.OPENAI])
def test_plain_http_to_a_remote_host_is_refused(app_context, store, memory_keyring, kind: AccountKind) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UserInputError) as caught:
        service.add_account(app_context, store, kind=kind, label="gw", base_url="http://llm.corp.example", key=KEY)
    assert caught.value.field == "base_url" and "https" in str(caught.value)
    assert memory_keyring.passwords == {} and _stored(app_context) == []


@pytest.mark.parametrize(
    "url", ["ftp://llm.example.com", "https://", "https://user:pw@llm.example.com", "https://[::1", "llm.example.com"]
)
def test_unusable_base_urls_are_refused_naming_the_field(url: str) -> None:
    with pytest.raises(UserInputError) as caught:
        service.validate_details(AccountKind.LITELLM, label="gw", base_url=url)
    assert caught.value.field == "base_url"


def test_base_url_is_kept_without_trailing_slash_and_loopback_http_is_fine() -> None:
    https = service.validate_details(AccountKind.LITELLM, label="gw", base_url=" https://llm.example.com/ ")
    local = service.validate_details(AccountKind.LITELLM, label="gw", base_url="http://127.0.0.1:4000")
    assert (https.base_url, local.base_url) == ("https://llm.example.com", "http://127.0.0.1:4000")


def test_label_and_key_are_required_for_api_accounts(app_context, store, memory_keyring) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UserInputError) as no_label:
        service.add_account(app_context, store, kind=AccountKind.OPENAI, label="  ", key=KEY)
    with pytest.raises(UserInputError) as no_key:
        service.add_account(app_context, store, kind=AccountKind.DEEPSEEK, label="DeepSeek", key=" ")
    with pytest.raises(UserInputError) as spaced_key:
        service.add_account(app_context, store, kind=AccountKind.DEEPSEEK, label="DeepSeek", key="sk-1 sk-2")
    assert (no_label.value.field, no_key.value.field, spaced_key.value.field) == ("label", "key", "key")
    assert "DeepSeek account needs its API key" in str(no_key.value)
    assert "sk-1" not in str(spaced_key.value)  # the key never appears in a message
    assert memory_keyring.passwords == {} and _stored(app_context) == []


def test_agent_log_accounts_take_neither_key_nor_url(app_context, store, memory_keyring) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UserInputError) as with_url:
        service.add_account(
            app_context, store, kind=AccountKind.CLAUDE_CODE, label="logs", base_url="https://x.example"
        )
    with pytest.raises(UserInputError) as with_key:
        service.add_account(app_context, store, kind=AccountKind.CODEX, label="logs", key=KEY)
    assert (with_url.value.field, with_key.value.field) == ("base_url", "key")
    account = service.add_account(app_context, store, kind=AccountKind.GEMINI, label="Gemini logs")
    assert account.key_hint == "" and memory_keyring.passwords == {}
    assert _stored(app_context) == [account.id]


def test_manual_accounts_cannot_be_added(app_context, store) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UserInputError) as caught:
        service.add_account(app_context, store, kind=AccountKind.MANUAL, label="mine")
    assert caught.value.field == "kind"


def test_key_is_deleted_again_when_the_ledger_write_fails(app_context, store, memory_keyring) -> None:  # type: ignore[no-untyped-def]
    app_context.ledger()  # the ledger exists and is healthy ...
    _make_writes_fail(app_context)  # ... but refuses the write that would record the account
    with pytest.raises((sqlite3.Error, LedgerError)):
        service.add_account(app_context, store, kind=AccountKind.OPENAI, label="Work", key=KEY)
    assert memory_keyring.passwords == {}  # no orphaned key left behind
    app_context.ledger().execute("PRAGMA query_only = OFF")
    assert _stored(app_context) == []


def test_previous_key_is_put_back_when_the_ledger_write_of_an_edit_fails(app_context, store, memory_keyring) -> None:  # type: ignore[no-untyped-def]
    account = service.add_account(app_context, store, kind=AccountKind.OPENAI, label="Work", key=KEY)
    _make_writes_fail(app_context)
    with pytest.raises((sqlite3.Error, LedgerError)):
        service.update_account(app_context, store, account.id, label="Work", base_url="", key="sk-admin-new-key-9999")
    assert memory_keyring.passwords == {(SERVICE, account.id): KEY}
    app_context.ledger().execute("PRAGMA query_only = OFF")
    assert service.get_account(app_context, account.id).key_hint == KEY[-4:]


def test_edit_renames_changes_url_and_replaces_the_key(app_context, store, memory_keyring) -> None:  # type: ignore[no-untyped-def]
    account = service.add_account(app_context, store, kind=AccountKind.OPENAI, label="Work", key=KEY)
    renamed = service.update_account(
        app_context, store, account.id, label="Team", base_url="https://proxy.example.com/v1/", key=""
    )
    assert (renamed.label, renamed.base_url, renamed.key_hint) == ("Team", "https://proxy.example.com/v1", KEY[-4:])
    assert memory_keyring.passwords == {(SERVICE, account.id): KEY}  # no key given: the old one stays
    rekeyed = service.update_account(app_context, store, account.id, label="Team", base_url="", key="sk-new-key-7777")
    assert rekeyed.key_hint == "7777" and memory_keyring.passwords == {(SERVICE, account.id): "sk-new-key-7777"}
    with pytest.raises(UserInputError):
        service.update_account(app_context, store, account.id, label="Team", base_url="http://llm.corp.example")
    assert service.get_account(app_context, account.id).base_url == ""


def test_a_store_that_cannot_keep_keys_writes_nothing(app_context, memory_keyring) -> None:  # type: ignore[no-untyped-def]
    import keyring
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())
    with pytest.raises(SecretStoreError):
        service.add_account(app_context, KeyringSecretStore(), kind=AccountKind.OPENAI, label="Work", key=KEY)
    assert _stored(app_context) == []


def test_remove_forgets_the_account_and_deletes_its_key(app_context, store, memory_keyring) -> None:  # type: ignore[no-untyped-def]
    account = service.add_account(app_context, store, kind=AccountKind.OPENAI, label="Work", key=KEY)
    removed = service.remove_account(app_context, store, account.id)
    assert removed.key_deleted and removed.key_problem == ""
    assert memory_keyring.passwords == {} and _stored(app_context) == []
    with pytest.raises(NotFoundError):
        service.remove_account(app_context, store, account.id)


def test_remove_works_without_a_usable_keyring(app_context, store, memory_keyring) -> None:  # type: ignore[no-untyped-def]
    import keyring
    from keyring.backends import fail

    account = service.add_account(app_context, store, kind=AccountKind.OPENAI, label="Work", key=KEY)
    keyring.set_keyring(fail.Keyring())
    removed = service.remove_account(app_context, KeyringSecretStore(), account.id)
    assert not removed.key_deleted
    assert "could not be deleted" in removed.key_problem and account.id in removed.key_problem
    assert _stored(app_context) == []  # forgotten all the same


def test_remove_with_a_failing_keyring_backend(app_context, memory_keyring) -> None:  # type: ignore[no-untyped-def]
    from keyring.errors import KeyringLocked

    store = KeyringSecretStore()
    account = service.add_account(app_context, store, kind=AccountKind.OPENAI, label="Work", key=KEY)

    def locked(service_name: str, username: str) -> None:
        raise KeyringLocked("the collection is locked")

    memory_keyring.delete_password = locked
    removed = service.remove_account(app_context, store, account.id)
    assert "locked" in removed.key_problem and not removed.key_deleted
    assert _stored(app_context) == []
    assert memory_keyring.passwords == {(SERVICE, account.id): KEY}  # what the message tells the user


def test_remove_of_an_account_without_a_key_never_asks_the_keyring(app_context) -> None:  # type: ignore[no-untyped-def]
    class NoStore(MemorySecretStore):
        def delete(self, account_id: str) -> None:
            raise AssertionError("an agent-log account has no key to delete")

    account = service.add_account(app_context, NoStore(), kind=AccountKind.CLAUDE_CODE, label="logs")
    removed = service.remove_account(app_context, NoStore(), account.id)
    assert removed.key_problem == "" and not removed.key_deleted


def test_keyring_problem_names_the_remedy(memory_keyring) -> None:  # type: ignore[no-untyped-def]
    import keyring
    from keyring.backends import fail

    assert service.keyring_problem(KeyringSecretStore()) == ""
    keyring.set_keyring(fail.Keyring())
    problem = service.keyring_problem(KeyringSecretStore())
    assert problem.startswith("Cannot store keys safely") and "session only" in problem


def test_check_connection_polls_once_and_refuses_unknown_ids(app_context, emulator) -> None:  # type: ignore[no-untyped-def]
    store = app_context.use_session_only_keys()
    account = service.add_account(
        app_context,
        store,
        kind=AccountKind.DEEPSEEK,
        label="DeepSeek",
        base_url=emulator.base_url("deepseek"),
        key=emulator.keys["deepseek"],
    )
    outcome = service.check_connection(app_context, account.id)
    assert outcome.ok and outcome.account_id == account.id and outcome.snapshots > 0
    states = service.account_states(app_context)
    assert [(s.account.id, s.sync.last_success) for s in states] == [(account.id, app_context.clock())]
    with pytest.raises(NotFoundError):
        service.check_connection(app_context, "nope")
    app_context.shutdown()


def test_list_accounts_can_leave_out_manual_entries(app_context, store) -> None:  # type: ignore[no-untyped-def]
    accounts_db.ensure_manual(app_context.ledger(), at=app_context.clock())
    account = service.add_account(app_context, store, kind=AccountKind.OPENAI, label="Work", key=KEY)
    assert [a.id for a in service.list_accounts(app_context)] == [accounts_db.MANUAL_ACCOUNT_ID, account.id]
    assert [a.id for a in service.list_accounts(app_context, include_manual=False)] == [account.id]


def test_key_value_is_never_stored_in_the_ledger(app_context, store, home) -> None:  # type: ignore[no-untyped-def]
    service.add_account(app_context, store, kind=AccountKind.OPENAI, label="Work", key=KEY)
    app_context.close()
    assert [p for p in home.rglob("*") if p.is_file() and KEY.encode() in p.read_bytes()] == []


def test_api_key_type_is_what_the_store_receives(app_context) -> None:  # type: ignore[no-untyped-def]
    store = MemorySecretStore()
    account = service.add_account(app_context, store, kind=AccountKind.OPENAI, label="Work", key=f"  {KEY}\n")
    assert store.get(account.id) == ApiKey(KEY)


# --- own usage from an org key, and duplicates --------------------------------------------------
def test_filters_are_checked_stored_and_never_hold_a_stranger_dimension(app_context, store, memory_keyring) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.domain.accounts import AccountFilters

    assert service.needs(AccountKind.OPENAI).filters == ("api_key_id", "project_id")
    assert service.needs(AccountKind.ANTHROPIC).filters == ("api_key_id", "workspace_id", "user_email")
    assert service.needs(AccountKind.DEEPSEEK).filters == ()
    wanted = AccountFilters(project_ids=(" proj_a ", "proj_b"), api_key_ids=("key_1",))
    account = service.add_account(app_context, store, kind=AccountKind.OPENAI, label="org", key=KEY, filters=wanted)
    assert accounts_db.get(app_context.ledger(), account.id).filters == AccountFilters(
        project_ids=("proj_a", "proj_b"), api_key_ids=("key_1",)
    )
    for bad, field in (
        (AccountFilters(workspace_ids=("w",)), "workspace_id"),
        (AccountFilters(project_ids=("two words",)), "project_id"),
        (AccountFilters(user_emails=("nobody",)), "user_email"),
    ):
        kind = AccountKind.ANTHROPIC if field == "user_email" else AccountKind.OPENAI
        with pytest.raises(UserInputError) as caught:
            service.validate_filters(kind, bad)
        assert caught.value.field == field and "--" not in str(caught.value)


def test_a_key_added_before_fingerprints_is_recognised_by_its_hint_until_its_next_poll(
    app_context, store, memory_keyring, emulator, now
) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.domain.accounts import Account
    from tokenwallet.domain.errors import DuplicateAccountError

    db = app_context.ledger()
    key = emulator.keys["openai"]
    base = emulator.base_url("openai")
    old = Account(id="openai-old", kind=AccountKind.OPENAI, label="old", base_url=base, key_hint=key[-4:])
    accounts_db.add(db, old, at=now)
    store.set(old.id, ApiKey(key))
    with pytest.raises(DuplicateAccountError) as caught:
        service.add_account(app_context, store, kind=AccountKind.OPENAI, label="new", base_url=base, key=key)
    assert caught.value.other_id == "openai-old" and "“old”" in str(caught.value)
    assert app_context.poll_service().poll(old.id).ok  # the poll keeps the key's fingerprint
    assert accounts_db.get(db, old.id).key_fingerprint != ""
    with pytest.raises(DuplicateAccountError):  # now by the fingerprint
        service.add_account(app_context, store, kind=AccountKind.OPENAI, label="new", base_url=base + "/", key=key)
    other = service.add_account(app_context, store, kind=AccountKind.OPENAI, label="2nd org", key=KEY)
    assert other.key_fingerprint and other.key_fingerprint != accounts_db.get(db, old.id).key_fingerprint
    assert KEY not in str(db.execute("SELECT * FROM accounts").fetchall())
