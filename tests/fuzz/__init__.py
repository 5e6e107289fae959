"""Fuzz targets: hypothesis strategies for hostile inputs and the parse step that must survive them.

Each ``strategies_*.py`` module exports ``TARGETS: dict[str, FuzzTarget]``.  A target's ``run``
takes one value drawn from its ``strategy`` and must return normally or raise a
``tokenwallet.domain.errors.TokenwalletError``; anything else is a crash.  The suite runs a
CI-sized number of examples (``tests/unit/test_fuzz_*.py``); ``tests/benchmarks/fuzz_parsers.py``
runs many more and reports where each crash happened.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis.strategies import SearchStrategy


@dataclass(frozen=True, slots=True)
class FuzzTarget:
    """A hypothesis strategy producing one input, and the callable that parses it."""

    strategy: SearchStrategy[Any]
    run: Callable[[Any], object]
