"""Benchmark: the monthly report on a 1,000,000-row ledger, per format.

Builds (or reuses, with ``--keep``) the ledger that ``ledger_status.py`` builds: hourly buckets over
two years, 5 accounts, 20 models, three allowances.  Then prints the median time to build the
report model and write it as CSV, JSON and PDF for one full month in Europe/Berlin, against
baselines in the same run: a plain ``SELECT`` of every column of the month's rows, and a plain
``SUM`` of their cost.

Target: CSV and JSON (model included) in at most 0.5 s.

Run: ``python tests/benchmarks/report_speed.py [--rows N] [--repeat N] [--keep DIR]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ledger_status import build, define_allowances, median_ms

from tokenwallet.ledger.db import open_ledger
from tokenwallet.reports.build import build_report
from tokenwallet.reports.csv_export import to_csv
from tokenwallet.reports.json_export import to_json
from tokenwallet.settings import Settings

TARGET_S = 0.5
MONTH = "2026-10"
NOW = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)
SETTINGS = Settings(timezone="Europe/Berlin", pay_amount="6000")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="Build (or reuse) the ledger in this folder and keep it.")
    args = parser.parse_args(argv)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="tokenwallet-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "ledger.db"
    if path.exists() and args.keep:
        print(f"reusing {path}")
    else:
        seconds, written = build(path, args.rows)
        print(f"built {written:,} rows in {seconds:.1f} s")
        define_allowances(path)
    db = open_ledger(path)
    report = build_report(db, MONTH, SETTINGS, NOW)
    start, end = int(report.start.timestamp()), int(report.end.timestamp())
    print(f"month {MONTH} (Europe/Berlin): {report.totals.rows:,} rows, {len(report.usage):,} usage lines")

    def plain_select() -> object:
        return db.execute("SELECT * FROM usage WHERE bucket_start >= ? AND bucket_start < ?", [start, end]).fetchall()

    def plain_sum() -> object:
        return db.execute(
            "SELECT SUM(cost_micros) FROM usage WHERE bucket_start >= ? AND bucket_start < ?", [start, end]
        ).fetchone()

    assert plain_sum()[0] == report.totals.cost_micros, "report total differs from the plain sum"  # type: ignore[index]
    select_ms = median_ms(plain_select, args.repeat)
    sum_ms = median_ms(plain_sum, args.repeat)
    model_ms = median_ms(lambda: build_report(db, MONTH, SETTINGS, NOW), args.repeat)
    csv_ms = median_ms(lambda: to_csv(build_report(db, MONTH, SETTINGS, NOW)), args.repeat)
    json_ms = median_ms(lambda: to_json(build_report(db, MONTH, SETTINGS, NOW)), args.repeat)
    print(f"baseline, plain SELECT * of the month's rows: median {select_ms:.0f} ms")
    print(f"baseline, plain SUM(cost) of the month's rows: median {sum_ms:.0f} ms")
    print(f"report model: median {model_ms:.0f} ms")
    print(f"csv  (model + write): median {csv_ms:.0f} ms (target <= {TARGET_S * 1000:.0f} ms)")
    print(f"json (model + write): median {json_ms:.0f} ms (target <= {TARGET_S * 1000:.0f} ms)")
    try:
        from tokenwallet.ui.reports.pdf import render_pdf_file

        pdf_path = folder / "report.pdf"
        began = time.perf_counter()
        render_pdf_file(build_report(db, MONTH, SETTINGS, NOW), pdf_path)
        print(f"pdf  (model + render, one run): {(time.perf_counter() - began) * 1000:.0f} ms")
        pdf_path.unlink()
    except ImportError as exc:
        print(f"pdf skipped: {exc}")
    db.close()
    if not args.keep:
        for leftover in folder.iterdir():
            leftover.unlink()
        folder.rmdir()
    return 0 if max(csv_ms, json_ms) <= TARGET_S * 1000 else 1


if __name__ == "__main__":
    sys.exit(main())
