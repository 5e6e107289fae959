"""PollService over the emulator: records land in the ledger, sync state tells the story."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from tokenwallet.domain.accounts import Account, AccountKind
from tokenwallet.ledger import accounts as accounts_db
from tokenwallet.ledger import snapshots as snapshots_db
from tokenwallet.ledger import sync_state as sync_db
from tokenwallet.ledger import usage as usage_db
from tokenwallet.secrets import ApiKey, MemorySecretStore
from tokenwallet.sources.http import make_client
from tokenwallet.sync.service import PollService


@pytest.fixture
def service(db, clock):  # type: ignore[no-untyped-def]
    with make_client(httpx.Timeout(1.0, connect=1.0)) as client:
        yield PollService(db_factory=lambda: db, secrets=MemorySecretStore(), client=client, clock=clock)


def _add(db, service, emulator, kind: str, now) -> str:  # type: ignore[no-untyped-def]
    account = Account(id=f"{kind}-1", kind=AccountKind(kind), label=kind, base_url=emulator.base_url(kind))
    accounts_db.add(db, account, at=now)
    service.secrets.set(account.id, ApiKey(emulator.keys[kind]))
    return account.id


def test_poll_writes_records_and_sync_state(db, service, emulator, now) -> None:  # type: ignore[no-untyped-def]
    account_id = _add(db, service, emulator, "openai", now)
    outcome = service.poll(account_id)
    assert outcome.ok and outcome.records > 0 and outcome.error == ""
    state = sync_db.get(db, account_id)
    assert state.last_success == now and state.failures == 0 and state.last_error == ""
    assert state.next_due is not None and timedelta(minutes=5) <= state.next_due - now <= timedelta(minutes=5.5)
    assert usage_db.count(db) == outcome.records


def test_failure_is_recorded_then_recovered(db, service, emulator, now) -> None:  # type: ignore[no-untyped-def]
    account_id = _add(db, service, emulator, "litellm", now)
    emulator.set_fault("litellm", "429", retry_after=900)
    outcome = service.poll(account_id)
    assert not outcome.ok and outcome.error_kind == "rate_limited"
    state = sync_db.get(db, account_id)
    assert state.failures == 1 and "rate limiting" in state.last_error
    assert state.next_due is not None and state.next_due - now >= timedelta(seconds=900)
    assert snapshots_db.latest(db, account_id) == []
    assert service.poll(account_id).ok
    state = sync_db.get(db, account_id)
    assert state.failures == 0 and state.last_error == "" and snapshots_db.latest(db, account_id)


def test_missing_key_is_a_plain_words_failure(db, service, emulator, now) -> None:  # type: ignore[no-untyped-def]
    account_id = _add(db, service, emulator, "deepseek", now)
    service.secrets.delete(account_id)
    outcome = service.poll(account_id)
    assert not outcome.ok and outcome.error_kind == "secret" and "No key is stored" in outcome.error


def test_after_poll_hooks_run_on_success_only(db, service, emulator, now) -> None:  # type: ignore[no-untyped-def]
    seen: list[object] = []
    service.after_poll.append(lambda d, at: seen.append(at))
    account_id = _add(db, service, emulator, "moonshot", now)
    emulator.set_fault("moonshot", "503")
    service.poll(account_id)
    assert seen == []
    service.poll(account_id)
    assert seen == [now]


def test_demo_accounts_poll_cleanly(db, service, emulator, now) -> None:  # type: ignore[no-untyped-def]
    from tokenwallet.demo.accounts import add_demo_accounts

    accounts = add_demo_accounts(db, service.secrets, emulator, at=now)
    assert len(accounts) == 6
    outcomes = service.poll_due()
    assert sorted(o.account_id for o in outcomes) == sorted(a.id for a in accounts)
    assert all(o.ok for o in outcomes), [o.error for o in outcomes if not o.ok]
    assert service.poll_due() == []  # nothing is due again until the interval has passed
    add_demo_accounts(db, service.secrets, emulator, at=now)  # idempotent
    assert len(accounts_db.list_accounts(db)) == 6


def test_unexpected_connector_error_is_recorded_not_raised(db, service, emulator, now, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    from tokenwallet.sources import registry

    def broken(*_: object):  # type: ignore[no-untyped-def]
        raise KeyError("sk-admin-emulator-openai-0001")
        yield  # pragma: no cover

    monkeypatch.setitem(registry.CONNECTORS, "openai", dataclasses.replace(registry.CONNECTORS["openai"], fetch=broken))
    account_id = _add(db, service, emulator, "openai", now)
    outcome = service.poll(account_id)
    assert not outcome.ok and outcome.error_kind == "bug" and "KeyError" in outcome.error
    assert "sk-admin" not in sync_db.get(db, account_id).last_error


def test_unknown_account_is_an_outcome_not_an_exception(service) -> None:  # type: ignore[no-untyped-def]
    outcome = service.poll("nope")
    assert not outcome.ok and outcome.error_kind == "not_found"


def test_polls_from_worker_threads_use_their_own_connections(app_context, emulator, now) -> None:  # type: ignore[no-untyped-def]
    from concurrent.futures import ThreadPoolExecutor

    from tokenwallet.demo.accounts import add_demo_accounts

    app_context.use_session_only_keys()
    add_demo_accounts(app_context.ledger(), app_context.secret_store(), emulator, at=now)
    service = app_context.poll_service()
    ids = [a.id for a in accounts_db.list_accounts(app_context.ledger())]

    def work(account_id: str):  # type: ignore[no-untyped-def]
        try:
            return service.poll(account_id)
        finally:
            app_context.close()  # each worker closes the connection it opened

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(work, ids))
    assert all(o.ok for o in outcomes), [o.error for o in outcomes if not o.ok]
    states = sync_db.all_states(app_context.ledger())
    assert sorted(s.account_id for s in states) == sorted(ids) and all(s.last_success == now for s in states)
    app_context.shutdown()
