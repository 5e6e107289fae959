"""Every agent-log reader survives mutated real log lines: parsed values, counted skips or a
domain error, never another exception, and nothing outside the documented limits.

A CI-sized run of the targets in ``tests/fuzz/strategies_logs.py`` (deterministic, so a failure
reproduces); ``tests/benchmarks/fuzz_parsers.py --long`` runs 10^5 examples per target.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from tests.fuzz.strategies_logs import TARGETS
from tokenwallet.domain.errors import TokenwalletError

EXAMPLES = {"agent_log_import": 300}
"""Examples per target: 500 for each reader, fewer for the whole import (2,300 in all)."""


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_log_reader_survives_hostile_lines(name: str) -> None:
    target = TARGETS[name]

    @settings(
        max_examples=EXAMPLES.get(name, 500),
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
            pass  # a domain error is a fine answer to a hostile line

    survives()
