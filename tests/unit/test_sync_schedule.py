"""The pure polling schedule: intervals, backoff, Retry-After, jitter, wall-clock due times."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from tokenwallet.domain.accounts import SyncState
from tokenwallet.sync import schedule

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
FIVE = timedelta(minutes=5)


def test_interval_defaults_to_five_minutes_and_respects_provider_minimum() -> None:
    assert schedule.effective_interval(None, timedelta(minutes=1)) == FIVE
    assert schedule.effective_interval(timedelta(seconds=10), timedelta(minutes=1)) == timedelta(minutes=1)
    assert schedule.effective_interval(timedelta(minutes=30), timedelta(minutes=1)) == timedelta(minutes=30)


def test_success_adds_interval_and_bounded_jitter() -> None:
    assert schedule.after_success(NOW, FIVE) == NOW + FIVE
    rng = random.Random(1)
    dues = {schedule.after_success(NOW, FIVE, rng) for _ in range(50)}
    assert len(dues) > 1
    assert all(NOW + FIVE <= d <= NOW + FIVE * 1.1 for d in dues)


def test_backoff_doubles_and_caps_at_an_hour() -> None:
    assert [schedule.backoff(n, FIVE) for n in (1, 2, 3, 4)] == [FIVE, FIVE * 2, FIVE * 4, FIVE * 8]
    assert schedule.backoff(7, FIVE) == timedelta(hours=1)
    assert schedule.backoff(500, FIVE) == timedelta(hours=1)


def test_retry_after_is_honoured_when_longer_than_backoff() -> None:
    assert schedule.after_failure(NOW, FIVE, 1, retry_after=1800) == NOW + timedelta(seconds=1800)
    assert schedule.after_failure(NOW, FIVE, 1, retry_after=3) == NOW + FIVE


def test_overdue_accounts_run_once_after_sleep() -> None:
    states = [
        SyncState("a", next_due=NOW - timedelta(hours=9)),  # the laptop slept through 100 intervals
        SyncState("b", next_due=NOW + timedelta(minutes=1)),
        SyncState("c"),  # never polled
        SyncState("d", next_due=NOW - timedelta(minutes=2)),
    ]
    assert schedule.due(states, NOW) == ["c", "a", "d"]
    assert schedule.due(states, NOW, limit=2) == ["c", "a"]
    # After polling "a" once its next due time is in the future again: it does not run 100 times.
    polled = SyncState("a", next_due=schedule.after_success(NOW, FIVE))
    assert schedule.due([polled], NOW) == []
