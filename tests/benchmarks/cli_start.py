"""Benchmark: how fast the read-only commands start, against the bare interpreter.

Prepares a home with two allowances (their default alert rules), a few manual usage rows and a
small imported Claude Code log, then runs, as whole processes and in alternating pairs with
``python -c pass`` (the same interpreter, so both pay its start and its ``site``):

* ``python -m tokenwallet --home H status``
* ``python -m tokenwallet --home H budget check --amount 1``
* ``python -m tokenwallet --home H alerts check --no-notify``

and prints per command the median wall time of each, the median of the pairs' ratios and their
range, and the load averages before and after.  Target: each command within 3x the bare
interpreter's start.

    python tests/benchmarks/cli_start.py [--pairs 21]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.bytecode import compile_package
from tests.benchmarks.claude_corpus import generate

TARGET = 3.0
COMMANDS = {
    "status": ["status"],
    "budget check": ["budget", "check", "--amount", "1"],
    "alerts check": ["alerts", "check", "--no-notify"],
}


def _wall(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - start
    if done.returncode not in (0, 1):  # budget check exits 1 when the spend does not fit
        raise SystemExit(f"{' '.join(cmd)} failed with status {done.returncode}")
    return wall


def prepare(home: Path, work: Path, env: dict[str, str]) -> None:
    """A home with allowances, alert rules, manual usage and a small Claude Code history."""
    tw = [sys.executable, "-m", "tokenwallet", "--home", str(home)]
    logs = work / "claude"
    generate(logs, 5 << 20)
    steps = [
        ["allowance", "add", "work", "--amount", "100"],
        ["allowance", "add", "tokens", "--amount", "50000000", "--unit", "tokens", "--cadence", "weekly"],
        *(["usage", "add", "--provider", "openai", "--amount", f"{n}.25"] for n in range(3)),
        ["import", "claude-code", "--path", str(logs)],
    ]
    for step in steps:
        subprocess.run([*tw, *step], env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> int:
    """Run the benchmark and print the figures; exit 1 when a command misses the target."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=21, help="alternating runs of each command and the bare start")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tw-start-"))
    env = dict(os.environ, TOKENWALLET_HOME="")
    env.pop("TOKENWALLET_HOME")
    try:
        compile_package()  # time the commands as installed, not the compiler (see bytecode.py)
        home = work / "home"
        prepare(home, work, env)
        bare = [sys.executable, "-c", "pass"]
        print(f"Python {sys.version.split()[0]}; {args.pairs} alternating pairs per command")
        print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"{'':14}{'command':>10}{'bare':>10}{'ratio (range)':>22}")
        met = True
        for name, words in COMMANDS.items():
            cmd = [sys.executable, "-m", "tokenwallet", "--home", str(home), *words]
            _wall(cmd, env)  # a first run warms the file cache for both
            pairs = [(_wall(bare, env), _wall(cmd, env)) for _ in range(args.pairs)]
            ratios = sorted(c / b for b, c in pairs)
            ratio = median(ratios)
            met = met and ratio <= TARGET
            print(
                f"{name:14}{median(c for _, c in pairs) * 1000:8.0f} ms{median(b for b, _ in pairs) * 1000:7.0f} ms"
                f"{ratio:8.2f}x ({ratios[0]:.2f}-{ratios[-1]:.2f})  {'ok' if ratio <= TARGET else 'MISSED'}"
            )
        print(f"load average after:  {' '.join(f'{x:.2f}' for x in os.getloadavg())}   (target <= {TARGET:.0f}x)")
        return 0 if met else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
