"""Benchmark: Claude Code log import against ccusage, on a sparse and on a request-dense corpus.

For each density (``tests/benchmarks/claude_corpus.py``; default both, 1 GB each) the script
generates a corpus in a temporary folder and times, as whole processes on the same files:

1. ccusage 20.0.24 ``claude daily --json --offline -z UTC`` (installed with npm into a temporary
   prefix unless ``--ccusage`` names one);
2. tokenwallet's full import into a new ledger, as the command a user runs:
   ``python -m tokenwallet --home H import claude-code --path LOGS --json``;

in ``--pairs`` alternating pairs (a slow or fast spell of a shared machine hits both), each run
measured by ``wait4`` (wall and CPU time, worker processes included) and by the proportional set
size of the whole process tree, sampled every 50 ms (PSS shares the pages a forked worker shares
with its parent, so the sum is what the tree costs).  It prints, per corpus, the median and range
of each figure for both tools, the median and range of the pairs' ratios, and the load averages
before and after.  Then 1 MB of new turns is appended and the incremental import is timed as a
whole process (start to exit; the ledger of the last full import, restored before each of five
runs), against ccusage's median full scan.

Targets: full import <= 0.6x ccusage's wall time and <= 0.5x its peak memory on each corpus;
incremental import <= 3 % of ccusage's full scan.  The generated corpora are deleted afterwards.

    python tests/benchmarks/agent_logs_import.py [--size 1GB] [--pairs 5] [--density sparse|dense]
        [--ccusage BIN] [--logs DIR]
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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.bytecode import compile_package
from tests.benchmarks.claude_corpus import DENSITIES, append, generate, parse_size

CCUSAGE = "ccusage@20.0.24"
TARGET_WALL, TARGET_MEMORY, TARGET_INCREMENTAL = 0.6, 0.5, 0.03
INCREMENTAL_RUNS = 5
SAMPLE_SECONDS = 0.05


def _tree_pss_mb(pid: int) -> float:
    """Proportional set size of ``pid`` and all its descendants, in MB (Linux ``smaps_rollup``)."""
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


@dataclass(frozen=True)
class Run:
    """One finished process: wall and CPU seconds (its waited-for children included), peak PSS of
    its tree in MB (peak RSS of the largest process where PSS cannot be read), and its output."""

    wall: float
    cpu: float
    memory: float
    out: str


def run(cmd: Sequence[str], env: dict[str, str] | None = None) -> Run:
    """Run ``cmd`` to its end and measure it."""
    start = time.perf_counter()
    proc = subprocess.Popen(list(cmd), env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    peak = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(SAMPLE_SECONDS):
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
    return Run(wall, usage.ru_utime + usage.ru_stime, peak or usage.ru_maxrss / 1024, out)


def _spread(values: Sequence[float], fmt: Callable[[float], str], unit: str = "") -> str:
    """``median unit (min-max)``."""
    return f"{fmt(median(values))}{unit} ({fmt(min(values))}-{fmt(max(values))})"


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _seconds(x: float) -> str:
    return f"{x:.2f}"


def _mb(x: float) -> str:
    return f"{x:.0f}"


def _times(x: float) -> str:
    return f"{x:.2f}"


def bench(logs: Path, label: str, ccusage: list[str], work: Path, pairs: int, density: str) -> bool:
    """Time both tools on ``logs`` and the incremental import; print the table; True when every target is met."""
    env = dict(os.environ, CLAUDE_CONFIG_DIR=str(logs))
    home = work / "home"
    command = [sys.executable, "-m", "tokenwallet", "--home", str(home), "import", "claude-code"]
    command += ["--path", str(logs), "--json"]
    before = _load()
    results: list[tuple[Run, Run]] = []
    for _ in range(pairs):  # alternating, so a slower or faster spell of the machine hits both
        cc = run(ccusage, env)
        shutil.rmtree(home, ignore_errors=True)
        tw = run(command)
        results.append((cc, tw))
    after = _load()
    full = json.loads(results[-1][1].out)["import"]
    cc_runs, tw_runs = [c for c, _ in results], [t for _, t in results]
    wall = [t.wall / c.wall for c, t in results]
    cpu = [t.cpu / c.cpu for c, t in results]
    memory = [t.memory / c.memory for c, t in results]

    print(f"\n{label}")
    print(
        f"  tokenwallet read {full['lines_read']:,} lines, {full['entries']:,} usage lines, "
        f"{full['imported']:,} requests, {full['duplicates']:,} duplicates, {full['malformed']:,} malformed"
    )
    print(f"  load average before: {before}")
    print(f"  {'':26}{'wall':>24}{'CPU':>24}{'peak memory (PSS)':>26}")
    for name, runs in (("ccusage 20.0.24", cc_runs), ("tokenwallet full import", tw_runs)):
        print(
            f"  {name:26}{_spread([r.wall for r in runs], _seconds, ' s'):>24}"
            f"{_spread([r.cpu for r in runs], _seconds, ' s'):>24}{_spread([r.memory for r in runs], _mb, ' MB'):>26}"
        )
    print(
        f"  {'ratio, pair by pair':26}{_spread(wall, _times, 'x'):>24}{_spread(cpu, _times, 'x'):>24}"
        f"{_spread(memory, _times, 'x'):>26}"
    )
    print(f"  load average after:  {after}   (medians of {pairs} alternating pairs, ranges in brackets)")

    # Incremental: 1 MB of new turns; the ledger of the last full import restored before each run.
    added = append(logs, 1 << 20, density=density)
    saved = work / "home-after-full-import"
    shutil.copytree(home, saved)
    incremental: list[Run] = []
    compile_package()  # whole-process start-up as installed, not the compiler (see bytecode.py)
    for _ in range(INCREMENTAL_RUNS):
        shutil.rmtree(home)
        shutil.copytree(saved, home)
        os.sync()  # the copy on disk, as a ledger written long ago is: its pages are not for this run to flush
        incremental.append(run(command))
    shutil.rmtree(saved)
    inc = json.loads(incremental[-1].out)["import"]
    cc_wall = median(c.wall for c in cc_runs)
    inc_wall = [r.wall for r in incremental]
    share = median(inc_wall) / cc_wall
    print(
        f"  incremental, +{added / 1e6:.1f} MB ({inc['bytes_read']:,} bytes, {inc['imported']} requests): "
        f"whole process {_spread(inc_wall, _seconds, ' s')} = {share * 100:.1f} % of ccusage's full scan, "
        f"{_mb(median(r.memory for r in incremental))} MB (median of {INCREMENTAL_RUNS})"
    )
    met = {
        f"wall <= {TARGET_WALL}x": median(wall) <= TARGET_WALL,
        f"memory <= {TARGET_MEMORY}x": median(memory) <= TARGET_MEMORY,
        f"incremental <= {TARGET_INCREMENTAL * 100:.0f} %": share <= TARGET_INCREMENTAL,
    }
    print("  targets: " + ", ".join(f"{name} {'ok' if ok else 'MISSED'}" for name, ok in met.items()))
    return all(met.values())


def main() -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="1GB", help="size of each generated corpus")
    parser.add_argument("--pairs", type=int, default=5, help="alternating runs of ccusage and the full import")
    parser.add_argument("--density", choices=DENSITIES, action="append", help="only this density (repeatable)")
    parser.add_argument("--ccusage", type=Path, help="an installed ccusage executable (default: npm install)")
    parser.add_argument("--logs", type=Path, help="an existing corpus instead (1 MB is appended to it)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tw-bench-"))
    try:
        binary = args.ccusage
        if binary is None:
            subprocess.run(
                ["npm", "i", "--silent", "--prefix", str(work / "npm"), CCUSAGE], check=True, stdout=subprocess.DEVNULL
            )
            binary = work / "npm" / "node_modules" / ".bin" / "ccusage"
        ccusage = [str(binary), "claude", "daily", "--json", "--offline", "-z", "UTC"]
        print(f"{os.cpu_count()} CPUs; Python {sys.version.split()[0]}; {CCUSAGE}")
        met = True
        if args.logs is not None:
            files = list(args.logs.rglob("*.jsonl"))
            label = f"given corpus: {sum(f.stat().st_size for f in files) / 1e6:,.0f} MB, {len(files):,} files"
            met = bench(args.logs, label, ccusage, work, args.pairs, "sparse")
        for density in args.density or ([] if args.logs else list(DENSITIES)):
            logs = work / density
            t0 = time.perf_counter()
            corpus = generate(logs, parse_size(args.size), density=density)
            mb = corpus["bytes"] / 1e6
            label = (
                f"{density} corpus: {mb:,.0f} MB, {corpus['files']:,} files, {corpus['lines']:,} lines, "
                f"{corpus['requests']:,} requests ({corpus['requests'] / mb:.0f} per MB; "
                f"generated in {time.perf_counter() - t0:.0f} s)"
            )
            met = bench(logs, label, ccusage, work, args.pairs, density) and met
            shutil.rmtree(logs)
        return 0 if met else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)  # a corpus given with --logs is left in place


if __name__ == "__main__":
    sys.exit(main())
