"""Soak: resident memory of the tray app with the dashboard open and refreshing, for a long time.

A window left open all day must not grow.  Each run starts the tray app in a child process with
the dashboard open, makes it re-read the ledger and redraw every ``--refresh`` seconds (much
faster than the real poll interval: a day's refreshes in half an hour), and samples the child's
resident memory (``VmRSS``) every ``--sample`` seconds.  Growth is measured from the sample at
the end of the warm-up (caches filled, fonts and glyphs drawn once) to the largest sample after
it; the target is at most 5 MB.

Two data sets:

* ``demo``: the built-in demo (its emulator, its allowance, the ticker adding spend every few
  seconds, as a first start shows it);
* ``year``: a ledger with a year of hourly usage up to now (four accounts, a dozen models,
  three allowances: monthly with rollover and a top-up, weekly tokens, quarterly), polls paused.

Run inside the desktop session (a real X server; ``QT_QPA_PLATFORM=offscreen`` works too)::

    bash .ci/desktop-session .venv/bin/python tests/benchmarks/dashboard_soak.py [--data demo|year|both]
        [--minutes 30] [--warmup 5] [--refresh 2] [--sample 30]

It prints one line per sample and, per run, the start, warm-up and end memory, the growth after
warm-up and whether it is within the target.  The exit status is 1 when a run is over the target.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

TARGET_MB = 5.0
READY = "dashboard-ready"


def rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` in MB (Linux ``/proc``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


# ----- the year ledger


def build_year_ledger(home: Path, now: datetime, seed: int = 11) -> int:
    """A home whose ledger holds a year of hourly usage up to ``now``; return the number of usage rows."""
    from tokenwallet.app import AppContext
    from tokenwallet.domain.accounts import Account, AccountKind
    from tokenwallet.domain.allowance import Allowance, Cadence, Grant, GrantKind, RolloverPolicy, Scope, Unit
    from tokenwallet.domain.money import usd_to_micros
    from tokenwallet.domain.usage import BalanceSnapshot, SnapshotKind
    from tokenwallet.ledger import accounts, allowances, snapshots
    from tokenwallet.ledger.usage import upsert_rows

    ctx = AppContext.create(str(home))
    ctx.save_settings(ctx.settings.replace(import_local_logs=False, timezone="Europe/Berlin"))
    db = ctx.ledger()
    start = (now - timedelta(days=365)).replace(minute=0, second=0, microsecond=0)
    kinds = [
        ("openai-1", AccountKind.OPENAI, "openai", "billed", "api_cost"),
        ("anthropic-1", AccountKind.ANTHROPIC, "anthropic", "billed", "api_cost"),
        ("openrouter-1", AccountKind.OPENROUTER, "openrouter", "gateway", "api_cost"),
        ("claude-code-1", AccountKind.CLAUDE_CODE, "anthropic", "estimated", "local_log"),
    ]
    for account_id, kind, *_ in [*kinds, ("codex-1", AccountKind.CODEX)]:
        accounts.add(db, Account(id=account_id, kind=kind, label=account_id), at=start)
    models = [f"model-{i:02d}" for i in range(12)]
    rnd = random.Random(seed)
    rows: list[tuple[object, ...]] = []
    hours = int((now - start).total_seconds() // 3600)
    first = int(start.timestamp())
    for hour in range(hours):
        bucket = first + hour * 3600
        local_hour = (hour + 1) % 24  # Berlin: a working day has more requests
        busy = 3 if 8 <= local_hour <= 19 else 1
        for _ in range(busy):
            account_id, _kind, provider, confidence, source = rnd.choice(kinds)
            model = rnd.choice(models)
            tokens_in = rnd.randrange(1_000, 60_000)
            rows.append(
                (
                    account_id,
                    source,
                    f"{bucket}:{model}",
                    bucket,
                    bucket + 3600,
                    provider,
                    model,
                    confidence,
                    tokens_in,
                    tokens_in // 4,
                    0,
                    tokens_in // 10,
                    0,
                    rnd.randrange(1, 20),
                    rnd.randrange(2_000, 60_000),
                    "USD",
                    "",
                    "",
                    "",
                    "",
                    "{}",
                    bucket,
                )
            )
    with db.atomic():
        upsert_rows(db, rows)
    year_ago = start
    items = [
        Allowance(
            id="monthly",
            name="Work AI allowance",
            unit=Unit.USD,
            amount=usd_to_micros(200),
            cadence=Cadence.MONTHLY,
            starts_at=year_ago,
            timezone="Europe/Berlin",
            rollover=RolloverPolicy(cap=usd_to_micros(40)),
        ),
        Allowance(
            id="weekly",
            name="Claude tokens",
            unit=Unit.TOKENS,
            amount=20_000_000,
            cadence=Cadence.WEEKLY,
            starts_at=year_ago,
            timezone="Europe/Berlin",
            scope=Scope(accounts=("anthropic-1", "claude-code-1")),
        ),
        Allowance(
            id="quarterly",
            name="OpenAI quarterly",
            unit=Unit.USD,
            amount=usd_to_micros(600),
            cadence=Cadence.QUARTERLY,
            starts_at=year_ago,
            timezone="Europe/Berlin",
            scope=Scope(providers=("openai",)),
        ),
    ]
    for allowance in items:
        allowances.add(db, allowance, at=year_ago)
    allowances.add_grant(
        db,
        Grant(
            "topup-1", "monthly", GrantKind.TOPUP, usd_to_micros(50), now - timedelta(days=3), now + timedelta(days=9)
        ),
        at=now - timedelta(days=3),
    )
    # The providers' own limits, as their polls record them: a card each beside the allowances.
    snapshots.record(
        db,
        [
            BalanceSnapshot(
                "openrouter-1",
                SnapshotKind.LIMIT,
                "key",
                now,
                spent_micros=usd_to_micros(7),
                limit_micros=usd_to_micros(10),
                remaining_micros=usd_to_micros(3),
                period="monthly",
                resets_at=now + timedelta(days=4),
            ),
            BalanceSnapshot(
                "codex-1",
                SnapshotKind.RATE_WINDOW,
                "secondary",
                now,
                used_percent=41.0,
                window_minutes=10_080,
                resets_at=now + timedelta(days=3),
            ),
        ],
    )
    ctx.shutdown()
    return len(rows)


# ----- the child: the tray app with its dashboard open


def child(data: str, home: str, refresh_seconds: float) -> int:
    """Run the tray app with the dashboard open and refresh it every ``refresh_seconds`` until killed."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    qt = QApplication([sys.argv[0]])
    qt.setQuitOnLastWindowClosed(False)
    from tokenwallet.app import AppContext
    from tokenwallet.ui.runtime.application import TrayApp

    if data == "demo":
        from tokenwallet.services.first_run import demo_context

        ctx = demo_context()
        app = TrayApp(ctx, demo=True)
    else:
        ctx = AppContext.create(home)
        app = TrayApp(ctx)
    app.start(open_dashboard=True)
    if data != "demo":
        app.set_paused(True)  # keyless accounts: no polls; the ledger is re-read on every refresh

    ticks = [0]

    def tick() -> None:
        window = app.dashboard
        if window is not None and app.snapshot is not None and window.isVisible():
            if ticks[0] == 0:
                print(READY, flush=True)
            ticks[0] += 1
            # Every minute or so show another tab (the Compensation view loads its figures when shown),
            # and every other minute mask the amounts: what a person does with a window open all day.
            if ticks[0] % max(1, round(60 / refresh_seconds)) == 0:
                window.tabs.setCurrentIndex((window.tabs.currentIndex() + 1) % 2)
                window.hide_amounts.setChecked(not window.hide_amounts.isChecked())
        app.refresh()

    timer = QTimer()
    timer.setInterval(int(refresh_seconds * 1000))
    timer.timeout.connect(tick)
    timer.start()
    code = qt.exec()
    app.shutdown()
    return code


# ----- the parent: start, sample, judge


def soak(data: str, minutes: float, warmup: float, refresh: float, sample: float) -> tuple[bool, str]:
    """One run; returns (within target, summary line)."""
    with tempfile.TemporaryDirectory(prefix=f"tw-soak-{data}-") as home:
        if data == "year":
            began = time.perf_counter()
            count = build_year_ledger(Path(home), datetime.now(UTC))
            print(f"[year] ledger built: {count:,} usage rows in {time.perf_counter() - began:.1f} s", flush=True)
        cmd = [sys.executable, __file__, "--child", data, "--home", home, "--refresh", str(refresh)]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=dict(os.environ))
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline().strip()
            if line != READY:
                raise RuntimeError(f"[{data}] the app did not show its dashboard (got {line!r})")
            t0 = time.monotonic()
            samples: list[tuple[float, float]] = []
            while True:
                elapsed = time.monotonic() - t0
                samples.append((elapsed, rss_mb(proc.pid)))
                print(f"[{data}] {elapsed / 60:5.1f} min  {samples[-1][1]:7.1f} MB", flush=True)
                if elapsed >= minutes * 60 - 1:
                    break
                if proc.poll() is not None:
                    raise RuntimeError(f"[{data}] the app ended early (status {proc.returncode})")
                time.sleep(min(sample, max(0.0, minutes * 60 - elapsed)))
        finally:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    start = samples[0][1]
    after = [rss for at, rss in samples if at >= warmup * 60 - 1]
    warm = after[0] if after else samples[-1][1]
    growth = max(after) - warm if after else 0.0
    ok = growth <= TARGET_MB
    summary = (
        f"{data}: start {start:.1f} MB, after {warmup:g} min warm-up {warm:.1f} MB, end ({minutes:g} min) "
        f"{samples[-1][1]:.1f} MB; growth after warm-up {growth:+.1f} MB (target <= {TARGET_MB:g} MB) "
        f"{'OK' if ok else 'OVER'}; refresh every {refresh:g} s, {len(samples)} samples"
    )
    return ok, summary


def main(argv: list[str] | None = None) -> int:
    """Parse the options and run the soak (or, with ``--child``, be the app under test)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", choices=("demo", "year", "both"), default="both")
    parser.add_argument("--minutes", type=float, default=30.0, help="length of each run (default 30)")
    parser.add_argument("--warmup", type=float, default=5.0, help="minutes before growth is measured (default 5)")
    parser.add_argument("--refresh", type=float, default=2.0, help="seconds between refreshes (default 2)")
    parser.add_argument("--sample", type=float, default=30.0, help="seconds between memory samples (default 30)")
    parser.add_argument("--child", choices=("demo", "year"), help=argparse.SUPPRESS)
    parser.add_argument("--home", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child, args.home, args.refresh)
    warmup = min(args.warmup, args.minutes)
    results = [
        soak(data, args.minutes, warmup, args.refresh, args.sample)
        for data in (("demo", "year") if args.data == "both" else (args.data,))
    ]
    print()
    for _, summary in results:
        print(summary)
    return 0 if all(ok for ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
