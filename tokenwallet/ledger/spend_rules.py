"""The spend rules: which ``usage`` rows count as tokens, as money, as unpriced and as estimated.

Every query that sums spend (allowance status, rollups, the monthly report, the model table of
the tray) builds its SQL from these fragments, so the figures can never disagree:

* **Tokens** are input + cached input + cache-write + output tokens
  (:data:`TOKENS`; reasoning tokens are part of output).  They count only from rows that carry
  token usage -- sources :data:`TOKEN_SOURCES` -- because a provider's separate cost rows
  (``api_cost``) and balance rows repeat tokens already counted there (:func:`counted`).
* **Money** is ``cost_micros`` and counts from every row that has it (:data:`HAS_MONEY`); a row
  with ``NULL`` money adds nothing.
* **Unpriced**: a local-log or manual row (:data:`UNPRICED_SOURCES`) with tokens but no money
  (:data:`IS_UNPRICED`).  The meter says "unpriced" for it instead of a silent ``$0``; API rows
  without money are token-only reports whose money arrives in their cost rows.
* **Estimated**: rows with confidence ``estimated`` (:data:`IS_ESTIMATED`) are shown apart.
* **Day buckets**: a row whose bucket is longer than an hour (:data:`DAY_BUCKET`, a daily UTC
  bucket) is placed on local days by splitting it; the rollups keep such rows apart.
* Which of these count in an allowance, per stream and confidence, is the counting rule of
  :mod:`tokenwallet.budget.counting` (superseded estimates, subscription usage).
* **Per model**: a table of spend per model leaves out ``balance`` rows (:data:`PER_MODEL`): they
  are account-level money (a provider's daily spend without a model).  Totals still count them.

Fragments name columns without a table; pass ``row`` (``"NEW"``, ``"u"``) for a qualified copy.
The frozen migrations keep their own copies of these rules as they were when written; a test
checks that the rollup triggers they created still agree with :func:`rollup_fill_sql`.
"""

from __future__ import annotations

TOKEN_COLUMNS: tuple[str, ...] = ("input_tokens", "cached_input_tokens", "cache_write_tokens", "output_tokens")
"""The token columns that make up a row's token total."""

TOKEN_SOURCES: tuple[str, ...] = ("api_usage", "local_log", "manual")
"""Sources whose rows' tokens count (``api_cost`` and ``balance`` rows repeat them)."""

UNPRICED_SOURCES: tuple[str, ...] = ("local_log", "manual")
"""Sources whose rows with tokens but no money are *unpriced* (not free)."""

ESTIMATED = "estimated"
"""The confidence shown apart as an estimate."""


def _col(row: str, column: str) -> str:
    return f"{row}.{column}" if row else column


def _in(values: tuple[str, ...]) -> str:
    return "(" + ",".join(f"'{v}'" for v in values) + ")"


def tokens(row: str = "") -> str:
    """The token total of a row: ``(input_tokens + cached_input_tokens + cache_write_tokens + output_tokens)``."""
    return "(" + " + ".join(_col(row, c) for c in TOKEN_COLUMNS) + ")"


def counts_tokens(row: str = "") -> str:
    """Condition: the row's tokens count (its source is one of :data:`TOKEN_SOURCES`)."""
    return f"{_col(row, 'source')} IN {_in(TOKEN_SOURCES)}"


def counted(expr: str | None = None, row: str = "") -> str:
    """``expr`` (default: the token total) where the row's tokens count, else 0."""
    return f"CASE WHEN {counts_tokens(row)} THEN {expr or tokens(row)} ELSE 0 END"


def is_unpriced(row: str = "") -> str:
    """Condition: a local-log or manual row with tokens but no money."""
    return (
        f"{_col(row, 'cost_micros')} IS NULL AND {_col(row, 'source')} IN {_in(UNPRICED_SOURCES)} AND {tokens(row)} > 0"
    )


def is_estimated(row: str = "") -> str:
    """Condition (0 or 1): the row is an estimate."""
    return f"{_col(row, 'confidence')} = '{ESTIMATED}'"


TOKENS = tokens()
"""The token total of an unqualified row."""
COUNTED_TOKENS = counted()
"""The row's tokens where they count, else 0 (sum it for a token total)."""
COUNTS_TOKENS = counts_tokens()
"""Condition: the row's tokens count."""
MONEY = "cost_micros"
"""The row's money in micro-USD (``NULL``: none known)."""
HAS_MONEY = "cost_micros IS NOT NULL"
"""Condition: the row has money."""
IS_UNPRICED = is_unpriced()
"""Condition: the row has tokens but no price."""
UNPRICED_FLAG = f"CASE WHEN {IS_UNPRICED} THEN 1 ELSE 0 END"
"""1 for an unpriced row, else 0 (sum it to count them)."""
IS_ESTIMATED = is_estimated()
"""Condition (0 or 1): the row is an estimate."""
PER_MODEL = "source != 'balance'"
"""Condition: the row belongs in a per-model table (balance rows are account-level money)."""


DAY_SPAN = 3600
"""A bucket longer than this many seconds is a *day bucket* (placed on local days by splitting)."""


def day_bucket(row: str = "") -> str:
    """Condition (0 or 1): the row's bucket is longer than an hour (a daily UTC bucket)."""
    return f"{_col(row, 'bucket_end')} - {_col(row, 'bucket_start')} > {DAY_SPAN}"


DAY_BUCKET = day_bucket()
"""Condition (0 or 1): an unqualified row is a day bucket."""


def rollup_fill_sql(table: str, step: int, where: str = "") -> str:
    """``INSERT`` into a rollup table the sums of the ``usage`` rows matching ``where`` (SQL, may be empty).

    A rollup row holds, per ``step``-second bucket, account, provider, confidence and day bucket or
    not: money, counted tokens, unpriced rows and rows -- the figures the rollup triggers keep current.
    """
    return f"""
        INSERT INTO {table} (start, account_id, provider, confidence, day_bucket, cost_micros, tokens,
                             unpriced_rows, rows)
            SELECT bucket_start - bucket_start % {step}, account_id, provider, confidence, {DAY_BUCKET},
                   COALESCE(SUM({MONEY}), 0), SUM({COUNTED_TOKENS}), SUM({UNPRICED_FLAG}), COUNT(*)
            FROM usage
            {f"WHERE {where}" if where else ""}
            GROUP BY 1, 2, 3, 4, 5
    """
