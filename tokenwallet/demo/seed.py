"""Seeding a demo home: the demo accounts, a sample allowance and a month of spend.

A newcomer with no key sees a live meter (kept moving by :mod:`tokenwallet.demo.ticker`).  The
data is clearly labelled "Demo data" in the tray and the dashboard; adding an own account or
allowance leaves demo mode.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from msgspec.structs import replace

from tokenwallet.domain.accounts import Account, AccountKind
from tokenwallet.domain.allowance import Allowance, Cadence, Grant, GrantKind, Scope, Unit
from tokenwallet.domain.money import usd_to_micros
from tokenwallet.domain.usage import Confidence, Source, UsageRecord

if TYPE_CHECKING:
    from sqlite_utils import Database

    from tokenwallet.emulator import RunningEmulator
    from tokenwallet.secrets.store import SecretStore

DEMO_ACCOUNT_ID = "demo-openai"
DEMO_LOGS_ID = "demo-claude-code"
DEMO_ALLOWANCE_NAME = "Demo: monthly AI allowance"


def is_demo_home(db: Database) -> bool:
    """True when the ledger holds only the demo account (no account the user added)."""
    from tokenwallet.ledger import accounts

    ids = {a.id for a in accounts.list_accounts(db)}
    return DEMO_ACCOUNT_ID in ids


def demo_record(account: str, provider: str, model: str, start: datetime, cost: int, n: int, est: bool) -> UsageRecord:
    """One hour of demo agent-log usage: estimated spend of a local-log stream (what the ticker adds)."""
    return UsageRecord(
        account_id=account,
        source=Source.LOCAL_LOG if est else Source.MANUAL,
        key=f"demo:{model}:{start.isoformat()}",
        bucket_start=start,
        bucket_end=start + timedelta(hours=1),
        provider=provider,
        model=model,
        confidence=Confidence.ESTIMATED if est else Confidence.REPORTED,
        input_tokens=cost // 3,
        output_tokens=cost // 12,
        requests=n,
        cost_micros=cost,
    )


def openai_day(account: str, day: date, now: datetime) -> list[UsageRecord]:
    """The rows the OpenAI connector records for ``day`` from the built-in emulator's scenario.

    One billed cost row for the day (the bill has no model: "(all models)") and token rows per
    model without money, under the connector's own keys: polling the emulator later replaces them,
    never adds to them.
    """
    from tokenwallet.emulator.scenario import OPENAI_EMBEDDING_MODELS, OPENAI_PRICES, OPENAI_PROJECT, Scenario

    scenario = Scenario()
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    epoch = int(start.timestamp())
    end = start + timedelta(days=1)
    rows = [
        UsageRecord(
            account_id=account,
            source=Source.API_COST,
            key=f"cost|{epoch}|{OPENAI_PROJECT}||",
            bucket_start=start,
            bucket_end=end,
            provider="openai",
            confidence=Confidence.BILLED,
            cost_micros=usd_to_micros(scenario.openai_cost_usd(day, now)),
            kind="cost",
            project=OPENAI_PROJECT,
        )
    ]
    for model in OPENAI_PRICES:
        u = scenario.openai_completions(model, day, now)
        rows.append(
            UsageRecord(
                account_id=account,
                source=Source.API_USAGE,
                key=f"completions|{epoch}|{model}|{OPENAI_PROJECT}|",
                bucket_start=start,
                bucket_end=end,
                provider="openai",
                model=model,
                confidence=Confidence.REPORTED,
                input_tokens=u["input_uncached_tokens"],
                cached_input_tokens=u["input_cached_tokens"],
                output_tokens=u["output_tokens"],
                requests=u["num_model_requests"],
                kind="completions",
                project=OPENAI_PROJECT,
            )
        )
    for model in OPENAI_EMBEDDING_MODELS:
        e = scenario.openai_embeddings(model, day, now)
        rows.append(
            UsageRecord(
                account_id=account,
                source=Source.API_USAGE,
                key=f"embeddings|{epoch}|{model}|{OPENAI_PROJECT}|",
                bucket_start=start,
                bucket_end=end,
                provider="openai",
                model=model,
                confidence=Confidence.REPORTED,
                input_tokens=e["input_tokens"],
                requests=e["num_model_requests"],
                kind="embeddings",
                project=OPENAI_PROJECT,
            )
        )
    return [r for r in rows if r.cost_micros or r.total_tokens]


def seed_demo(
    db: Database,
    now: datetime,
    *,
    seed: int = 7,
    emulator: RunningEmulator | None = None,
    store: SecretStore | None = None,
) -> Allowance:
    """Write the demo accounts, a $120 monthly allowance with a top-up and this month's spend.

    With an ``emulator`` (and a session-only ``store`` for its demo key) the OpenAI account polls
    the emulator through the real sync service, whose first poll supplies the whole month; without
    one the same rows are written from the emulator's scenario (:func:`openai_day`).  Nothing is
    counted twice: each stream has its own rows, and the billed day is the only money of OpenAI.
    """
    from tokenwallet.ledger import accounts, allowances, usage
    from tokenwallet.ledger.allowances import new_id

    rng = random.Random(seed)
    base_url = emulator.base_url("openai") if emulator is not None else ""
    label = "Demo OpenAI key (built-in emulator)" if emulator is not None else "Demo OpenAI key"
    accounts.add(db, Account(id=DEMO_ACCOUNT_ID, kind=AccountKind.OPENAI, label=label, base_url=base_url), at=now)
    if emulator is not None and store is not None:
        from tokenwallet.emulator import DEMO_KEYS
        from tokenwallet.secrets.store import ApiKey

        store.set(DEMO_ACCOUNT_ID, ApiKey(DEMO_KEYS["openai"]))
    accounts.add(db, Account(id=DEMO_LOGS_ID, kind=AccountKind.CLAUDE_CODE, label="Demo Claude Code logs"), at=now)
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    allowance = allowances.add(
        db,
        Allowance(
            id=new_id(),
            name=DEMO_ALLOWANCE_NAME,
            unit=Unit.USD,
            amount=usd_to_micros(120),
            cadence=Cadence.MONTHLY,
            starts_at=month_start,
            timezone="UTC",
            scope=Scope(),
            created_at=now,
        ),
        at=now,
        actor="demo",
    )
    allowances.add_grant(
        db,
        Grant(
            id=new_id(),
            allowance_id=allowance.id,
            kind=GrantKind.TOPUP,
            amount=usd_to_micros(15),
            granted_at=month_start + timedelta(days=3),
            expires_at=month_start + timedelta(days=20),
            note="Hackathon top-up",
        ),
        at=now,
        actor="demo",
    )
    # The OpenAI stream is the connector's: with the emulator its first poll brings the month (billed
    # days, tokens per model); without it the same rows are written here from the emulator's
    # scenario.  Either way each day's money is one billed row, never a second set of per-model
    # rows beside it.  The Claude Code stream is estimated log usage, a stream of its own.
    records = []
    if emulator is None:
        day = month_start.date()
        while day <= now.date():
            records.extend(openai_day(DEMO_ACCOUNT_ID, day, now))
            day += timedelta(days=1)
    hour = month_start
    while hour < now - timedelta(hours=1):
        if 8 <= hour.hour < 19 and hour.weekday() < 5 and rng.random() < 0.5:
            records.append(
                demo_record(DEMO_LOGS_ID, "anthropic", "claude-sonnet-4", hour, rng.randint(10_000, 90_000), 5, True)
            )
        hour += timedelta(hours=1)
    with db.atomic():  # upsert leaves committing to the caller
        usage.upsert(db, records, recorded_at=now)
    mark_synced(db, now, (DEMO_LOGS_ID,) if emulator is not None else (DEMO_ACCOUNT_ID, DEMO_LOGS_ID))
    return allowance


def mark_synced(db: Database, now: datetime, account_ids: tuple[str, ...] = (DEMO_ACCOUNT_ID, DEMO_LOGS_ID)) -> None:
    """Record a successful demo poll at ``now`` (the dashboard shows when data last arrived)."""
    from tokenwallet.ledger import sync_state

    # sync_state.put leaves committing to the caller; an open transaction would block other threads.
    with db.atomic():
        for account_id in account_ids:
            state = sync_state.get(db, account_id)
            due = now + timedelta(seconds=30)
            sync_state.put(db, replace(state, last_attempt=now, last_success=now, next_due=due))
