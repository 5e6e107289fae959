"""Cost of polling: requests and wall time per account, first poll against steady state.

Run: ``python tests/benchmarks/poll_cost.py``.  Starts the provider emulator, adds one demo
account per provider to a throwaway ledger and prints, per provider, the requests and the median
time of the first (31-day) poll and of steady-state polls (nothing new), with the ratio.  The
first poll is the baseline measured in the same run.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from tokenwallet.demo.accounts import add_demo_accounts
from tokenwallet.domain.clock import FixedClock
from tokenwallet.emulator import start_emulator
from tokenwallet.ledger.db import open_ledger
from tokenwallet.secrets import MemorySecretStore
from tokenwallet.sources.http import make_client
from tokenwallet.sync.service import PollService

ROUNDS = 20


def main() -> None:
    """Print the figures."""
    clock = FixedClock(datetime(2026, 11, 15, 12, 0, tzinfo=UTC))
    emulator = start_emulator(clock=clock)
    with tempfile.TemporaryDirectory() as tmp, make_client() as client:
        db = open_ledger(Path(tmp) / "ledger.db")
        store = MemorySecretStore()
        service = PollService(db_factory=lambda: db, secrets=store, client=client, clock=clock)
        accounts = add_demo_accounts(db, store, emulator, at=clock())
        print(f"{'provider':11} {'first req':>9} {'first ms':>9} {'steady req':>10} {'steady ms':>9} {'ratio':>6}")
        for account in accounts:
            emulator.clear_requests()
            start = time.perf_counter()
            assert service.poll(account.id).ok
            first_ms = (time.perf_counter() - start) * 1000
            first_requests = len(emulator.requests)
            times, counts = [], []
            for _ in range(ROUNDS):
                emulator.clear_requests()
                start = time.perf_counter()
                assert service.poll(account.id).ok
                times.append((time.perf_counter() - start) * 1000)
                counts.append(len(emulator.requests))
            steady = statistics.median(times)
            print(
                f"{account.kind.value:11} {first_requests:9d} {first_ms:9.1f} {statistics.median(counts):10.0f} "
                f"{steady:9.1f} {first_ms / steady:5.1f}x"
            )
        db.close()
    emulator.stop()


if __name__ == "__main__":
    main()
