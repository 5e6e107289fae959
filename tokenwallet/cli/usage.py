"""`tokenwallet usage`: record spend the provider APIs do not see, and list recorded usage."""

from __future__ import annotations

import uuid
from typing import Any

import click

from tokenwallet.app import AppContext
from tokenwallet.budget.inputs import parse_amount, parse_when
from tokenwallet.cli.context import handle_errors, pass_app
from tokenwallet.cli.output import JSON_SCHEMA_VERSION, emit_json, table
from tokenwallet.domain.allowance import Unit
from tokenwallet.domain.errors import UserInputError
from tokenwallet.domain.money import format_usd
from tokenwallet.domain.usage import Confidence, Source, UsageRecord
from tokenwallet.ledger.db import from_epoch


def _zone_name(app: AppContext) -> str:
    try:
        return app.settings.timezone or app.settings.zone().key
    except Exception:  # an unreadable settings file must not block recording spend
        return "UTC"


@click.group("usage")
def usage_group() -> None:
    """Record manual spend and list recorded usage."""


@usage_group.command("add")
@click.option("--amount", help="What it cost, in dollars (e.g. 12.50).")
@click.option("--tokens", help="How many tokens it used (counts for token allowances).")
@click.option("--provider", required=True, help="Who was paid, e.g. openai, anthropic, openrouter.")
@click.option("--model", default="", help="The model, if known.")
@click.option("--at", "at", help="When (ISO date or datetime, your zone when naive; default: now).")
@click.option("--estimated", is_flag=True, help="Mark the amount as your estimate rather than a billed figure.")
@click.option("--note", default="", help="A note kept with the row.")
@click.option("--json", "as_json", is_flag=True, help="Print the recorded row as JSON.")
@pass_app
@handle_errors
def add_command(
    app: AppContext,
    amount: str | None,
    tokens: str | None,
    provider: str,
    model: str,
    at: str | None,
    estimated: bool,
    note: str,
    as_json: bool,
) -> None:
    """Record spend the APIs do not see (a web chat, a colleague's key, an invoice)."""
    from tokenwallet.ledger import accounts, audit, usage

    if amount is None and tokens is None:
        raise UserInputError("Give --amount DOLLARS, --tokens N, or both.")
    if not provider.strip():
        raise UserInputError("--provider must name a provider, e.g. --provider openai.")
    cost = parse_amount(amount, Unit.USD) if amount is not None else None
    count = parse_amount(tokens, Unit.TOKENS, what="token count") if tokens is not None else 0
    now = app.clock()
    when = parse_when(at, _zone_name(app), what="--at time") if at else now
    if when > now:
        raise UserInputError(f"--at {at} is in the future; manual spend is recorded when it happened.")
    record = UsageRecord(
        account_id=accounts.MANUAL_ACCOUNT_ID,
        source=Source.MANUAL,
        key=uuid.uuid4().hex,
        bucket_start=when,
        bucket_end=when,
        provider=provider.strip().lower(),
        model=model.strip(),
        confidence=Confidence.ESTIMATED if estimated else Confidence.REPORTED,
        input_tokens=count,
        cost_micros=cost,
        extra={"note": note} if note else {},
    )
    db = app.ledger()
    with db.atomic():
        accounts.ensure_manual(db, at=now)
        usage.upsert(db, [record], recorded_at=now)
        audit.append(
            db,
            at=now,
            action="usage.add",
            entity="usage",
            entity_id=record.key,
            details={"provider": record.provider, "model": record.model, "cost_micros": cost, "tokens": count},
        )
    if as_json:
        emit_json({"schema_version": JSON_SCHEMA_VERSION, "usage": _record_json(record)})
    else:
        what = " and ".join(x for x in (format_usd(cost) if cost else "", f"{count:,} tokens" if count else "") if x)
        click.echo(f"Recorded {what} for {record.provider} at {when.isoformat()}.")


def _record_json(record: UsageRecord) -> dict[str, Any]:
    return {
        "account_id": record.account_id,
        "source": record.source.value,
        "confidence": record.confidence.value,
        "provider": record.provider,
        "model": record.model,
        "bucket_start": record.bucket_start,
        "bucket_end": record.bucket_end,
        "input_tokens": record.input_tokens,
        "cached_input_tokens": record.cached_input_tokens,
        "cache_write_tokens": record.cache_write_tokens,
        "output_tokens": record.output_tokens,
        "requests": record.requests,
        "cost_micros": record.cost_micros,
        "cost": format_usd(record.cost_micros),
    }


@usage_group.command("list")
@click.option("--since", help="ISO date/datetime (your zone when naive).")
@click.option("--until", help="ISO date/datetime, exclusive.")
@click.option("--account", "accounts", multiple=True, help="Only these accounts (repeatable).")
@click.option("--provider", "providers", multiple=True, help="Only these providers (repeatable).")
@click.option("--limit", type=click.IntRange(1, 100_000), default=100, show_default=True, help="Newest rows to show.")
@click.option("--json", "as_json", is_flag=True, help="Print the stable JSON document.")
@pass_app
@handle_errors
def list_command(
    app: AppContext,
    since: str | None,
    until: str | None,
    accounts: tuple[str, ...],
    providers: tuple[str, ...],
    limit: int,
    as_json: bool,
) -> None:
    """List recorded usage, newest first."""
    from tokenwallet.ledger.spend import LIST_COLUMNS, newest_records

    zone_name = _zone_name(app)
    rows = newest_records(
        app.ledger(),
        since=parse_when(since, zone_name, what="--since date") if since else None,
        until=parse_when(until, zone_name, what="--until date") if until else None,
        accounts=accounts,
        providers=providers,
        limit=limit,
    )
    items = []
    for row in rows:
        item: dict[str, Any] = dict(zip(LIST_COLUMNS, row, strict=True))
        item["bucket_start"] = from_epoch(item["bucket_start"])
        item["bucket_end"] = from_epoch(item["bucket_end"])
        item["cost"] = format_usd(item["cost_micros"])
        items.append(item)
    if as_json:
        emit_json({"schema_version": JSON_SCHEMA_VERSION, "usage": items})
        return
    if not items:
        click.echo("No usage recorded yet.")
        return
    table(
        ["when (UTC)", "account", "source", "provider", "model", "tokens", "cost", "confidence"],
        [
            [
                i["bucket_start"].strftime("%Y-%m-%d %H:%M"),
                i["account_id"],
                i["source"],
                i["provider"],
                i["model"],
                f"{i['input_tokens'] + i['cached_input_tokens'] + i['cache_write_tokens'] + i['output_tokens']:,}",
                i["cost"],
                i["confidence"],
            ]
            for i in items
        ],
    )


COMMANDS: list[click.Command] = [usage_group]
