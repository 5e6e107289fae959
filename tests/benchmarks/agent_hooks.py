"""Benchmark: `tokenwallet statusline` and `tokenwallet guard` next to `python -c pass`, paired.

Agents run both commands on every status-line refresh, prompt and tool call.  The target is a
median wall time at most twice that of starting the same Python interpreter with ``-c pass``.

Two homes are measured:

* **empty**: a fresh ledger with one allowance and no usage;
* **year**: one allowance over a year of hourly usage (10 models, about 87,600 rows), the
  ledger a heavy user has after a year.

For each home and each of ``--pairs`` rounds the three commands run back to back as whole
processes, in an order that rotates every round (so drift on a shared machine hits each alike);
the status line gets Claude Code's recorded status-line JSON, the guard a recorded PreToolUse
event (the silent path: plenty left).  It prints per home the median wall time of each command,
the ratio of the medians and the median of the per-round ratios.  It also times one
``tokenwallet agents meter`` (the snapshot rewrite every ledger change triggers) on each home.

``PYTHONDONTWRITEBYTECODE`` is dropped for the children and one warm-up round runs first, so the
modules are read from their bytecode caches as in a normal installation.

Run: ``python tests/benchmarks/agent_hooks.py [--pairs 30] [--keep DIR]``
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

TARGET = 2.0
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "agents"
MODELS = [f"model-{i:02d}" for i in range(10)]


def tokenwallet_program() -> list[str]:
    """The console script next to this interpreter (what the installer writes), else ``-m``."""
    script = Path(sys.executable).with_name("tokenwallet")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tokenwallet"]


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "TOKENWALLET_HOME")}
    env["NO_COLOR"] = "1"
    return env


def run(argv: list[str], stdin: bytes) -> float:
    began = time.perf_counter()
    done = subprocess.run(argv, input=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=child_env())
    elapsed = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"{argv} failed ({done.returncode}): {done.stderr.decode()}")
    return elapsed


def cli(home: Path, *args: str) -> None:
    subprocess.run(
        [*tokenwallet_program(), "--home", str(home), *args], check=True, env=child_env(), stdout=subprocess.DEVNULL
    )


def build_year(home: Path, seed: int = 11) -> int:
    """A year of hourly usage rows up to now; returns how many."""
    from tokenwallet.domain.accounts import Account, AccountKind
    from tokenwallet.ledger import accounts
    from tokenwallet.ledger.db import open_ledger
    from tokenwallet.ledger.usage import upsert_rows

    home.joinpath("data").mkdir(parents=True, exist_ok=True)
    db = open_ledger(home / "data" / "ledger.db")
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(days=365)
    accounts.add(db, Account(id="anthropic-1", kind=AccountKind.ANTHROPIC, label="work org"), at=start)
    rnd = random.Random(seed)
    rows: list[tuple[object, ...]] = []
    start_epoch = int(start.timestamp())
    for hour in range(365 * 24):
        bucket = start_epoch + hour * 3600
        for model in MODELS:
            tokens_in = rnd.randrange(1_000, 50_000)
            rows.append(
                (
                    "anthropic-1", "api_cost", f"{bucket}:{model}", bucket, bucket + 3600, "anthropic", model,
                    "reported", tokens_in, tokens_in // 4, 0, rnd.randrange(100, 5_000), 0, rnd.randrange(1, 20),
                    rnd.randrange(100, 2_000), "USD", "", "", "", "", "{}", bucket,
                )
            )  # fmt: skip
    with db.atomic():
        upsert_rows(db, rows)
    db.close()
    return len(rows)


def measure(home: Path, pairs: int) -> dict[str, list[float]]:
    status_in = (FIXTURES / "claude-statusline.json").read_bytes()
    hook_in = (FIXTURES / "claude-pre-tool-use.json").read_bytes()
    program = tokenwallet_program()
    commands = {
        "python -c pass": ([sys.executable, "-c", "pass"], b""),
        "statusline": ([*program, "--home", str(home), "statusline"], status_in),
        "guard": ([*program, "--home", str(home), "guard", "--reserve", "1"], hook_in),
    }
    names = list(commands)
    for name in names:  # warm-up: bytecode caches, the page cache
        run(*commands[name])
    times: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(pairs):
        order = names[round_ % 3 :] + names[: round_ % 3]
        for name in order:
            times[name].append(run(*commands[name]))
    return times


def report(label: str, times: dict[str, list[float]]) -> bool:
    base = statistics.median(times["python -c pass"])
    print(f"\n{label}: median of {len(times['python -c pass'])} rounds")
    print(f"  {'command':<16} {'median':>9} {'ratio':>7} {'median of ratios':>17}")
    ok = True
    for name, values in times.items():
        median = statistics.median(values)
        ratios = [v / b for v, b in zip(values, times["python -c pass"], strict=True)]
        print(f"  {name:<16} {median * 1000:7.1f} ms {median / base:6.2f}x {statistics.median(ratios):16.2f}x")
        if name != "python -c pass":
            ok = ok and median / base <= TARGET
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=30)
    parser.add_argument("--keep", type=Path, help="build the homes here and keep them")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="tw-agent-hooks-"))
    empty, year = root / "empty", root / "year"
    for home in (empty, year):
        shutil.rmtree(home, ignore_errors=True)
    print(f"python: {sys.executable} ({sys.version.split()[0]}); tokenwallet: {' '.join(tokenwallet_program())}")
    cli(empty, "allowance", "add", "work", "--amount", "200", "--cadence", "monthly")
    began = time.perf_counter()
    rows = build_year(year)
    print(f"year ledger: {rows:,} usage rows in {time.perf_counter() - began:.1f} s")
    cli(year, "allowance", "add", "work", "--amount", "5000", "--cadence", "monthly", "--rollover-cap", "500")
    for label, home in (("empty ledger", empty), ("a year of usage", year)):
        began = time.perf_counter()
        cli(home, "agents", "meter", "--quiet")
        print(
            f"{label}: snapshot rewrite (tokenwallet agents meter, whole process) {time.perf_counter() - began:.2f} s"
        )
    ok = True
    for label, home in (("empty ledger", empty), ("a year of usage", year)):
        ok = report(label, measure(home, args.pairs)) and ok
    print(f"\ntarget: statusline and guard at most {TARGET:.0f}x python -c pass: {'PASS' if ok else 'FAIL'}")
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
