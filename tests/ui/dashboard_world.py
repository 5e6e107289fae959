"""Ledgers the dashboard tests show: overspent, gateway-backed, provider limits, logs without an allowance.

Every figure a test checks is written here as plain numbers, so expected values can be stated as
arithmetic from these constants.  ``now`` is the tests' fixed 2026-11-15 12:00 UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tokenwallet.domain.accounts import Account, AccountKind
from tokenwallet.domain.allowance import Allowance, Cadence, Grant, GrantKind, Scope, Unit
from tokenwallet.domain.money import usd_to_micros
from tokenwallet.domain.usage import BalanceSnapshot, Confidence, SnapshotKind, Source, UsageRecord

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
MONTH_START = datetime(2026, 11, 1, tzinfo=UTC)

OVER_AMOUNT = "270"
OVER_DAYS = ("100", "90.50", "91.24")  # spent on Nov 3, 8 and 14: 281.74 in all, 11.74 over

GATEWAY_LIMIT = "50"
GATEWAY_SPENT = "23.50"  # 47 % of the key budget
GATEWAY_RESET = NOW + timedelta(days=1.4)
GATEWAY_EXPIRY = datetime(2027, 3, 31, tzinfo=UTC)

LOG_DAYS = {3: "4.20", 7: "11.35", 12: "6.05", 15: "2.40"}  # Claude Code estimates this month by day


def spend(
    ctx,  # type: ignore[no-untyped-def]
    account_id: str,
    at: datetime,
    dollars: str,
    *,
    model: str = "gpt-4.1",
    provider: str = "openai",
    confidence: Confidence = Confidence.BILLED,
    source: Source = Source.API_COST,
    tokens: int = 1_000,
    recorded_at: datetime | None = None,
) -> None:
    """One hour of spend of ``account_id`` at ``at`` (recorded then, or at ``recorded_at``: when it was polled)."""
    from tokenwallet.ledger import usage

    db = ctx.ledger()
    record = UsageRecord(
        account_id=account_id,
        source=source,
        key=f"{account_id}:{model}:{at.isoformat()}",
        bucket_start=at,
        bucket_end=at + timedelta(hours=1),
        provider=provider,
        model=model,
        confidence=confidence,
        input_tokens=tokens,
        output_tokens=tokens // 5,
        requests=3,
        cost_micros=usd_to_micros(dollars),
    )
    with db.atomic():
        usage.upsert(db, [record], recorded_at=recorded_at or at)


def account(ctx, account_id: str, kind: AccountKind, label: str) -> None:  # type: ignore[no-untyped-def]
    """Add an account (no key: nothing here is polled)."""
    from tokenwallet.ledger import accounts

    accounts.add(ctx.ledger(), Account(id=account_id, kind=kind, label=label), at=MONTH_START - timedelta(days=40))


def allowance(ctx, allowance_id: str, name: str, dollars: str, **more: object) -> None:  # type: ignore[no-untyped-def]
    """A monthly usd allowance over every account, from before this month."""
    from tokenwallet.ledger import allowances

    start = MONTH_START - timedelta(days=30)
    allowances.add(
        ctx.ledger(),
        Allowance(
            id=allowance_id,
            name=name,
            unit=Unit.USD,
            amount=usd_to_micros(dollars),
            cadence=Cadence.MONTHLY,
            starts_at=start,
            scope=Scope(),
            **more,  # type: ignore[arg-type]
        ),
        at=start,
    )


NORMAL_DAYS = {3: "12.40", 6: "8.10", 9: "15.25", 13: "9.75"}  # $45.50 of $120 by the 15th


def normal(ctx) -> None:  # type: ignore[no-untyped-def]
    """A $120 monthly allowance with $45.50 spent this month, $9.75 of it estimated from Claude Code logs."""
    account(ctx, "openai-work", AccountKind.OPENAI, "OpenAI work")
    account(ctx, "claude-code-1", AccountKind.CLAUDE_CODE, "Claude Code")
    allowance(ctx, "work", "Work", "120")
    for day, dollars in NORMAL_DAYS.items():
        at = MONTH_START + timedelta(days=day - 1, hours=10)
        if day == 13:
            spend(
                ctx,
                "claude-code-1",
                at,
                dollars,
                model="claude-sonnet-4",
                provider="anthropic",
                confidence=Confidence.ESTIMATED,
                source=Source.LOCAL_LOG,
            )
        else:
            spend(ctx, "openai-work", at, dollars)
    top_up(ctx, "work", "30", MONTH_START + timedelta(days=9), MONTH_START + timedelta(days=20))


def overspent(ctx) -> None:  # type: ignore[no-untyped-def]
    """A $270 monthly allowance with $281.74 spent this month (over by $11.74)."""
    account(ctx, "openai-work", AccountKind.OPENAI, "OpenAI work")
    allowance(ctx, "work", "Work", OVER_AMOUNT)
    for day, dollars in zip((3, 8, 14), OVER_DAYS, strict=True):
        spend(ctx, "openai-work", MONTH_START + timedelta(days=day - 1, hours=10), dollars)


def gateway(ctx) -> None:  # type: ignore[no-untyped-def]
    """An allowance backed by a LiteLLM key whose budget ($23.50 of $50) resets in 1.4 days."""
    from tokenwallet.ledger import snapshots

    account(ctx, "litellm-work", AccountKind.LITELLM, "Company gateway")
    allowance(ctx, "gw", "Gateway budget", GATEWAY_LIMIT, backing_account_id="litellm-work")
    snapshots.record(
        ctx.ledger(),
        [
            BalanceSnapshot(
                account_id="litellm-work",
                kind=SnapshotKind.LIMIT,
                name="key",
                observed_at=NOW - timedelta(minutes=5),
                spent_micros=usd_to_micros(GATEWAY_SPENT),
                limit_micros=usd_to_micros(GATEWAY_LIMIT),
                remaining_micros=usd_to_micros(GATEWAY_LIMIT) - usd_to_micros(GATEWAY_SPENT),
                period="30d",
                resets_at=GATEWAY_RESET,
                expires_at=GATEWAY_EXPIRY,
            )
        ],
    )


def provider_limits(ctx) -> None:  # type: ignore[no-untyped-def]
    """Limits nobody turned into an allowance: LiteLLM key/user/team, OpenRouter, DeepSeek, Codex windows."""
    from tokenwallet.ledger import snapshots

    account(ctx, "litellm-team", AccountKind.LITELLM, "Team gateway")
    account(ctx, "openrouter-1", AccountKind.OPENROUTER, "OpenRouter")
    account(ctx, "deepseek-1", AccountKind.DEEPSEEK, "DeepSeek")
    account(ctx, "codex-1", AccountKind.CODEX, "Codex CLI")
    seen = NOW - timedelta(minutes=10)

    def limit(account_id: str, name: str, spent: str, of: str, **more: object) -> BalanceSnapshot:
        return BalanceSnapshot(
            account_id=account_id,
            kind=SnapshotKind.LIMIT,
            name=name,
            observed_at=seen,
            spent_micros=usd_to_micros(spent),
            limit_micros=usd_to_micros(of),
            remaining_micros=usd_to_micros(of) - usd_to_micros(spent),
            **more,  # type: ignore[arg-type]
        )

    snapshots.record(
        ctx.ledger(),
        [
            limit("litellm-team", "key", "12", "100", resets_at=NOW + timedelta(days=3), period="7d"),
            limit("litellm-team", "user", "180", "200", soft_limit_micros=usd_to_micros("150"), period="30d"),
            limit("litellm-team", "team", "400", "1000", period="30d"),
            limit("litellm-team", "effective", "180", "200"),  # the connector's copy of the tightest
            limit("openrouter-1", "key", "7.50", "10", expires_at=datetime(2027, 1, 31, tzinfo=UTC), period="monthly"),
            BalanceSnapshot(
                account_id="deepseek-1",
                kind=SnapshotKind.BALANCE,
                name="cny",
                observed_at=seen,
                currency="CNY",
                remaining_micros=usd_to_micros("80"),
            ),
            BalanceSnapshot(
                account_id="codex-1",
                kind=SnapshotKind.RATE_WINDOW,
                name="primary",
                observed_at=seen,
                used_percent=35.0,
                window_minutes=300,
                resets_at=NOW + timedelta(hours=2),
            ),
            BalanceSnapshot(
                account_id="codex-1",
                kind=SnapshotKind.RATE_WINDOW,
                name="secondary",
                observed_at=seen,
                used_percent=62.0,
                window_minutes=7 * 24 * 60,
                resets_at=NOW + timedelta(days=3),
            ),
        ],
    )


def logs_only(ctx) -> None:  # type: ignore[no-untyped-def]
    """A coding-agent user: Claude Code logs with estimates this month, no allowance."""
    account(ctx, "claude-code-1", AccountKind.CLAUDE_CODE, "Claude Code")
    for day, dollars in LOG_DAYS.items():
        spend(
            ctx,
            "claude-code-1",
            MONTH_START + timedelta(days=day - 1, hours=9),
            dollars,
            model="claude-sonnet-4",
            provider="anthropic",
            confidence=Confidence.ESTIMATED,
            source=Source.LOCAL_LOG,
        )


def linkable(ctx) -> None:  # type: ignore[no-untyped-def]
    """Claude Code logs whose tokens the Anthropic org account reported too: the link is suggested."""
    account(ctx, "anthropic-org", AccountKind.ANTHROPIC, "Anthropic org")
    account(ctx, "claude-code-1", AccountKind.CLAUDE_CODE, "Claude Code")
    allowance(ctx, "work", "Work", "200")
    for day in (12, 13):
        at = MONTH_START + timedelta(days=day - 1, hours=10)
        spend(
            ctx,
            "anthropic-org",
            at,
            "3",
            model="claude-sonnet-4",
            provider="anthropic",
            source=Source.API_USAGE,
            tokens=50_000,
            recorded_at=NOW,  # polled now: the account has reported these days
        )
        spend(
            ctx,
            "claude-code-1",
            at,
            "2.50",
            model="claude-sonnet-4",
            provider="anthropic",
            confidence=Confidence.ESTIMATED,
            source=Source.LOCAL_LOG,
            tokens=40_000,
        )


def top_up(ctx, allowance_id: str, dollars: str, at: datetime, expires: datetime) -> None:  # type: ignore[no-untyped-def]
    """A top-up of ``dollars`` granted at ``at``."""
    from tokenwallet.ledger import allowances

    allowances.add_grant(
        ctx.ledger(),
        Grant(f"topup-{allowance_id}-{at:%d}", allowance_id, GrantKind.TOPUP, usd_to_micros(dollars), at, expires),
        at=at,
    )
