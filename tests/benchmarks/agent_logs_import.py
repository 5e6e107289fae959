"""Benchmark: Claude Code log import against ccusage on the same generated corpus.

Generates a realistic corpus (default 1 GB, ``tests/benchmarks/claude_corpus.py``) in a temp dir,
then times, in the same run and each as a whole process (wall and CPU time and peak RSS from
``wait4``; peak memory as the proportional set size of the process and all its worker processes,
sampled every 20 ms):

1. ccusage 20.0.24 ``claude daily --json --offline -z UTC`` (the baseline);
2. tokenwallet's full import into a fresh ledger (parse, de-duplicate, price, write), as the
   command a user runs: ``python -m tokenwallet --home H import claude-code --path LOGS``;
3. tokenwallet's incremental import after about 1 MB is appended (the import call itself is also
   timed inside the process, since interpreter start-up is a fixed cost of any command).

1 and 2 run in turn ``--pairs`` times; the figures are medians, and the ratios are medians of
each pair's ratio, so a slow or fast spell of a shared machine does not decide the verdict.

Targets: full import <= 0.7x ccusage's wall time and <= 0.5x its peak memory; incremental import
<= 2% of ccusage's full scan.  The generated corpus is deleted afterwards.

    python tests/benchmarks/agent_logs_import.py --size 1GB [--pairs 5] [--ccusage BIN] [--logs DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.claude_corpus import append, generate, parse_size

CCUSAGE = "ccusage@20.0.24"


def _tree_pss_mb(pid: int) -> float:
    """Proportional set size of ``pid`` and all its descendants, in MB (Linux ``smaps_rollup``).

    PSS splits pages shared between processes (a forked worker shares the parent's) among them,
    so the sum is what the whole import costs in memory, without counting shared pages twice.
    """
    total_kb = 0
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith("Pss:"):
                        total_kb += int(line.split()[1])
                        break
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except (OSError, ValueError):
            continue
    return total_kb / 1024


def run(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, int, str, float, float]:
    """Wall seconds, peak RSS of the process (MB), stdout, CPU seconds (user + system, its worker
    processes included) and the peak PSS of its whole process tree (MB, sampled every 20 ms)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    peak = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.02):
            peak = max(peak, _tree_pss_mb(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    if sys.platform.startswith("linux"):
        sampler.start()
    out = proc.stdout.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    done.set()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed with status {proc.returncode}")
    return wall, usage.ru_maxrss // 1024, out, usage.ru_utime + usage.ru_stime, peak


@dataclass(frozen=True)
class Timing:
    """One finished run, as :func:`run` measures it."""

    wall: float
    rss: int
    out: str
    cpu: float
    pss: float


def import_once(home: str, logs: str) -> None:
    """Child mode: import ``logs`` into the ledger under ``home`` and print the summary and timing."""
    from datetime import UTC, datetime

    from tokenwallet.domain.clock import system_clock
    from tokenwallet.ledger.db import open_ledger
    from tokenwallet.paths import AppPaths
    from tokenwallet.sources.pricing import PriceBook
    from tokenwallet.sync.log_import.importer import find_or_create_for_path, import_account

    db = open_ledger(AppPaths.under(home).ensure().ledger_file)  # where ``tokenwallet --home`` keeps it
    account = find_or_create_for_path(db, _claude_kind(), Path(logs), at=datetime.now(UTC))
    # Loading the price catalog is a once-per-process cost (the tray app and sync service keep it);
    # it is timed on its own so the import call shows what each later import costs.
    start = time.perf_counter()
    PriceBook().rates("claude-sonnet-4-6", datetime.now(UTC))
    catalog = time.perf_counter() - start
    start = time.perf_counter()
    summary = import_account(db, account, clock=system_clock)
    seconds = time.perf_counter() - start
    db.close()
    print(json.dumps({"seconds": seconds, "catalog_seconds": catalog, **summary.as_dict()}))


def _claude_kind() -> Any:
    from tokenwallet.domain.accounts import AccountKind

    return AccountKind.CLAUDE_CODE


def main() -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="1GB")
    parser.add_argument("--ccusage", type=Path, help="an installed ccusage executable (default: npm install)")
    parser.add_argument("--logs", type=Path, help="an existing corpus to use (1 MB is appended to it)")
    parser.add_argument("--pairs", type=int, default=5, help="alternating runs of ccusage and the full import")
    parser.add_argument("--child", nargs=2, metavar=("HOME", "LOGS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        import_once(*args.child)
        return 0
    work = Path(tempfile.mkdtemp(prefix="tw-bench-"))
    try:
        binary = args.ccusage
        if binary is None:
            subprocess.run(
                ["npm", "i", "--silent", "--prefix", str(work / "npm"), CCUSAGE], check=True, stdout=subprocess.DEVNULL
            )
            binary = work / "npm" / "node_modules" / ".bin" / "ccusage"
        if args.logs is not None:
            logs = args.logs
            files = list(logs.rglob("*.jsonl"))
            print(f"corpus: {sum(f.stat().st_size for f in files) / 1e6:.0f} MB, {len(files)} files (given)")
        else:
            logs = work / "claude"
            t0 = time.perf_counter()
            corpus = generate(logs, parse_size(args.size))
            print(
                f"corpus: {corpus['bytes'] / 1e6:.0f} MB, {corpus['files']} files, {corpus['lines']:,} lines "
                f"(generated in {time.perf_counter() - t0:.0f} s)"
            )
        env = dict(os.environ, CLAUDE_CONFIG_DIR=str(logs))
        ccusage = [str(binary), "claude", "daily", "--json", "--offline", "-z", "UTC"]
        # The full import is timed as the command a user runs, into a new ledger each time.
        home = work / "home"
        command = [sys.executable, "-m", "tokenwallet", "--home", str(home), "import", "claude-code"]
        command += ["--path", str(logs), "--json"]
        pairs: list[tuple[Timing, Timing]] = []
        for _ in range(args.pairs):  # alternating, so a slower or faster spell of the machine hits both
            cc = Timing(*run(ccusage, env))
            shutil.rmtree(home, ignore_errors=True)
            tw = Timing(*run(command))
            pairs.append((cc, tw))
        full = json.loads(pairs[-1][1].out)["import"]
        cc_wall, tw_wall = median([c.wall for c, _ in pairs]), median([t.wall for _, t in pairs])
        print(
            f"ccusage daily:         {cc_wall:6.2f} s  {median([c.rss for c, _ in pairs]):5.0f} MB peak RSS, "
            f"{median([c.pss for c, _ in pairs]):5.0f} MB peak PSS  ({median([c.cpu for c, _ in pairs]):.2f} s CPU)"
        )
        print(
            f"tokenwallet full:      {tw_wall:6.2f} s  {median([t.rss for _, t in pairs]):5.0f} MB peak RSS, "
            f"{median([t.pss for _, t in pairs]):5.0f} MB peak PSS of all its processes  "
            f"({median([t.cpu for _, t in pairs]):.2f} s CPU; {full['entries']:,} usage lines, "
            f"{full['imported']:,} requests, {full['duplicates']:,} duplicates)"
        )
        print(f"(medians of {len(pairs)} alternating runs of each)")
        added = append(logs, 1 << 20)
        inc_wall, inc_rss, out, _, _ = run([sys.executable, __file__, "--child", str(home), str(logs)])
        inc = json.loads(out)
        print(
            f"tokenwallet +{added / 1e6:.1f} MB:    {inc_wall:6.2f} s  {inc_rss:5d} MB peak RSS  "
            f"(import call {inc['seconds'] * 1000:.0f} ms after loading the price catalog in "
            f"{inc['catalog_seconds'] * 1000:.0f} ms; {inc['bytes_read']:,} bytes read, {inc['imported']} rows)"
        )
        # Ratios pair by pair, then their median: pairing cancels most of the machine's drift.
        time_ratio = median([t.wall / c.wall for c, t in pairs])
        cpu_ratio = median([t.cpu / c.cpu for c, t in pairs])
        # Memory: the whole process tree's proportional set size (the workers share the importing
        # process's pages), against ccusage's.
        mem_ratio = median([t.pss / c.pss if c.pss else t.rss / c.rss for c, t in pairs])
        inc_ratio = inc["seconds"] / cc_wall
        spread = sorted(t.wall / c.wall for c, t in pairs)
        print(
            f"full/ccusage wall:  {time_ratio:.2f}x (pairs {spread[0]:.2f}-{spread[-1]:.2f}; target <= 0.70)  "
            f"{'ok' if time_ratio <= 0.7 else 'MISSED'}"
        )
        print(f"full/ccusage CPU:   {cpu_ratio:.2f}x (CPU time; less sensitive to other load)")
        verdict = "ok" if mem_ratio <= 0.5 else "MISSED"
        print(f"full/ccusage memory: {mem_ratio:.2f}x peak PSS (target <= 0.50)  {verdict}")
        print(
            f"incremental/ccusage: {inc_ratio * 100:.2f}% of the full scan (target <= 2%; whole process "
            f"{inc_wall / cc_wall * 100:.1f}%)  {'ok' if inc_ratio <= 0.02 else 'MISSED'}"
        )
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)  # a corpus given with --logs is left in place


if __name__ == "__main__":
    sys.exit(main())
