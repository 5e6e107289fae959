"""Rates resolved from the price catalog, kept in a small file so that later processes need no catalog.

Loading the genai-prices catalog takes a fifth of a second (a large Python module and the
libraries it needs), more than a whole incremental import of agent logs.  A :class:`PriceTable`
keeps, per model name (and provider asked for, and variant), the model's rates on every span
of days over which its price stays the same: from the catalog's dated prices (start dates) and
the override table's ``[starts, ends)``.  Prices on a day are then a lookup; the catalog loads
only for a model the table has not seen, and that model's spans are added to the file.

The file lives in the cache folder, named after a key of everything the rates depend on (the
catalog's data file, the pricing code and the override table, this format), so an upgrade of
either starts a new file.  It is plain JSON, read leniently: a damaged or foreign file counts as
empty.  Writes replace it atomically, merged with what another process may have added.
"""

from __future__ import annotations

import bisect
import importlib.util
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from tokenwallet.domain.blake2 import blake2b
from tokenwallet.sources import price_overrides, pricing
from tokenwallet.sources.pricing import ModelRates

FORMAT = 1
"""Bumped when the file's layout changes."""

Spans = list[tuple[date, ModelRates | None]]
"""(first day, rates from that day on; ``None`` = unpriced), by day."""

_FIELDS = ModelRates.__struct_fields__


def _tuples(value: Any) -> Any:
    """JSON arrays back into the tuples the rates are made of."""
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def _encode(rates: ModelRates | None) -> list[Any] | None:
    return None if rates is None else [getattr(rates, name) for name in _FIELDS]


def _decode(value: list[Any] | None) -> ModelRates | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != len(_FIELDS):
        raise ValueError("not a row of rates")
    return ModelRates(**{name: _tuples(v) for name, v in zip(_FIELDS, value, strict=True)})


def _key() -> str | None:
    """A key of the catalog's data, the pricing code and this format; ``None`` when one cannot be read."""
    digest = blake2b(f"format {FORMAT}".encode(), digest_size=12)  # the built-in: no OpenSSL to load
    try:
        for module in (pricing, price_overrides):
            digest.update(Path(module.__file__ or "").read_bytes())
        spec = importlib.util.find_spec("genai_prices")
        folders = list(spec.submodule_search_locations or []) if spec is not None else []
        found = (Path(folders[0]) / "data.py").stat()
    except (OSError, IndexError, ImportError, ValueError):
        return None  # a frozen bundle without sources, say: then the catalog is asked every time
    digest.update(f"{found.st_size}:{found.st_mtime_ns}".encode())
    return digest.hexdigest()


class PriceTable:
    """The spans of rates of the models priced so far, kept in ``folder`` (see the module text)."""

    def __init__(self, folder: Path | str) -> None:
        key = _key()
        self.path = None if key is None else Path(folder) / f"prices-{key}.json"
        self._raw: dict[str, Any] | None = None  # as read from the file
        self._spans: dict[str, tuple[list[int], list[ModelRates | None]]] = {}  # decoded on first use

    def _file(self) -> dict[str, Any]:
        if self._raw is None:
            self._raw = self._read()
        return self._raw

    def _read(self) -> dict[str, Any]:
        if self.path is None:
            return {}
        try:
            loaded = json.loads(self.path.read_bytes())
        except (OSError, ValueError):
            return {}
        return loaded if isinstance(loaded, dict) else {}

    def __len__(self) -> int:
        return len(self._file())

    def spans(
        self, provider_id: str | None, model: str, variant: str, compute: Callable[[], Spans | None]
    ) -> Callable[[date], ModelRates | None] | None:
        """The rates of ``model`` by day; ``compute`` makes its spans (from the catalog) when the table has none.

        ``None`` when the model's prices cannot be told by day in advance (then ask the catalog).
        """
        name = f"{provider_id or ''}\t{variant}\t{model}"
        found = self._spans.get(name) or self._decoded(name) or self._learn(name, compute)
        if found is None:
            return None
        starts, values = found

        def on(day: date) -> ModelRates | None:
            at = bisect.bisect_right(starts, day.toordinal()) - 1
            return values[at] if at >= 0 else None

        return on

    def _decoded(self, name: str) -> tuple[list[int], list[ModelRates | None]] | None:
        row = self._file().get(name)
        if row is None:
            return None
        try:
            starts = [int(start) for start, _ in row]
            values = [_decode(value) for _, value in row]
        except (TypeError, ValueError):
            return None  # not what this version writes: learnt again
        self._spans[name] = (starts, values)
        return starts, values

    def _learn(self, name: str, spans: Callable[[], Spans | None]) -> tuple[list[int], list[ModelRates | None]] | None:
        computed = spans()
        if computed is None:
            return None
        found = ([day.toordinal() for day, _ in computed], [rates for _, rates in computed])
        self._spans[name] = found
        self._save(name, [[day.toordinal(), _encode(rates)] for day, rates in computed])
        return found

    def _save(self, name: str, row: list[Any]) -> None:
        if self.path is None:
            return
        from tokenwallet.files import atomic_write, make_private_dirs

        merged = self._read()  # what other processes added meanwhile
        merged.update(self._file())
        merged[name] = row
        self._raw = merged
        try:
            make_private_dirs(self.path.parent)
            atomic_write(self.path, json.dumps(merged, separators=(",", ":")).encode())
        except OSError:
            pass  # a cache: the next process asks the catalog again
