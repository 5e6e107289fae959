"""`tokenwallet usage`: record spend the provider APIs do not see, and list recorded usage."""

from __future__ import annotations

import dataclasses
from typing import Any

import click

from tokenwallet.app import AppContext
from tokenwallet.cli.context import handle_errors, pass_app
from tokenwallet.cli.options import names_options
from tokenwallet.cli.output import JSON_SCHEMA_VERSION, emit_json, table
from tokenwallet.domain.errors import UserInputError
from tokenwallet.domain.money import format_money
from tokenwallet.domain.usage import UsageRecord


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
@names_options
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
    from tokenwallet.services.usage import add_spend

    if amount is None and tokens is None:
        raise UserInputError("Give --amount DOLLARS, --tokens N, or both.")
    record = add_spend(
        app, provider=provider, amount=amount, tokens=tokens, model=model, at=at, estimated=estimated, note=note
    )
    if as_json:
        emit_json({"schema_version": JSON_SCHEMA_VERSION, "usage": _record_json(record)})
    else:
        cost, count = record.cost_micros, record.input_tokens
        what = " and ".join(x for x in (format_money(cost) if cost else "", f"{count:,} tokens" if count else "") if x)
        click.echo(f"Recorded {what} for {record.provider} at {record.bucket_start.isoformat()}.")


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
        "cost": format_money(record.cost_micros),
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
@names_options
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
    from tokenwallet.services.usage import list_usage

    rows = list_usage(app, since=since, until=until, accounts=accounts, providers=providers, limit=limit)
    if as_json:
        items = [dataclasses.asdict(r) | {"cost": format_money(r.cost_micros)} for r in rows]
        emit_json({"schema_version": JSON_SCHEMA_VERSION, "usage": items})
        return
    if not rows:
        click.echo("No usage recorded yet.")
        return
    table(
        ["when (UTC)", "account", "source", "provider", "model", "tokens", "cost", "confidence"],
        [
            [
                r.bucket_start.strftime("%Y-%m-%d %H:%M"),
                r.account_id,
                r.source,
                r.provider,
                r.model,
                f"{r.total_tokens:,}",
                format_money(r.cost_micros),
                r.confidence,
            ]
            for r in rows
        ],
    )


COMMANDS: list[click.Command] = [usage_group]
