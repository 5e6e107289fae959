"""Keeping the demo meter moving: a little estimated spend in the current hour at each tick."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from tokenwallet.demo.seed import DEMO_LOGS_ID, demo_record, mark_synced

if TYPE_CHECKING:
    from sqlite_utils import Database

_TICK_MODELS = (("anthropic", "claude-sonnet-4", DEMO_LOGS_ID),)


def tick_demo(db: Database, now: datetime, *, rng: random.Random | None = None) -> None:
    """Add a little (estimated, local-log) spend in the current hour so the demo meter visibly moves."""
    from tokenwallet.ledger import usage

    rng = rng or random.Random()
    hour = now.replace(minute=0, second=0, microsecond=0)
    model = rng.choice(_TICK_MODELS)
    existing = usage.list_records(
        db, usage.UsageFilter(since=hour, until=hour + timedelta(hours=1), accounts=(model[2],), models=(model[1],))
    )
    previous = sum(r.cost_micros or 0 for r in existing if r.key == f"demo:{model[1]}:{hour.isoformat()}")
    cost = previous + rng.randint(20_000, 80_000)
    with db.atomic():
        usage.upsert(db, [demo_record(model[2], model[0], model[1], hour, cost, 1, est=True)], recorded_at=now)
    mark_synced(db, now, (DEMO_LOGS_ID,))
