"""Every connector survives mutated real responses: a parsed, storable value or a domain error.

A CI-sized run of the targets in ``tests/fuzz/strategies_sources.py`` (derandomised, so a failure
reproduces); ``python tests/benchmarks/fuzz_parsers.py --long`` runs 10^5 examples per target.
"""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings

from tests.fuzz.strategies_sources import TARGETS
from tokenwallet.domain.errors import TokenwalletError

EXAMPLES = 200  # per target: 15 targets, 3,000 examples in all


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_connector_survives_hostile_responses(name: str) -> None:
    target = TARGETS[name]
    outcomes: Counter[str] = Counter()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    )
    @given(target.strategy)
    def survives(value: object) -> None:
        try:
            target.run(value)
        except TokenwalletError:
            outcomes["refused"] += 1  # a domain error is a fine answer to a hostile response
        else:
            outcomes["parsed"] += 1

    survives()
    # The mutations reach the parser: some bodies are still readable, others are refused.
    assert outcomes["parsed"] and outcomes["refused"], outcomes
