"""The price table: rates kept per span of days give every day's catalog price, without the catalog."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from tokenwallet.sources import price_overrides, pricing
from tokenwallet.sources.price_table import PriceTable
from tokenwallet.sources.pricing import PriceBook


def _models(provider: str) -> list[str]:
    from genai_prices.data_snapshot import get_snapshot

    (found,) = [p for p in get_snapshot().providers if p.id == provider]
    return [m.id for m in found.models]


def _days(book: PriceBook, model: str, variant: str) -> list[date]:
    """Every day the model's price may change, the days around them, and a few plain ones."""
    spans = book.spans(model, variant) or []
    days = {date(2024, 1, 1), date(2025, 6, 15), date(2026, 11, 26), date(2199, 12, 31)}
    for start, _ in spans:
        if start > date.min:
            days.update({start - timedelta(days=1), start, start + timedelta(days=1)})
    return sorted(days)


@pytest.mark.parametrize(("provider", "variants"), [("anthropic", ("", "fast")), ("openai", ("", "priority"))])
def test_the_table_prices_every_model_and_day_as_the_catalog_does(
    tmp_path: Path, provider: str, variants: tuple[str, ...]
) -> None:
    direct = PriceBook(provider_id=provider)
    names = [*_models(provider), "claude-sonnet-4-20250514", "gpt-5.2-codex", "no-such-model", "<synthetic>"]
    for first_use in (True, False):  # the table as it learns each model, then read back from its file
        table = PriceTable(tmp_path)
        book = PriceBook(provider_id=provider, table=table)
        for model in names:
            for variant in variants:
                for day in _days(direct, model, variant):
                    assert book.rates(model, day, variant=variant) == direct.rates(model, day, variant=variant), (
                        model,
                        variant,
                        day,
                        first_use,
                    )
        assert len(table) >= len(names)


def test_an_override_s_days_are_spans_of_their_own(tmp_path: Path) -> None:
    override = next(o for o in price_overrides.OVERRIDES if o.ends is not None)
    book = PriceBook(provider_id=override.provider_id, table=PriceTable(tmp_path))
    spans = book.spans(override.model_id)
    assert spans is not None
    starts = [start for start, _ in spans]
    assert override.starts in starts and override.ends in starts
    before, during = (book.rates(override.model_id, d) for d in (override.starts - timedelta(days=1), override.starts))
    assert before != during


def test_a_later_process_prices_known_models_without_the_catalog(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = PriceBook(provider_id="anthropic", table=PriceTable(tmp_path))
    expected = first.rates("claude-sonnet-4-6", date(2026, 11, 26))
    assert expected is not None

    def no_catalog(self: PriceBook, model: str) -> None:
        raise AssertionError(f"the catalog was asked for {model}")

    monkeypatch.setattr(PriceBook, "_find", no_catalog)
    later = PriceBook(provider_id="anthropic", table=PriceTable(tmp_path))
    assert later.rates("claude-sonnet-4-6", date(2026, 11, 27)) == expected
    assert later.rates("claude-sonnet-4-6", date(2026, 11, 26), variant="") == expected


def test_a_damaged_table_counts_as_empty(tmp_path: Path) -> None:
    table = PriceTable(tmp_path)
    assert table.path is not None
    table.path.write_text('{"anthropic\\t\\tclaude-sonnet-4-6": [[1, [1, 2]]], "x": 5')
    book = PriceBook(provider_id="anthropic", table=PriceTable(tmp_path))
    assert book.rates("claude-sonnet-4-6", date(2026, 11, 26)) == PriceBook(provider_id="anthropic").rates(
        "claude-sonnet-4-6", date(2026, 11, 26)
    )
    table.path.write_text('{"anthropic\\t\\tclaude-sonnet-4-6": [[1, [1, 2]]]}')  # a row of another layout
    book = PriceBook(provider_id="anthropic", table=PriceTable(tmp_path))
    assert book.rates("claude-sonnet-4-6", date(2026, 11, 26)) is not None


def test_the_file_changes_with_the_pricing_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = PriceTable(tmp_path).path
    changed = tmp_path / "pricing.py"
    changed.write_text(Path(pricing.__file__ or "").read_text() + "\n# changed\n")
    monkeypatch.setattr(pricing, "__file__", str(changed))
    assert PriceTable(tmp_path).path not in (None, first)
