"""Output helpers shared by the CLI commands: lines, stable JSON and human tables.

No click here: the quick front end (:mod:`tokenwallet.cli.quick`) prints through these too.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import datetime
from enum import Enum
from typing import Any

JSON_SCHEMA_VERSION = 1


def echo(message: str = "", *, err: bool = False) -> None:
    """Print one line on standard output (or error) and flush it, as ``click.echo`` does."""
    stream = sys.stderr if err else sys.stdout
    if stream is None:  # no console (a windowed build)
        return
    line = f"{message}\n"
    try:
        stream.write(line)
    except UnicodeEncodeError:  # a console that cannot show every character: mark the ones it cannot
        encoding = stream.encoding or "utf-8"
        stream.write(line.encode(encoding, "replace").decode(encoding))
    stream.flush()


def _default(value: Any) -> Any:
    from decimal import Decimal

    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


def emit_json(payload: Any) -> None:
    """Print ``payload`` as indented, key-ordered JSON (the stable contract of ``--json``)."""
    import json  # only for --json

    echo(json.dumps(payload, indent=2, default=_default, ensure_ascii=False))


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print a plain, aligned text table."""
    text_rows = [[("" if c is None else str(c)) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in text_rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    echo("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for row in text_rows:
        echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def warn(message: str) -> None:
    """A warning on standard error."""
    echo(f"warning: {message}", err=True)


def fail(message: str, code: int = 1) -> None:
    """Print an error on standard error and exit with ``code``."""
    echo(f"error: {message}", err=True)
    sys.exit(code)
