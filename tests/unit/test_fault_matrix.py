"""Every emulator fault against every connector, through the poll service and a real ledger.

For each case the account shows a clear failing reason (or succeeds, for harmless faults),
nothing crashes, nothing is half-written, and the next clean poll recovers.
"""

from __future__ import annotations

import httpx
import pytest

from tokenwallet.domain.accounts import Account, AccountKind
from tokenwallet.emulator import FAULTS, KINDS
from tokenwallet.ledger import accounts as accounts_db
from tokenwallet.ledger import sync_state as sync_db
from tokenwallet.secrets import ApiKey, MemorySecretStore
from tokenwallet.sources.http import make_client
from tokenwallet.sync.service import PollService

EXPECTED_KIND = {
    "403": "auth",
    "404": "error",
    "429": "rate_limited",
    "500": "unavailable",
    "502": "unavailable",
    "503": "unavailable",
    "timeout": "unavailable",
    "reset": "unavailable",
    "malformed": "schema",
    "truncated": "schema",
    "revoked": "auth",
    "slow": "",
    "extra_fields": "",
    "missing_optional": "",
    # hostile bodies: each is a clear schema error for the account, never a crash or a stored value
    "empty_object": "schema",
    "huge_numbers": "schema",
    "non_finite": "schema",
    "deep_nesting": "schema",
    # an absurd Retry-After is honoured only up to a day
    "retry_after_huge": "rate_limited",
    "retry_after_far_date": "rate_limited",
}


@pytest.fixture
def service(db, clock):  # type: ignore[no-untyped-def]
    # A short read timeout so the "timeout" fault (server silent for 1 s) is quick to hit.
    with make_client(httpx.Timeout(0.4, connect=1.0), transport=httpx.HTTPTransport(retries=0)) as client:
        yield PollService(db_factory=lambda: db, secrets=MemorySecretStore(), client=client, clock=clock)


def _add(db, service, emulator, kind: str, now) -> str:  # type: ignore[no-untyped-def]
    account = Account(id=f"{kind}-1", kind=AccountKind(kind), label=kind, base_url=emulator.base_url(kind))
    accounts_db.add(db, account, at=now)
    service.secrets.set(account.id, ApiKey(emulator.keys[kind]))
    return account.id


def _rows(db, account_id: str) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    usage = db.execute("SELECT count(*) FROM usage WHERE account_id = ?", [account_id]).fetchone()[0]
    snaps = db.execute("SELECT count(*) FROM balance_snapshots WHERE account_id = ?", [account_id]).fetchone()[0]
    return usage, snaps


def test_matrix_covers_every_fault() -> None:
    assert set(EXPECTED_KIND) == set(FAULTS)


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("kind", KINDS)
def test_fault_then_recovery(kind: str, fault: str, db, service, emulator, now) -> None:  # type: ignore[no-untyped-def]
    account_id = _add(db, service, emulator, kind, now)
    emulator.set_fault(kind, fault, count=1, delay=1.0 if fault == "timeout" else 0.05)
    outcome = service.poll(account_id)
    state = sync_db.get(db, account_id)
    key = emulator.keys[kind]
    if EXPECTED_KIND[fault]:
        assert not outcome.ok and outcome.error_kind == EXPECTED_KIND[fault], outcome
        assert state.failures == 1 and state.last_error and state.last_success is None
        assert kind in state.last_error.lower() or kind in outcome.error.lower()
        assert key not in state.last_error
        assert _rows(db, account_id) == (0, 0)  # the first request failed: nothing written
        assert state.next_due is not None and state.next_due > now
    else:
        assert outcome.ok, outcome
    recovered = service.poll(account_id)
    assert recovered.ok, recovered
    state = sync_db.get(db, account_id)
    assert state.failures == 0 and state.last_error == "" and state.last_success == now
    assert sum(_rows(db, account_id)) > 0


def test_failure_on_a_later_endpoint_keeps_whole_pages_and_retries(db, service, emulator, now) -> None:  # type: ignore[no-untyped-def]
    account_id = _add(db, service, emulator, "openai", now)
    emulator.set_fault("/openai/v1/organization/costs", "truncated")
    outcome = service.poll(account_id)
    assert not outcome.ok and outcome.error_kind == "schema" and "HTTP 200" in outcome.error
    costs = db.execute("SELECT count(*) FROM usage WHERE source = 'api_cost'").fetchone()[0]
    tokens = db.execute("SELECT count(*) FROM usage WHERE source = 'api_usage'").fetchone()[0]
    # every usage page whole: (24 daily buckets + the hours of 6 days and of today to 12:00) x (2 chat + 1 embedding)
    assert costs == 0 and tokens == (24 + 6 * 24 + 13) * 3
    assert sync_db.get(db, account_id).cursor == {}  # the window is read again next time
    assert service.poll(account_id).ok
    assert db.execute("SELECT count(*) FROM usage WHERE source = 'api_cost'").fetchone()[0] == 31


@pytest.mark.parametrize("kind", KINDS)
def test_repeated_polls_leave_no_duplicates(kind: str, db, service, emulator, now) -> None:  # type: ignore[no-untyped-def]
    account_id = _add(db, service, emulator, kind, now)
    assert service.poll(account_id).ok
    first = _rows(db, account_id)
    state = sync_db.get(db, account_id)
    for _ in range(100):
        sync_db.put(db, state)  # same cursor, same window, every time
        assert service.poll(account_id).ok
    assert _rows(db, account_id) == first


@pytest.mark.parametrize(
    ("kind", "endpoints"),
    [
        ("openai", 6),  # completions, embeddings, images, audio speeches, audio transcriptions, costs
        ("anthropic", 3),  # messages, cost_report, claude_code (today only once yesterday is read)
        ("openrouter", 1),  # /key
        ("litellm", 4),  # /key/info, /user/info, /team/info, /user/daily/activity
        ("deepseek", 1),
        ("moonshot", 1),
    ],
)
def test_requests_per_steady_state_poll(kind: str, endpoints: int, db, service, emulator, now) -> None:  # type: ignore[no-untyped-def]
    account_id = _add(db, service, emulator, kind, now)
    assert service.poll(account_id).ok
    emulator.clear_requests()
    assert service.poll(account_id).ok
    paths = [e.path for e in emulator.requests]
    print(f"{kind}: {len(paths)} requests per steady-state poll")
    assert len(paths) == endpoints and len(set(paths)) == endpoints  # one per endpoint
