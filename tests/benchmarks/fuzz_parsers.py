"""Long fuzz run of every parser: examples per target, outcomes by kind, and where anything crashed.

Run: ``python tests/benchmarks/fuzz_parsers.py [--long] [--examples N] [--target NAME] [--jobs J]``.
Discovers every ``tests/fuzz/strategies_*.py`` module and runs each of its ``TARGETS`` for N
examples (default 2,000; ``--long`` means 100,000) in chunks of fresh random seeds, on J worker
processes.  An outcome is ``ok`` (a parsed value), the name of the domain error raised, or
``CRASH`` (any other exception).  Each crash site is the exception type and the innermost frame in
``tokenwallet`` (or in the strategy module, for a broken invariant), with one shortened example.
The exit status is 1 when anything crashed.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
import traceback
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # `tests.fuzz` is imported as a package from the repository root

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402

from tests.fuzz import FuzzTarget  # noqa: E402
from tokenwallet.domain.errors import TokenwalletError  # noqa: E402

LONG_EXAMPLES = 100_000
DEFAULT_EXAMPLES = 2_000
CHUNK = 5_000  # examples per hypothesis run: its bookkeeping grows with the examples of one run
EXAMPLE_CHARS = 160


@dataclass
class Report:
    """What one target did."""

    module: str
    name: str
    examples: int = 0
    seconds: float = 0.0
    outcomes: Counter[str] = field(default_factory=Counter)
    crashes: dict[str, tuple[int, str, str]] = field(default_factory=dict)  # site -> (count, message, example)


def discover() -> dict[str, dict[str, FuzzTarget]]:
    """Every ``tests/fuzz/strategies_*.py`` module's TARGETS, by module name."""
    found: dict[str, dict[str, FuzzTarget]] = {}
    for path in sorted((ROOT / "tests" / "fuzz").glob("strategies_*.py")):
        module = importlib.import_module(f"tests.fuzz.{path.stem}")
        found[path.stem] = dict(module.TARGETS)
    return found


def crash_site(exc: BaseException) -> str:
    """``Type at file:line in function`` for the innermost frame of tokenwallet (else of the tests)."""
    frames = traceback.extract_tb(exc.__traceback__)
    for marker in (f"{os.sep}tokenwallet{os.sep}", f"{os.sep}tests{os.sep}fuzz{os.sep}"):
        ours = [f for f in frames if marker in f.filename]
        if ours:
            frame = ours[-1]
            short = frame.filename[frame.filename.rindex(marker) + 1 :]
            return f"{type(exc).__name__} at {short}:{frame.lineno} in {frame.name}"
    frame = frames[-1] if frames else None
    return f"{type(exc).__name__} at {frame.filename}:{frame.lineno}" if frame else type(exc).__name__


def run_target(module: str, name: str, examples: int, base_seed: int) -> Report:
    """Run one target for ``examples`` examples; never raises for what the target does."""
    target = discover()[module][name]
    report = Report(module, name)
    started = time.perf_counter()
    chunk_index = 0
    while report.examples < examples:
        want = min(CHUNK, examples - report.examples)
        before = report.examples

        @settings(
            max_examples=want,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @seed(base_seed + chunk_index)
        @given(target.strategy)
        def one(value: object) -> None:
            report.examples += 1
            try:
                target.run(value)
            except TokenwalletError as exc:
                report.outcomes[type(exc).__name__] += 1
            except Exception as exc:  # a crash: record where, keep going
                report.outcomes["CRASH"] += 1
                site = crash_site(exc)
                count, message, example = report.crashes.get(site, (0, str(exc)[:EXAMPLE_CHARS], repr(value)))
                report.crashes[site] = (count + 1, message, example[:EXAMPLE_CHARS])
            else:
                report.outcomes["ok"] += 1

        one()
        chunk_index += 1
        if report.examples - before < want:
            break  # the strategy has no more distinct examples
    report.seconds = time.perf_counter() - started
    return report


def _print(report: Report) -> None:
    rate = report.examples / report.seconds if report.seconds else 0.0
    kinds = ", ".join(f"{kind} {n:,}" for kind, n in report.outcomes.most_common())
    print(f"{report.module}:{report.name}: {report.examples:,} examples in {report.seconds:.0f} s ({rate:,.0f}/s)")
    print(f"    outcomes: {kinds}")
    for site, (count, message, example) in sorted(report.crashes.items(), key=lambda kv: -kv[1][0]):
        print(f"    CRASH x{count:,}: {site}: {message}")
        print(f"        e.g. {example}")
    sys.stdout.flush()


def main() -> int:
    """Run every discovered target and print the figures; exit 1 if anything crashed."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--long", action="store_true", help=f"{LONG_EXAMPLES:,} examples per target")
    parser.add_argument("--examples", type=int, help=f"examples per target (default {DEFAULT_EXAMPLES:,})")
    parser.add_argument("--target", action="append", default=[], help="only targets whose name contains this")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes")
    parser.add_argument("--seed", type=int, default=int(time.time()), help="base seed (printed, to repeat a run)")
    args = parser.parse_args()
    examples = args.examples or (LONG_EXAMPLES if args.long else DEFAULT_EXAMPLES)
    jobs = [
        (module, name)
        for module, targets in discover().items()
        for name in targets
        if not args.target or any(part in name for part in args.target)
    ]
    print(f"{len(jobs)} targets x {examples:,} examples, seed {args.seed}, {args.jobs} processes", flush=True)
    started = time.perf_counter()
    reports: list[Report] = []
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [
            pool.submit(run_target, module, name, examples, args.seed + 1000 * i)
            for i, (module, name) in enumerate(jobs)
        ]
        for future in futures:
            report = future.result()
            reports.append(report)
            _print(report)
    total = sum(r.examples for r in reports)
    crashed = sum(r.outcomes["CRASH"] for r in reports)
    print(f"total: {total:,} examples, {crashed:,} crashes, {time.perf_counter() - started:.0f} s")
    return 1 if crashed else 0


if __name__ == "__main__":
    raise SystemExit(main())
