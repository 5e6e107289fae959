"""Benchmark: status of three allowances on a 1,000,000-row ledger.

Builds a ledger of hourly buckets over two years (5 accounts, 20 models), then prints

* the bulk-insert rate (rows per second through ``ledger.usage.upsert_rows``, the importers' path),
* the file size,
* the median time to compute the status of three allowances (``ledger.status.allowance_status``),
  against a baseline in the same run: the same figures computed from a full-history scan that
  reads every hour of spend since the allowance started;
* the same status once the Claude Code logs are declared billed through the Anthropic account
  (the counting rule then supersedes their estimates where the account reported).

Target: the status of three allowances in at most 10 ms (median).

Run: ``python tests/benchmarks/ledger_status.py [--rows N] [--repeat N] [--keep DIR]``
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tokenwallet.budget.engine import compute_status
from tokenwallet.domain.accounts import Account, AccountKind
from tokenwallet.domain.allowance import Allowance, Cadence, Grant, GrantKind, RolloverPolicy, Scope, Unit
from tokenwallet.domain.money import usd_to_micros
from tokenwallet.ledger import accounts, allowances
from tokenwallet.ledger.counting import hourly_spend
from tokenwallet.ledger.db import open_ledger
from tokenwallet.ledger.spend import scope_for
from tokenwallet.ledger.status import allowance_status, daily_spend
from tokenwallet.ledger.usage import upsert_rows

TARGET_MS = 10.0
END = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)
HOURS = 2 * 365 * 24
ACCOUNTS = [
    ("openai-1", AccountKind.OPENAI, "openai"),
    ("anthropic-1", AccountKind.ANTHROPIC, "anthropic"),
    ("openrouter-1", AccountKind.OPENROUTER, "openrouter"),
    ("litellm-1", AccountKind.LITELLM, "litellm"),
    ("claude-code-1", AccountKind.CLAUDE_CODE, "anthropic"),
]
MODELS = [f"model-{i:02d}" for i in range(20)]


def build(path: Path, rows: int, seed: int = 7) -> tuple[float, int]:
    """Create the ledger at ``path`` with about ``rows`` usage rows; return (seconds, rows written)."""
    db = open_ledger(path)
    start = END - timedelta(hours=HOURS)
    for account_id, kind, _ in ACCOUNTS:
        accounts.add(db, Account(id=account_id, kind=kind, label=account_id), at=start)
    rnd = random.Random(seed)
    combos = [(a, p, m) for a, _, p in ACCOUNTS for m in MODELS]
    start_epoch = int(start.timestamp())
    written = 0
    began = time.perf_counter()
    batch: list[tuple[object, ...]] = []
    for hour in range(HOURS):
        bucket = start_epoch + hour * 3600
        per_hour = (hour + 1) * rows // HOURS - hour * rows // HOURS
        for account_id, provider, model in rnd.sample(combos, per_hour):
            local = account_id.startswith("claude-code")
            tokens_in = rnd.randrange(1_000, 200_000)
            tokens_out = rnd.randrange(100, 20_000)
            priced = not local or rnd.random() > 0.05
            batch.append(
                (
                    account_id,
                    "local_log" if local else "api_cost",
                    f"{bucket}:{model}",
                    bucket,
                    bucket + 3600,
                    provider,
                    model,
                    "estimated" if local else "reported",
                    tokens_in,
                    tokens_in // 4,
                    0,
                    tokens_out,
                    0,
                    rnd.randrange(1, 50),
                    rnd.randrange(10, 10_000) if priced else None,
                    "USD",
                    "",
                    "",
                    "",
                    "",
                    "{}",
                    bucket,
                )
            )
            written += 1
            if written >= rows:
                break
        if len(batch) >= 50_000 or written >= rows:
            with db.atomic():
                upsert_rows(db, batch)
            batch.clear()
        if written >= rows:
            break
    if batch:
        with db.atomic():
            upsert_rows(db, batch)
    seconds = time.perf_counter() - began
    db.close()
    return seconds, written


def define_allowances(path: Path) -> list[Allowance]:
    """A monthly USD allowance with rollover and a top-up, a weekly token one, a quarterly one."""
    db = open_ledger(path)
    two_years_ago = END - timedelta(days=730)
    items = [
        Allowance(
            id="monthly",
            name="monthly",
            unit=Unit.USD,
            amount=usd_to_micros(200),
            cadence=Cadence.MONTHLY,
            starts_at=two_years_ago,
            timezone="Europe/Berlin",
            rollover=RolloverPolicy(cap=usd_to_micros(40)),
        ),
        Allowance(
            id="weekly",
            name="weekly-tokens",
            unit=Unit.TOKENS,
            amount=50_000_000,
            cadence=Cadence.WEEKLY,
            starts_at=two_years_ago,
            timezone="America/New_York",
            scope=Scope(accounts=("anthropic-1", "claude-code-1")),
        ),
        Allowance(
            id="quarterly",
            name="quarterly-openai",
            unit=Unit.USD,
            amount=usd_to_micros(600),
            cadence=Cadence.QUARTERLY,
            starts_at=two_years_ago,
            timezone="UTC",
            scope=Scope(providers=("openai",)),
        ),
    ]
    for allowance in items:
        if not db.execute("SELECT 1 FROM allowances WHERE id = ?", [allowance.id]).fetchone():
            allowances.add(db, allowance, at=two_years_ago)
    if not allowances.grants_for(db, "monthly"):
        allowances.add_grant(
            db,
            Grant(
                "topup-1",
                "monthly",
                GrantKind.TOPUP,
                usd_to_micros(50),
                END - timedelta(days=10),
                END + timedelta(days=5),
            ),
            at=END - timedelta(days=10),
        )
    db.close()
    return items


def raw_status(path: Path) -> Callable[[], object]:
    """Baseline 1: the same status, reading ``usage`` row by row instead of the rollup tables."""
    db = open_ledger(path)

    def run() -> object:
        return [allowance_status(db, a, END, raw=True) for a in allowances.list_allowances(db)]

    return run


def full_history_status(path: Path) -> Callable[[], object]:
    """Baseline 2: read every hour of spend since each allowance started, then compute the status."""
    db = open_ledger(path)

    def run() -> object:
        results = []
        for allowance in allowances.list_allowances(db):
            points = hourly_spend(
                db, scope_for(db, allowance), allowance.starts_at, END + timedelta(seconds=1), raw=True
            )
            results.append(compute_status(allowance, allowances.grants_for(db, allowance.id), points, END))
        return results

    return run


def indexed_status(path: Path) -> Callable[[], object]:
    """What the app runs: ``allowance_status`` for each allowance."""
    db = open_ledger(path)

    def run() -> object:
        return [allowance_status(db, a, END) for a in allowances.list_allowances(db)]

    return run


def month_chart_ms(path: Path, repeat: int) -> tuple[float, float]:
    """Median time of ``daily_spend`` over the last 30 days for the monthly allowance, rollup vs raw."""
    db = open_ledger(path)
    allowance = allowances.get(db, "monthly")
    scope = scope_for(db, allowance)
    start = END - timedelta(days=30)
    rolled = median_ms(lambda: daily_spend(db, allowance, start, END), repeat)
    raw = median_ms(lambda: hourly_spend(db, scope, start, END, raw=True), max(3, repeat // 5))
    db.close()
    return rolled, raw


def linked_status_ms(path: Path, repeat: int) -> float:
    """Median status time with ``claude-code-1`` billed through ``anthropic-1`` (the link is undone after)."""
    db = open_ledger(path)
    db.execute("UPDATE accounts SET billed_by = 'anthropic-1' WHERE id = 'claude-code-1'")
    db.conn.commit()
    try:
        fast = indexed_status(path)
        assert fast() == raw_status(path)(), "the rollup and the row-by-row status differ with a link"
        return median_ms(fast, repeat)
    finally:
        db.execute("UPDATE accounts SET billed_by = NULL WHERE id = 'claude-code-1'")
        db.conn.commit()
        db.close()


def median_ms(func: Callable[[], object], repeat: int) -> float:
    func()  # warm the page cache and the statement cache
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        func()
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--keep", type=Path, help="Build (or reuse) the ledger in this folder and keep it.")
    args = parser.parse_args(argv)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="tokenwallet-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "ledger.db"
    if path.exists() and args.keep:
        print(f"reusing {path}")
    else:
        seconds, written = build(path, args.rows)
        print(f"bulk insert: {written:,} rows in {seconds:.1f} s = {written / seconds:,.0f} rows/s")
    print(f"file size: {path.stat().st_size / 1_000_000:.1f} MB")
    define_allowances(path)
    fast = indexed_status(path)
    slow = full_history_status(path)
    raw = raw_status(path)
    assert fast() == raw(), "the rollup and the row-by-row status differ"
    fast_ms = median_ms(fast, args.repeat)
    raw_ms = median_ms(raw, max(3, args.repeat // 5))
    slow_ms = median_ms(slow, 3)
    print(f"status of 3 allowances: median {fast_ms:.2f} ms (target <= {TARGET_MS:.0f} ms)")
    print(
        f"baseline 1, same status read row by row (no rollups): median {raw_ms:.1f} ms ({raw_ms / fast_ms:.0f}x slower)"
    )
    print(f"baseline 2, full-history scan: median {slow_ms:.1f} ms ({slow_ms / fast_ms:.0f}x slower)")
    chart_ms, chart_raw_ms = month_chart_ms(path, args.repeat)
    print(f"daily spend of 30 days (chart): median {chart_ms:.2f} ms; read row by row {chart_raw_ms:.1f} ms")
    linked_ms = linked_status_ms(path, args.repeat)
    print(f"status of 3 allowances with the logs billed through the Anthropic account: median {linked_ms:.2f} ms")
    if not args.keep:
        for leftover in folder.iterdir():
            leftover.unlink()
        folder.rmdir()
    return 0 if fast_ms <= TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
