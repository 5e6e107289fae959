"""The counting rule's pure parts: lanes, covers, what counts, spreading daily buckets, link suggestions."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from tokenwallet.budget.counting import (
    LIST_PRICE,
    Rules,
    StreamRule,
    Tally,
    clip,
    merge_spans,
    rules_for,
    spread,
    suggest_links,
)
from tokenwallet.domain.allowance import Unit
from tokenwallet.domain.usage import Confidence

H = 3600


def test_a_cover_applies_only_when_both_streams_are_in_scope() -> None:
    declared = [StreamRule("logs", billed_by="org"), StreamRule("plan", subscription=True)]
    both = rules_for(Unit.USD, declared, ["logs", "org", "plan"])
    assert both.covers == {"logs": "org"}
    assert both.covering("logs", Confidence.ESTIMATED) == "org"
    assert both.covering("logs", Confidence.BILLED) is None  # only estimates are replaced
    # An allowance that does not count the org account keeps counting the logs.
    assert rules_for(Unit.USD, declared, ["logs", "plan"]).covers == {}


def test_subscription_streams_count_in_tokens_and_only_when_asked_in_usd() -> None:
    declared = [StreamRule("plan", subscription=True)]
    usd = rules_for(Unit.USD, declared, ["plan"])
    assert usd.lane("plan", "estimated") is Confidence.SUBSCRIPTION
    assert usd.lane("other", "estimated") is Confidence.ESTIMATED
    assert not usd.counts(Confidence.SUBSCRIPTION)
    assert rules_for(Unit.USD, declared, ["plan"], count_subscriptions=True).counts(Confidence.SUBSCRIPTION)
    assert rules_for(Unit.TOKENS, declared, ["plan"]).counts(Confidence.SUBSCRIPTION)
    for lane in (Confidence.BILLED, Confidence.GATEWAY, Confidence.REPORTED, Confidence.ESTIMATED):
        assert usd.counts(lane)


def test_tally_keeps_counted_superseded_and_excluded_apart() -> None:
    rules = Rules(Unit.USD, covers={"logs": "org"}, list_priced=frozenset({"org"}))
    tally = Tally(rules)
    tally.add("logs", Confidence.ESTIMATED, 1_000, superseded=700)
    tally.add("logs", Confidence.ESTIMATED, 50)
    tally.add("codex", Confidence.SUBSCRIPTION, 400)
    tally.add("org", Confidence.ESTIMATED, 90)
    by = {(f.stream, f.confidence): f for f in tally.figures()}
    logs = by[("logs", Confidence.ESTIMATED)]
    assert (logs.counted, logs.superseded, logs.excluded, logs.covered_by) == (1_000 - 700 + 50, 700, 0, "org")
    codex = by[("codex", Confidence.SUBSCRIPTION)]
    assert (codex.counted, codex.excluded) == (0, 400)
    assert by[("org", Confidence.ESTIMATED)].basis == LIST_PRICE


def test_spread_by_hours_of_overlap() -> None:
    # A day bucket of $1.32 recorded at 23:00 covers 23 hours; a cut at 05:00 leaves 5 of them before.
    parts = spread(1_320_000, 0, 23 * H, [5 * H])
    assert [(a, b) for a, b, _ in parts] == [(0, 5 * H), (5 * H, 23 * H)]
    # 1,320,000 x 5/23 = 286,956.52 and x 18/23 = 1,033,043.48: the larger remainder gets the last micro.
    assert [p for _, _, p in parts] == [286_957, 1_033_043]


def test_spread_by_hourly_usage() -> None:
    # Usage in hours 3 (weight 1) and 10 (weight 3): a quarter before the 05:00 cut, three quarters after.
    parts = spread(1_000, 0, 24 * H, [5 * H], {3 * H: 1, 10 * H: 3})
    assert [p for _, _, p in parts] == [1_000 * 1 // 4, 1_000 * 3 // 4]
    # Weights that give the bucket nothing fall back to the hours of overlap.
    assert [p for _, _, p in spread(24, 0, 24 * H, [6 * H], {30 * H: 5})] == [24 * 6 // 24, 24 * 18 // 24]


@given(
    amount=st.integers(-(10**12), 10**12),
    cuts=st.lists(st.integers(-2 * H, 30 * H), max_size=6),
    weights=st.dictionaries(st.integers(0, 23).map(lambda h: h * H), st.integers(0, 10**6), max_size=24),
)
def test_spread_always_adds_up(amount: int, cuts: list[int], weights: dict[int, int]) -> None:
    parts = spread(amount, 0, 24 * H, cuts, weights or None)
    assert sum(p for _, _, p in parts) == amount
    assert parts[0][0] == 0 and parts[-1][1] == 24 * H
    assert all(a < b for a, b, _ in parts)


def test_spans_merge_and_clip() -> None:
    assert merge_spans([(10, 20), (0, 5), (5, 8), (15, 30)]) == [(0, 8), (10, 30)]
    assert clip([(0, 8), (10, 30)], 6, 12) == [(6, 8), (10, 12)]


def test_link_suggested_when_log_tokens_are_within_the_account_s() -> None:
    d1, d2, d3 = date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 4)
    logs = {"cc": {(d1, "sonnet"): 900, (d2, "sonnet"): 1_000, (d3, "sonnet"): 5}}
    org = {"org": {(d1, "sonnet"): 1_000, (d2, "sonnet"): 1_000, (d2, "haiku"): 10}}  # d3 not reported yet
    [s] = suggest_links(logs, org, {"cc": ["org"]})
    assert (s.logs, s.account, s.days, s.tokens) == ("cc", "org", 2, 900 + 1_000)
    # More log tokens than the account reported for the model: not the same usage.
    assert suggest_links({"cc": {(d1, "sonnet"): 1_001}}, org, {"cc": ["org"]}) == []
    # Nothing to compare on the days the account reported.
    assert suggest_links({"cc": {(d3, "sonnet"): 5}}, org, {"cc": ["org"]}) == []
