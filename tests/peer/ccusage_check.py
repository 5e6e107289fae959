"""Compare tokenwallet's agent-log import with ccusage on the same folder, day by day (UTC).

Installs ``ccusage@20.0.24`` with npm into a temporary prefix (or uses ``--ccusage BIN``), generates
a corpus (``tests/benchmarks/claude_corpus.py``, or ``codex_corpus.py`` with ``--agent codex``)
unless ``--logs DIR`` is given, imports it into a throwaway ledger, runs
``ccusage claude|codex daily --json --offline -z UTC`` and prints per-day tokens and cost from
both.  Exits 1 when any token count differs or a day's cost differs by more than 0.5%.

    python tests/peer/ccusage_check.py --size 30MB
    python tests/peer/ccusage_check.py --agent codex
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks import codex_corpus
from tests.benchmarks.claude_corpus import append, generate, parse_size
from tokenwallet.domain.accounts import Account, AccountKind
from tokenwallet.domain.clock import FixedClock
from tokenwallet.ledger import accounts
from tokenwallet.ledger.db import open_ledger
from tokenwallet.sync.log_import.importer import import_account

CCUSAGE = "ccusage@20.0.24"
COST_TOLERANCE = 0.005
FIELDS = ("inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens")


def install_ccusage(prefix: Path) -> Path:
    """``npm i --prefix`` the pinned ccusage and return its executable."""
    subprocess.run(["npm", "i", "--silent", "--prefix", str(prefix), CCUSAGE], check=True, stdout=subprocess.DEVNULL)
    return prefix / "node_modules" / ".bin" / "ccusage"


AGENTS = {
    "claude": (AccountKind.CLAUDE_CODE, "CLAUDE_CONFIG_DIR"),
    "codex": (AccountKind.CODEX, "CODEX_HOME"),
}
"""ccusage's name for each agent: the account kind and the variable that points ccusage at its logs."""


def ccusage_daily(binary: Path, logs: Path, agent: str = "claude") -> dict[str, dict[str, Any]]:
    """ccusage's per-day totals for the ``agent`` logs under ``logs``."""
    env = dict(os.environ, **{AGENTS[agent][1]: str(logs)})
    out = subprocess.run(
        [str(binary), agent, "daily", "--json", "--offline", "-z", "UTC"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    days = json.loads(out)["daily"]
    for day in days:  # the Codex report names its cost costUSD
        day.setdefault("totalCost", day.get("costUSD", 0.0))
    return {d["date"]: d for d in days}


def tokenwallet_daily(
    logs: Path, workdir: Path, *, append_bytes: int = 0, kind: AccountKind = AccountKind.CLAUDE_CODE
) -> dict[str, dict[str, Any]]:
    """tokenwallet's per-day totals after importing ``logs`` into a fresh ledger.

    With ``append_bytes`` the folder is imported, grown by that many bytes of new turns, and
    imported again incrementally before the totals are read.
    """
    db = open_ledger(workdir / "ledger.db")
    at = datetime(2026, 11, 26, tzinfo=UTC)
    account = accounts.add(
        db,
        Account(id=f"{kind.value}-peer", kind=kind, label="peer", config={"paths": [str(logs)]}),
        at=at,
    )
    summary = import_account(db, account, clock=FixedClock(at))
    print(f"tokenwallet import: {summary.as_dict()}")
    if append_bytes:
        append(logs, append_bytes)
        summary = import_account(db, account, clock=FixedClock(at))
        print(f"tokenwallet incremental import: {summary.as_dict()}")
    rows = db.execute(
        "SELECT strftime('%Y-%m-%d', bucket_start, 'unixepoch'), sum(input_tokens), sum(output_tokens), "
        "sum(cache_write_tokens), sum(cached_input_tokens), sum(cost_micros), sum(cost_micros IS NULL) "
        "FROM usage WHERE account_id = ? GROUP BY 1 ORDER BY 1",
        [account.id],
    ).fetchall()
    db.close()
    return {
        r[0]: {
            "inputTokens": r[1],
            "outputTokens": r[2],
            "cacheCreationTokens": r[3],
            "cacheReadTokens": r[4],
            "totalCost": (r[5] or 0) / 1_000_000,
            "unpriced": r[6],
        }
        for r in rows
    }


def compare(ours: dict[str, dict[str, Any]], theirs: dict[str, dict[str, Any]]) -> bool:
    """Print a per-day table; True when tokens match exactly and costs within tolerance."""
    ok = True
    print(f"{'day':<10}  {'tokens (tokenwallet / ccusage)':>40}  {'cost tokenwallet':>16}  {'cost ccusage':>12}  diff")
    for day in sorted(set(ours) | set(theirs)):
        a, b = ours.get(day, {}), theirs.get(day, {})
        ta = tuple(a.get(f, 0) for f in FIELDS)
        tb = tuple(b.get(f, 0) for f in FIELDS)
        ca, cb = float(a.get("totalCost", 0.0)), float(b.get("totalCost", 0.0))
        rel = abs(ca - cb) / cb if cb else (0.0 if ca == 0 else 1.0)
        flag = ""
        if ta != tb:
            ok, flag = False, "  TOKENS DIFFER " + str([x - y for x, y in zip(ta, tb, strict=True)])
        if rel > COST_TOLERANCE:
            ok, flag = False, flag + "  COST DIFFERS"
        print(f"{day:<10}  {sum(ta):>19,} / {sum(tb):>18,}  {ca:>16.4f}  {cb:>12.4f}  {rel * 100:.3f}%{flag}")
    tot_a = sum(sum(d.get(f, 0) for f in FIELDS) for d in ours.values())
    tot_b = sum(sum(d.get(f, 0) for f in FIELDS) for d in theirs.values())
    cost_a = sum(float(d.get("totalCost", 0)) for d in ours.values())
    cost_b = sum(float(d.get("totalCost", 0)) for d in theirs.values())
    print(
        f"{'total':<10}  {tot_a:>19,} / {tot_b:>18,}  {cost_a:>16.4f}  {cost_b:>12.4f}  "
        f"{abs(cost_a - cost_b) / cost_b * 100 if cost_b else 0:.3f}%"
    )
    print("PASS" if ok else "FAIL")
    return ok


def main() -> int:
    """Run the check; exit status 0 on agreement."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agent", choices=sorted(AGENTS), default="claude")
    parser.add_argument("--logs", type=Path, help="the agent's log folder to compare (default: a generated corpus)")
    parser.add_argument("--size", default="30MB", help="size of the generated Claude corpus")
    parser.add_argument("--sessions", type=int, default=300, help="sessions in the generated Codex corpus")
    parser.add_argument("--ccusage", type=Path, help="an installed ccusage executable")
    parser.add_argument("--incremental", action="store_true", help="append 1 MB and import again before comparing")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tw-peer-"))
    try:
        binary = args.ccusage or install_ccusage(work / "npm")
        kind = AGENTS[args.agent][0]
        if args.incremental and kind is not AccountKind.CLAUDE_CODE:
            parser.error("--incremental appends Claude Code turns; it works with --agent claude only")
        logs = args.logs
        if logs is None:
            logs = work / args.agent
            if kind is AccountKind.CLAUDE_CODE:
                print(f"corpus: {generate(logs, parse_size(args.size))}")
            else:
                print(f"corpus: {codex_corpus.generate(logs, args.sessions)}")
        ours = tokenwallet_daily(logs, work, append_bytes=(1 << 20) if args.incremental else 0, kind=kind)
        return 0 if compare(ours, ccusage_daily(binary, logs, args.agent)) else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
