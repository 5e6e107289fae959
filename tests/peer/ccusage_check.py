"""Compare tokenwallet's agent-log import with ccusage on the same folder, day by day (UTC).

Installs ``ccusage@20.0.24`` with npm into a temporary prefix (or uses ``--ccusage BIN``), generates
a corpus (``tests/benchmarks/claude_corpus.py``, or ``codex_corpus.py`` with ``--agent codex``)
unless ``--logs DIR`` is given, imports it into a throwaway ledger, runs
``ccusage claude|codex daily --json --offline -z UTC`` and prints per-day tokens and cost from
both, then per model.  Exits 1 when any token count differs or a day's cost differs by more than 0.5%.

With ``--long-context`` the corpus has Claude Sonnet 4 and 4.5 requests above 200k input tokens,
which the two price differently: tokenwallet as Anthropic bills them (the whole request at the
long-context rates), ccusage marginally (each kind of token above 200k at the higher rate).  The
per-model table then also prices tokenwallet's own requests by ccusage's rule: that figure must
match ccusage within 0.5% (so the difference is the tiering rule and nothing else), and the
per-day cost check is left to it.

``--probe`` compares the two price lists instead: one request of 91k, 181k and 281k input tokens
per Claude model (dated ids and aliases) on three days, priced by tokenwallet and by ccusage, and
lists every model and day where they differ (informational; it does not fail).

    python tests/peer/ccusage_check.py --size 30MB [--density dense] [--incremental]
    python tests/peer/ccusage_check.py --long-context
    python tests/peer/ccusage_check.py --probe
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
from tests.benchmarks.claude_corpus import DENSITIES, append, generate, parse_size
from tokenwallet.domain.accounts import Account, AccountKind
from tokenwallet.domain.clock import FixedClock
from tokenwallet.ledger import accounts
from tokenwallet.ledger.db import open_ledger
from tokenwallet.sources.pricing import ModelRates, PriceBook
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
    breakdown = ["--breakdown"] if agent == "claude" else []  # per-model figures in each day
    out = subprocess.run(
        [str(binary), agent, "daily", "--json", "--offline", "-z", "UTC", *breakdown],
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
    logs: Path,
    workdir: Path,
    *,
    append_bytes: int = 0,
    kind: AccountKind = AccountKind.CLAUDE_CODE,
    density: str = "sparse",
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
        append(logs, append_bytes, density=density)
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


def compare(ours: dict[str, dict[str, Any]], theirs: dict[str, dict[str, Any]], *, check_cost: bool = True) -> bool:
    """Print a per-day table; True when tokens match exactly and (``check_cost``) costs within tolerance."""
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
        if rel > COST_TOLERANCE and check_cost:
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


def marginal_cost(rates: ModelRates, inp: int, out: int, read: int, write_5m: int, write_1h: int) -> int:
    """A request priced by ccusage's rule: each kind of token above a tier's start at the tier rate, marginally.

    ccusage (LiteLLM prices) splits every kind of token at 200k on its own: the first 200k at the
    base rate, the rest at the ``*_above_200k_tokens`` rate; a request's total input never
    matters.  The rates here are tokenwallet's, which equal LiteLLM's for the models compared.
    """
    scaled = 0
    for tokens, (base, tiers) in (
        (inp, rates.input),
        (out, rates.output),
        (read, rates.cache_read),
        (write_5m, rates.cache_write_5m),
        (write_1h, rates.cache_write_1h),
    ):
        if tiers and tokens > tiers[0][0]:
            start, higher = tiers[0]
            scaled += start * base + (tokens - start) * higher
        else:
            scaled += tokens * base
    return (scaled * rates.multiplier + 500_000) // 1_000_000


def tokenwallet_models(workdir: Path, kind: AccountKind) -> dict[str, dict[str, Any]]:
    """Per model: tokens, cost, requests above 200k input and the cost by ccusage's rule (Claude only)."""
    db = open_ledger(workdir / "ledger.db")
    book = PriceBook(provider_id="anthropic")
    models: dict[str, dict[str, Any]] = {}
    rows = db.execute(
        "SELECT at, model, input_tokens, cached_input_tokens, cache_write_tokens, cache_1h_tokens, output_tokens, "
        "cost_micros, flags FROM log_entries WHERE account = (SELECT id FROM log_accounts WHERE account_id = ?)",
        [f"{kind.value}-peer"],
    )
    for at, model, inp, read, write, write_1h, out, cost, flags in rows:
        m = models.setdefault(model, dict.fromkeys((*FIELDS, "cost", "rule", "long", "long_cost", "long_rule"), 0))
        for name, value in zip(FIELDS, (inp, out, write, read), strict=True):
            m[name] += value
        rates = book.rates(model, datetime.fromtimestamp(at, UTC), variant="fast" if flags & 4 else "")
        rule = 0 if rates is None else marginal_cost(rates, inp, out, read, write - write_1h, write_1h)
        m["cost"] += cost or 0
        m["rule"] += rule
        if inp + read + write > 200_000:
            m["long"] += 1
            m["long_cost"] += cost or 0
            m["long_rule"] += rule
    db.close()
    return models


def ccusage_models(days: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """ccusage's per-model totals from the days' ``modelBreakdowns``."""
    models: dict[str, dict[str, Any]] = {}
    for day in days.values():
        for b in day.get("modelBreakdowns", []):
            m = models.setdefault(b["modelName"], dict.fromkeys((*FIELDS, "cost"), 0))
            for name in FIELDS:
                m[name] += b.get(name, 0)
            m["cost"] += b.get("cost", 0.0)
    return models


def compare_models(ours: dict[str, dict[str, Any]], theirs: dict[str, dict[str, Any]]) -> bool:
    """Print a per-model table; True when tokens match and ccusage's rule on our requests gives ccusage's cost."""
    ok = True
    print(
        f"\n{'model':<28}  {'>200k':>6}  {'tokens (both)':>15}  {'tokenwallet':>12}  {'ccusage':>12}  "
        f"{'ccusage rule':>12}  {'tw - ccusage':>12}  diff"
    )
    for model in sorted(set(ours) | set(theirs)):
        a, b = ours.get(model, {}), theirs.get(model, {})
        ta, tb = sum(a.get(f, 0) for f in FIELDS), sum(b.get(f, 0) for f in FIELDS)
        cost, rule, theirs_cost = a.get("cost", 0) / 1e6, a.get("rule", 0) / 1e6, float(b.get("cost", 0.0))
        flag = ""
        if tuple(a.get(f, 0) for f in FIELDS) != tuple(b.get(f, 0) for f in FIELDS):
            ok, flag = False, f"  TOKENS DIFFER ({ta:,} / {tb:,})"
        if theirs_cost and abs(rule - theirs_cost) / theirs_cost > COST_TOLERANCE:
            ok, flag = False, flag + "  CCUSAGE'S RULE DOES NOT EXPLAIN ITS COST"
        diff = (cost - theirs_cost) / theirs_cost * 100 if theirs_cost else 0.0
        print(
            f"{model:<28}  {a.get('long', 0):>6,}  {ta:>15,}  {cost:>12.4f}  {theirs_cost:>12.4f}  "
            f"{rule:>12.4f}  {cost - theirs_cost:>+12.4f}  {diff:+.3f}%{flag}"
        )
        if a.get("long"):
            print(
                f"{'':<28}  requests above 200k: tokenwallet {a['long_cost'] / 1e6:.4f} "
                f"(Anthropic: every token at the long-context rate), ccusage's rule {a['long_rule'] / 1e6:.4f}"
            )
    print("PASS" if ok else "FAIL")
    return ok


PROBE_MODELS = (
    "claude-sonnet-4-20250514",
    "claude-sonnet-4-0",
    "claude-sonnet-4",
    "claude-sonnet-4-5-20250929",
    "claude-sonnet-4-5",
    "claude-sonnet-4-6",
    "claude-opus-4-6",
    "claude-opus-4-5-20251101",
    "claude-opus-4-1-20250805",
    "claude-opus-4-20250514",
    "claude-haiku-4-5-20251001",
    "claude-3-7-sonnet-20250219",
    "claude-3-5-haiku-20241022",
    "claude-opus-4-7",
    "claude-opus-4-8",
    "claude-opus-5",
    "claude-fable-5",
    "claude-fable-5-1",
    "claude-fable-5-2",
    "claude-mythos-5",
    "claude-mythos-5-1",
    "claude-mythos-5-2",
    "claude-sonnet-5",
    "claude-sonnet-5-5",
    "claude-opus-5-5",
    "claude-haiku-5-5",
)
PROBE_DAYS = ("2026-02-20", "2026-09-30", "2026-11-20")
"""During the 4.6 models' long-context beta, in Claude Sonnet 5.5's launch week, and after its cache-read cut."""
PROBE_REQUESTS = (
    (1_000, 60_000, 20_000, 10_000, 4_000),
    (1_000, 150_000, 20_000, 10_000, 4_000),
    (1_000, 250_000, 20_000, 10_000, 4_000),
)
"""(input, cache read, 5-minute write, 1-hour write, output): 91k, 181k and 281k input tokens."""


def probe(binary: Path, work: Path) -> int:
    """Price the probe requests on both sides and print where the price lists differ."""
    folder = work / "probe" / "projects" / "probe"
    folder.mkdir(parents=True)
    lines = []
    for day in PROBE_DAYS:
        for hour, model in enumerate(PROBE_MODELS):
            for n, (inp, read, w5, w1, out) in enumerate(PROBE_REQUESTS):
                rid = f"{day}-{hour}-{n}"
                usage = {
                    "input_tokens": inp,
                    "cache_creation_input_tokens": w5 + w1,
                    "cache_read_input_tokens": read,
                    "cache_creation": {"ephemeral_5m_input_tokens": w5, "ephemeral_1h_input_tokens": w1},
                    "output_tokens": out,
                }
                line = {
                    "type": "assistant",
                    "timestamp": f"{day}T{hour % 24:02d}:{n:02d}:00.000Z",
                    "sessionId": "00000000-0000-0000-0000-000000000001",
                    "version": "2.1.40",
                    "requestId": f"req_{rid}",
                    "isSidechain": False,
                    "cwd": "/src/probe",
                    "message": {"id": f"msg_{rid}", "role": "assistant", "model": model, "usage": usage},
                }
                lines.append(json.dumps(line, separators=(",", ":")))
    (folder / "probe.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    theirs = {
        (day, b["modelName"]): float(b["cost"])
        for day, d in ccusage_daily(binary, work / "probe").items()
        for b in d.get("modelBreakdowns", [])
    }
    book = PriceBook(provider_id="anthropic")
    print(f"{'day':<10}  {'model':<28}  {'tokenwallet':>11}  {'ccusage':>9}")
    for day in PROBE_DAYS:
        at = datetime.fromisoformat(day).replace(tzinfo=UTC)
        for model in PROBE_MODELS:
            costs = [
                book.cost(model, at, input_tokens=i, output_tokens=o, cache_read=r, cache_5m=w5, cache_1h=w1)
                for i, r, w5, w1, o in PROBE_REQUESTS
            ]
            ours = None if None in costs else sum(c for c in costs if c is not None) / 1e6
            other = theirs.get((day, model), 0.0)
            if ours is None or abs(ours - other) > 1e-4:
                shown = "unpriced" if ours is None else f"{ours:.4f}"
                print(f"{day:<10}  {model:<28}  {shown:>11}  {other:>9.4f}")
    print(f"every other model and day: the same on both sides ({len(PROBE_MODELS)} models, {len(PROBE_DAYS)} days)")
    return 0


def main() -> int:
    """Run the check; exit status 0 on agreement."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agent", choices=sorted(AGENTS), default="claude")
    parser.add_argument("--logs", type=Path, help="the agent's log folder to compare (default: a generated corpus)")
    parser.add_argument("--size", default="30MB", help="size of the generated Claude corpus")
    parser.add_argument("--density", choices=DENSITIES, default="sparse", help="of the generated Claude corpus")
    parser.add_argument("--sessions", type=int, default=300, help="sessions in the generated Codex corpus")
    parser.add_argument("--ccusage", type=Path, help="an installed ccusage executable")
    parser.add_argument("--incremental", action="store_true", help="append 1 MB and import again before comparing")
    parser.add_argument(
        "--long-context", action="store_true", help="generate Sonnet 4 and 4.5 requests above 200k input tokens"
    )
    parser.add_argument("--probe", action="store_true", help="compare the two price lists model by model")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tw-peer-"))
    try:
        binary = args.ccusage or install_ccusage(work / "npm")
        if args.probe:
            return probe(binary, work)
        kind = AGENTS[args.agent][0]
        if args.incremental and kind is not AccountKind.CLAUDE_CODE:
            parser.error("--incremental appends Claude Code turns; it works with --agent claude only")
        logs = args.logs
        if logs is None:
            logs = work / args.agent
            if kind is AccountKind.CLAUDE_CODE:
                corpus = generate(logs, parse_size(args.size), density=args.density, long_context=args.long_context)
                print(f"corpus: {corpus}")
            else:
                print(f"corpus: {codex_corpus.generate(logs, args.sessions)}")
        grow = (1 << 20) if args.incremental else 0
        ours = tokenwallet_daily(logs, work, append_bytes=grow, kind=kind, density=args.density)
        theirs = ccusage_daily(binary, logs, args.agent)
        ok = compare(ours, theirs, check_cost=not args.long_context)
        if kind is AccountKind.CLAUDE_CODE:
            ok = compare_models(tokenwallet_models(work, kind), ccusage_models(theirs)) and ok
        return 0 if ok else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
