"""`budget check --model ...`: a planned call priced with the catalog and checked like an amount."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tokenwallet.cli.root import cli
from tokenwallet.domain.errors import UserInputError
from tokenwallet.services.estimates import estimate_cost

AT = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)


def run(home: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--home", str(home), *args])


def test_the_catalog_price_of_a_call() -> None:
    estimate = estimate_cost(
        "claude-sonnet-4-5", input_tokens=12_000, output_tokens=2_000, cached_input_tokens=50_000, at=AT
    )
    # $3 per million input, $15 output, $0.30 cache reads: rates in micro-USD per token.
    assert estimate.cost_micros == 12_000 * 3 + 2_000 * 15 + round(50_000 * 0.3)
    assert (estimate.priced_as, estimate.provider, estimate.priced_on.isoformat()) == (
        "claude-sonnet-4-5",
        "anthropic",
        "2026-11-15",
    )
    assert estimate.tokens == 12_000 + 2_000 + 50_000
    assert estimate.formatted == "$0.0810"


@pytest.mark.parametrize(
    ("model", "tokens", "field"),
    [
        ("", 1, "model"),
        ("not-a-model-at-all", 1, "model"),
        ("gpt-5", -1, "input_tokens"),
        ("gpt-5", 2**53 + 1, "input_tokens"),
    ],
)
def test_refused_estimates(model: str, tokens: int, field: str) -> None:
    with pytest.raises(UserInputError) as caught:
        estimate_cost(model, input_tokens=tokens, output_tokens=0, at=AT)
    assert caught.value.field == field


def test_budget_check_with_an_estimate(home: Path) -> None:
    assert run(home, "allowance", "add", "work", "--amount", "1").exit_code == 0
    assert run(home, "allowance", "add", "agents", "--amount", "100000", "--unit", "tokens").exit_code == 0
    fits = run(home, "budget", "check", "--model", "gpt-5", "--input-tokens", "1000", "--output-tokens", "500")
    assert fits.exit_code == 0, fits.output
    # 1,000 x $1.25 + 500 x $10 per million = 6,250 micro-USD, shown to four places (half-even)
    assert fits.output.startswith("Estimate: gpt-5 (openai): 1,000 in + 0 cached + 500 out = $0.0062 at ")
    assert "work: $0.01 fits; $1.00 remaining." in fits.output

    big = run(
        home, "budget", "check", "--model", "gpt-5", "--input-tokens", "500000", "--output-tokens", "50000", "--json"
    )
    assert big.exit_code == 1
    document = json.loads(big.stdout)
    cost = 500_000 * 1.25 + 50_000 * 10  # gpt-5: $1.25 in, $10 out per million
    assert document["estimate"]["cost_micros"] == cost
    assert document["estimate"]["catalog"].startswith("genai-prices ")
    assert document["checks"][0]["shortfall"] == cost - 1_000_000
    assert document["fits"] is False

    tokens = run(
        home,
        "budget",
        "check",
        "--allowance",
        "agents",
        "--model",
        "gpt-5",
        "--input-tokens",
        "60000",
        "--output-tokens",
        "50000",
        "--json",
    )
    assert tokens.exit_code == 1
    assert json.loads(tokens.stdout)["checks"][0]["shortfall"] == 60_000 + 50_000 - 100_000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "gpt-5", "--input-tokens", "1"], "needs --model, --input-tokens and --output-tokens"),
        (["--amount", "1", "--model", "gpt-5", "--input-tokens", "1", "--output-tokens", "1"], "not both"),
        ([], "Give the planned spend"),
        (["--model", "nope-1", "--input-tokens", "1", "--output-tokens", "1"], "--model: The price catalog"),
    ],
)
def test_budget_check_input_errors(home: Path, args: list[str], message: str) -> None:
    run(home, "allowance", "add", "work", "--amount", "1")
    result = run(home, "budget", "check", *args)
    assert result.exit_code == 2 and message in result.output
