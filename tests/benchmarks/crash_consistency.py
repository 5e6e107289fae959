"""Crash consistency: kill -9 imports and polls at random points, then compare with uninterrupted runs.

    python tests/benchmarks/crash_consistency.py [--runs 50] [--size 40MB] [--seed 1] [--only import|poll]

Each run starts from a fresh home, starts ``tokenwallet import claude-code --path LOGS`` or
``tokenwallet poll --once`` (against the provider emulator, started in a subprocess with a fixed
clock) and sends SIGKILL to its whole process group (workers included) after a random delay
within the uninterrupted run's time.  It then looks at what the kill left -- SQLite's integrity
check, every quarter-hour bucket equal to the sum of its log entries, the rollups equal to a
fresh sum, the rollup triggers and the entries' key index in place -- runs the same command
again to the end, and compares the ledger with one made by uninterrupted runs: usage rows, log
entries, rollups, log-file offsets, balance readings and sync cursors (ids, ``recorded_at`` and
sync times are left out; account ids are compared by kind and label).  Half of the import runs are incremental: the base
corpus is imported cleanly, more lines are appended, and the import of the new lines is killed.

The last lines print the differences (must be 0), the invariant violations after kills (must be
0) and how far the killed runs had got.  The Claude Code corpus comes from ``claude_corpus.py``.
Keys for the emulator accounts are kept by :class:`FileKeyring`, a throwaway keyring backend for
these homes only (it is this module, loaded by the child processes through
``PYTHON_KEYRING_BACKEND``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

HERE = Path(__file__).resolve().parent
KEYRING_ENV = "CRASH_CONSISTENCY_KEYRING"
POLL_KINDS = ("openai", "anthropic", "openrouter", "litellm", "deepseek", "moonshot")
Contents = dict[str, list[tuple[Any, ...]]]


class FileKeyring(KeyringBackend):
    """Passwords in the JSON file named by ``$CRASH_CONSISTENCY_KEYRING`` (throwaway test homes only)."""

    priority = 1  # type: ignore[assignment]

    def _path(self) -> Path:
        return Path(os.environ[KEYRING_ENV])

    def _load(self) -> dict[str, str]:
        path = self._path()
        return json.loads(path.read_text()) if path.exists() else {}

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._load()
        data[f"{service}/{username}"] = password
        self._path().write_text(json.dumps(data))

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}/{username}")

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        if data.pop(f"{service}/{username}", None) is None:
            raise PasswordDeleteError(username)
        self._path().write_text(json.dumps(data))


# -- running tokenwallet ----------------------------------------------------------------------


def _env(keyring_file: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("TOKENWALLET_HOME", None)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["PYTHON_KEYRING_BACKEND"] = "crash_consistency.FileKeyring"
    env[KEYRING_ENV] = str(keyring_file)
    return env


def _command(home: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "tokenwallet", "--home", str(home), *args]


def run_to_end(home: Path, args: tuple[str, ...], env: dict[str, str], stdin: str | None = None) -> float:
    """Run one command to its end; returns the wall time in seconds."""
    start = time.perf_counter()
    done = subprocess.run(_command(home, *args), env=env, input=stdin, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"tokenwallet {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return time.perf_counter() - start


def run_killed(home: Path, args: tuple[str, ...], env: dict[str, str], delay: float) -> bool:
    """Start a command and SIGKILL its process group after ``delay`` s; True if it was still running."""
    proc = subprocess.Popen(
        _command(home, *args),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the kill reaches forked workers too
    )
    try:
        proc.wait(timeout=delay)
        return False  # finished before the kill
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return True


@contextmanager
def emulator(now: datetime) -> Iterator[dict[str, dict[str, str]]]:
    """The provider emulator in a subprocess with a fixed clock: base URL and key per kind."""
    code = (
        "import json, sys\n"
        "from datetime import datetime\n"
        "from tokenwallet.domain.clock import FixedClock\n"
        "from tokenwallet.emulator import start_emulator\n"
        "em = start_emulator(clock=FixedClock(datetime.fromisoformat(sys.argv[1])))\n"
        f"kinds = {POLL_KINDS!r}\n"
        "print(json.dumps({k: {'url': em.base_url(k), 'key': em.keys[k]} for k in kinds}), flush=True)\n"
        "sys.stdin.read()\n"
        "em.stop()\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, now.isoformat()],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # a killed poll resets its connections; the server would log each one
        text=True,
    )
    assert proc.stdout is not None and proc.stdin is not None
    try:
        yield json.loads(proc.stdout.readline())
    finally:
        proc.stdin.close()
        proc.wait(timeout=10)


# -- reading a ledger -------------------------------------------------------------------------


_ROLLUP_COLUMNS = "account_id, start, provider, confidence, day_bucket, cost_micros, tokens, unpriced_rows, rows"


def contents(path: Path, logs_root: Path | None = None) -> Contents:
    """What must survive any kill, in a form two homes can be compared by."""
    conn = sqlite3.connect(path)
    try:
        names = {r[0]: f"{r[1]}|{r[2]}" for r in conn.execute("SELECT id, kind, label FROM accounts")}

        def rows(sql: str) -> list[tuple[Any, ...]]:
            out = []
            for r in conn.execute(sql):
                out.append((names.get(r[0], r[0]), *r[1:]))
            return sorted(out, key=repr)

        found: Contents = {
            "accounts": sorted((v,) for v in names.values()),
            "usage": rows(
                "SELECT account_id, source, key, bucket_start, bucket_end, provider, model, confidence, input_tokens, "
                "cached_input_tokens, cache_write_tokens, output_tokens, reasoning_tokens, requests, cost_micros, "
                "currency, kind, project, api_key, workspace, extra FROM usage"
            ),
            "log_entries": rows("SELECT * FROM log_entries"),
            "usage_hourly": rows(f"SELECT {_ROLLUP_COLUMNS} FROM usage_hourly WHERE rows != 0"),
            "usage_daily": rows(f"SELECT {_ROLLUP_COLUMNS} FROM usage_daily WHERE rows != 0"),
            "balance_snapshots": sorted(
                set(
                    rows(
                        "SELECT account_id, kind, name, currency, spent_micros, limit_micros, remaining_micros, "
                        "soft_limit_micros, used_percent, window_minutes, period, resets_at, expires_at, extra "
                        "FROM balance_snapshots"
                    )
                ),
                key=repr,
            ),
            "sync_state": [
                (account, stream, _without_times(cursor), *rest)
                for account, stream, cursor, *rest in rows(
                    "SELECT account_id, stream, cursor, last_error, error_kind, failures FROM sync_state"
                )
            ],
        }
        files = rows("SELECT account_id, path, size, offset, head_hash FROM log_files")
        if logs_root is not None:
            files = sorted(((a, os.path.relpath(p, logs_root), *rest) for a, p, *rest in files), key=repr)
        found["log_files"] = files
        return found
    finally:
        conn.close()


def _without_times(cursor: str) -> str:
    """A sync cursor without the times of the poll that wrote it (``since``; ``counter_at``, when a
    gateway's running spend counter was read): a run killed and run again reads later."""
    try:
        value = json.loads(cursor)
    except ValueError:
        return cursor
    if isinstance(value, dict):
        value.pop("since", None)
        value.pop("counter_at", None)
    return json.dumps(value, sort_keys=True)


def differences(one: Contents, other: Contents) -> dict[str, int]:
    """Rows in one and not the other, per table (only tables with differences)."""
    out = {}
    for table in sorted(set(one) | set(other)):
        a, b = Counter(one.get(table, [])), Counter(other.get(table, []))
        n = sum(((a - b) + (b - a)).values())
        if n:
            out[table] = n
    return out


def invariant_violations(path: Path) -> list[str]:
    """What is wrong with a ledger as a kill left it (empty: nothing)."""
    if not path.exists():
        return []
    conn = sqlite3.connect(path)
    try:
        if not {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")} >= {"usage"}:
            return []  # killed before the schema was created: nothing was committed
        problems = []
        check = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        if check != ["ok"]:
            problems.append(f"integrity_check: {check[:3]}")
        buckets = conn.execute(
            "SELECT account_id, bucket_start, model, project, input_tokens, cached_input_tokens, cache_write_tokens, "
            "output_tokens, requests FROM usage WHERE source = 'local_log' AND key LIKE 'q:%' ORDER BY 1, 2, 3, 4"
        ).fetchall()
        sums = conn.execute(
            "SELECT a.account_id, at - at % 900, model, project, SUM(input_tokens), SUM(cached_input_tokens), "
            "SUM(cache_write_tokens), SUM(output_tokens), COUNT(*) FROM log_entries e "
            "JOIN log_accounts a ON a.id = e.account GROUP BY 1, 2, 3, 4 "
            "ORDER BY 1, 2, 3, 4"
        ).fetchall()
        if buckets != sums:
            problems.append(f"buckets differ from their entries ({len(buckets)} buckets, {len(sums)} sums)")
        from tokenwallet.ledger.rollups import ROLLUP_TABLES
        from tokenwallet.ledger.spend_rules import rollup_fill_sql

        for table, step in ROLLUP_TABLES:
            conn.execute(f"CREATE TEMP TABLE fresh AS SELECT * FROM {table} WHERE 0")
            conn.execute(rollup_fill_sql("temp.fresh", step))
            stored = sorted(conn.execute(f"SELECT * FROM {table} WHERE rows != 0").fetchall())
            fresh = sorted(conn.execute("SELECT * FROM temp.fresh").fetchall())
            conn.execute("DROP TABLE temp.fresh")
            if stored != fresh:
                problems.append(f"{table} differs from a fresh sum")
        triggers = conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'usage'"
        ).fetchone()[0]
        if triggers != 6:
            problems.append(f"{triggers} rollup triggers instead of 6")
        # A first import builds the entries' key index after its rows: it must be there after any kill.
        index = "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'log_entries_key'"
        if conn.execute(index).fetchone()[0] != 1:
            problems.append("the log_entries key index is missing")
        return problems
    finally:
        conn.close()


def rows_of(path: Path, table: str) -> Counter[tuple[Any, ...]]:
    """The rows of ``table`` as :func:`contents` gives them (none when the kill came before the schema)."""
    try:
        return Counter(contents(path)[table]) if path.exists() else Counter()
    except sqlite3.Error:
        return Counter()


def progress(path: Path, reference: Contents, table: str, before: Counter[tuple[Any, ...]]) -> str:
    """How far a killed run had got: none, part or all of the rows it was to add to ``table``."""
    want = Counter(reference[table]) - before
    have = sum(((rows_of(path, table) - before) & want).values())
    if have == 0:
        return "nothing"
    return "all" if have == sum(want.values()) else "part"


# -- the two experiments ----------------------------------------------------------------------


class Tally:
    """Figures of one experiment."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.runs = 0
        self.killed = 0
        self.delays: list[float] = []
        self.states: Counter[str] = Counter()
        self.violations: list[str] = []
        self.differences: Counter[str] = Counter()

    @property
    def bad(self) -> int:
        """Differences plus invariant violations (must be 0)."""
        return sum(self.differences.values()) + len(self.violations)

    def report(self, reference_seconds: float) -> list[str]:
        delays = sorted(self.delays)
        lines = [
            f"{self.name}: {self.runs} runs, {self.killed} killed while running "
            f"(delay {delays[0]:.2f}-{delays[-1]:.2f} s, median {statistics.median(delays):.2f} s; "
            f"uninterrupted run {reference_seconds:.2f} s)",
            "  committed at the kill: "
            + ", ".join(f"{k} {self.states[k]}" for k in ("nothing", "part", "all") if self.states[k]),
            f"  invariant violations after kills: {len(self.violations)}",
            f"  differences after the clean run: {sum(self.differences.values())}"
            + (f" ({dict(self.differences)})" if self.differences else ""),
        ]
        lines += [f"    {v}" for v in self.violations[:10]]
        return lines


def import_experiment(
    work: Path, runs: int, size: int, rng: random.Random, env: dict[str, str]
) -> tuple[list[str], int]:
    """Killed imports of a Claude Code corpus, whole and incremental."""
    sys.path.insert(0, str(HERE))
    import claude_corpus

    base, grown = work / "corpus-base", work / "corpus-grown"
    claude_corpus.generate(base, size)
    shutil.copytree(base, grown)
    claude_corpus.append(grown, max(size // 5, 200_000))

    def reset_logs(logs: Path, source: Path) -> None:
        shutil.rmtree(logs, ignore_errors=True)
        shutil.copytree(source, logs)

    def grow(logs: Path) -> None:
        for src in grown.rglob("*.jsonl"):  # appended lines only: files keep their inode
            dest = logs / src.relative_to(grown)
            dest.parent.mkdir(parents=True, exist_ok=True)
            have = dest.stat().st_size if dest.exists() else 0
            with src.open("rb") as fh, dest.open("ab") as out:
                fh.seek(have)
                out.write(fh.read())

    # Uninterrupted references: the whole grown corpus at once, and base then the new lines.
    logs = work / "run" / "logs"
    args = ("import", "claude-code", "--path", str(logs))
    reset_logs(logs, grown)
    ref_whole_home = work / "ref-whole"
    whole_seconds = run_to_end(ref_whole_home, args, env)
    ref_whole = contents(ref_whole_home / "data" / "ledger.db", logs)
    reset_logs(logs, base)
    ref_inc_home = work / "ref-incremental"
    run_to_end(ref_inc_home, args, env)
    grow(logs)
    inc_seconds = run_to_end(ref_inc_home, args, env)
    ref_inc = contents(ref_inc_home / "data" / "ledger.db", logs)

    tally = Tally("import claude-code")
    for n in range(runs):
        home = work / "home"
        shutil.rmtree(home, ignore_errors=True)
        incremental = n % 2 == 1
        if incremental:
            reset_logs(logs, base)
            run_to_end(home, args, env)
            grow(logs)
            reference, seconds = ref_inc, inc_seconds
        else:
            reset_logs(logs, grown)
            reference, seconds = ref_whole, whole_seconds
        ledger = home / "data" / "ledger.db"
        before = rows_of(ledger, "log_entries")
        delay = rng.uniform(0.0, seconds)
        tally.runs += 1
        tally.delays.append(delay)
        tally.killed += run_killed(home, args, env, delay)
        tally.violations += [f"run {n}: {v}" for v in invariant_violations(ledger)]
        tally.states[progress(ledger, reference, "log_entries", before)] += 1
        run_to_end(home, args, env)
        tally.differences.update(differences(contents(ledger, logs), reference))
    lines = tally.report(whole_seconds)
    same = not differences(ref_whole, ref_inc)
    lines.insert(1, f"  (incremental runs: {runs // 2}; whole and incremental references agree: {same})")
    return lines, tally.bad


def poll_experiment(work: Path, runs: int, rng: random.Random, env: dict[str, str]) -> tuple[list[str], int]:
    """Killed ``poll --once`` of one account per provider kind against the emulator."""
    day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    with emulator(day) as providers:
        template = work / "poll-template"
        for kind, where in providers.items():
            run_to_end(
                template,
                ("account", "add", kind, "--label", kind, "--base-url", where["url"], "--key-stdin"),
                env,
                stdin=where["key"],
            )
        args = ("poll", "--once")
        ref_home = work / "poll-ref"
        shutil.copytree(template, ref_home)
        seconds = run_to_end(ref_home, args, env)
        reference = contents(ref_home / "data" / "ledger.db")
        tally = Tally("poll --once")
        for n in range(runs):
            home = work / "poll-home"
            shutil.rmtree(home, ignore_errors=True)
            shutil.copytree(template, home)
            delay = rng.uniform(0.0, seconds)
            tally.runs += 1
            tally.delays.append(delay)
            tally.killed += run_killed(home, args, env, delay)
            ledger = home / "data" / "ledger.db"
            tally.violations += [f"run {n}: {v}" for v in invariant_violations(ledger)]
            tally.states[progress(ledger, reference, "usage", Counter())] += 1
            run_to_end(home, args, env)
            tally.differences.update(differences(contents(ledger), reference))
    lines = tally.report(seconds)
    if datetime.now(UTC).date() != day.date():
        lines.append("  (the UTC day changed during the runs: differences may come from the new day)")
    return lines, tally.bad


def main() -> int:
    """Run the experiments and print the figures; exit 1 on any difference or violation."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=50, help="killed runs per command (default 50)")
    parser.add_argument("--size", default="40MB", help="size of the Claude Code corpus (default 40MB)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the kill delays")
    parser.add_argument("--only", choices=("import", "poll"), help="run one experiment only")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    from claude_corpus import parse_size

    rng = random.Random(args.seed)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tokenwallet-crash-") as tmp:
        work = Path(tmp)
        env = _env(work / "keyring.json")
        lines: list[str] = []
        bad = 0
        if args.only in (None, "import"):
            more, found = import_experiment(work, args.runs, parse_size(args.size), rng, env)
            lines, bad = lines + more, bad + found
        if args.only in (None, "poll"):
            more, found = poll_experiment(work, args.runs, rng, env)
            lines, bad = lines + more, bad + found
    print("\n".join(lines))
    print(f"total differences and violations: {bad} ({time.perf_counter() - started:.0f} s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
