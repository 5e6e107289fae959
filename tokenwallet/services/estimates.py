"""What a planned model call would cost, from the price catalog, and whether it fits an allowance.

Shared by ``tokenwallet budget check --model ...`` and the MCP server's ``estimate_cost`` and
``can_afford`` tools.  Token counts follow the providers' bills: ``input_tokens`` are the input
tokens *not* read from a prompt cache, ``cached_input_tokens`` those that are (billed at the
cache-read rate), ``output_tokens`` include reasoning.  The price is the catalog's for the day of
the estimate (genai-prices dates every price), in integer micro-USD.  A model the catalog does
not know is an error, never $0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from tokenwallet.budget.inputs import format_amount
from tokenwallet.domain.allowance import Unit
from tokenwallet.domain.errors import UserInputError, input_field
from tokenwallet.domain.limits import check_tokens

if TYPE_CHECKING:
    from tokenwallet.app import AppContext
    from tokenwallet.services.budget_check import BudgetAnswer


@dataclass(frozen=True, slots=True)
class Estimate:
    """The price of one planned call."""

    model: str
    """As asked."""
    priced_as: str
    """The catalog's model id the price is for."""
    provider: str
    input_tokens: int
    cached_input_tokens: int
    output_tokens: int
    cost_micros: int
    priced_on: date
    """The day whose catalog prices were used (UTC)."""
    catalog: str
    """The price catalog and its version, e.g. ``genai-prices 0.2.3``."""

    @property
    def tokens(self) -> int:
        """Every token of the call (what a token allowance counts)."""
        return self.input_tokens + self.cached_input_tokens + self.output_tokens

    @property
    def formatted(self) -> str:
        """'$0.0123' (four places: single calls are often below a cent)."""
        from tokenwallet.domain.money import format_usd

        return format_usd(self.cost_micros, places=4)

    def as_json(self) -> dict[str, object]:
        """The stable JSON shape of an estimate."""
        return {
            "model": self.model,
            "priced_as": self.priced_as,
            "provider": self.provider,
            "input_tokens": self.input_tokens,
            "cached_input_tokens": self.cached_input_tokens,
            "output_tokens": self.output_tokens,
            "tokens": self.tokens,
            "cost_micros": self.cost_micros,
            "cost_usd": f"{self.cost_micros / 1_000_000:.6f}",
            "formatted": self.formatted,
            "priced_on": self.priced_on.isoformat(),
            "catalog": self.catalog,
        }


def catalog_name() -> str:
    """``genai-prices <version>``."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"genai-prices {version('genai-prices')}"
    except PackageNotFoundError:  # pragma: no cover - a bundle without package metadata
        return "genai-prices"


def estimate_cost(
    model: str, *, input_tokens: int, output_tokens: int, cached_input_tokens: int = 0, at: datetime
) -> Estimate:
    """The catalog price of a call to ``model`` with these token counts, on the day of ``at``."""
    from tokenwallet.sources.pricing import PriceBook

    model = model.strip()
    if not model or len(model) > 200:
        raise UserInputError("Name the model, e.g. claude-sonnet-4-5 or gpt-5.", field="model")
    for value, what, name in (
        (input_tokens, "input token count", "input_tokens"),
        (cached_input_tokens, "cached input token count", "cached_input_tokens"),
        (output_tokens, "output token count", "output_tokens"),
    ):
        with input_field(name):
            if isinstance(value, bool) or not isinstance(value, int):
                raise UserInputError(f"The {what} must be a whole number, not {value!r}.")
            check_tokens(value, what)
    rates = PriceBook().rates(model, at)
    if rates is None:
        raise UserInputError(
            f"The price catalog ({catalog_name()}) has no model {model!r}; give a model id it lists, "
            "such as claude-sonnet-4-5, gpt-5 or gemini-2.5-pro.",
            field="model",
        )
    cost = rates.cost(input_tokens=input_tokens, output_tokens=output_tokens, cache_read=cached_input_tokens)
    return Estimate(
        model=model,
        priced_as=rates.model_id,
        provider=rates.provider_id,
        input_tokens=input_tokens,
        cached_input_tokens=cached_input_tokens,
        output_tokens=output_tokens,
        cost_micros=cost,
        priced_on=at.date(),
        catalog=catalog_name(),
    )


def check_estimate(ctx: AppContext, estimate: Estimate, allowance: str | None = None) -> BudgetAnswer:
    """Whether the call fits ``allowance`` (else every usd allowance): its cost in usd, its tokens in tokens."""
    from tokenwallet.ledger import allowances
    from tokenwallet.services.budget_check import AllowanceCheck, BudgetAnswer
    from tokenwallet.services.status import figures

    db = ctx.ledger()
    if allowance:
        with input_field("allowance"):
            chosen = [allowances.find(db, allowance)]
    else:
        chosen = [a for a in allowances.list_allowances(db) if a.unit is Unit.USD]
        if not chosen:
            raise UserInputError(
                "There is no usd allowance to check against; add one, or name a token allowance to check."
            )
    now = ctx.clock()
    checks = []
    for item in chosen:
        wanted = estimate.cost_micros if item.unit is Unit.USD else estimate.tokens
        status = figures(db, item, now).status
        checks.append(AllowanceCheck(item, wanted, status.remaining, status.period_end, status.overspent))
    return BudgetAnswer(now, tuple(checks))


def describe(estimate: Estimate) -> str:
    """'claude-sonnet-4-5 (anthropic): 12,000 in + 0 cached + 2,000 out = $0.0660 at 2026-11-29 prices'."""
    return (
        f"{estimate.priced_as} ({estimate.provider}): {estimate.input_tokens:,} in + "
        f"{estimate.cached_input_tokens:,} cached + {estimate.output_tokens:,} out = {estimate.formatted} "
        f"at {estimate.priced_on.isoformat()} prices ({estimate.catalog}); "
        f"{format_amount(estimate.tokens, Unit.TOKENS)}"
    )
