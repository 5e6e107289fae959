"""`tokenwallet policy`: import an employer's token policy, see what a new revision changes, show it.

Parses options, calls :mod:`tokenwallet.services.policy` and presents the result.  An import
shows what it will do and asks before applying it (``--yes`` applies without asking,
``--dry-run`` only shows); bad files exit with status 2 and nothing is written.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tokenwallet.app import AppContext
from tokenwallet.budget.inputs import format_amount
from tokenwallet.cli.context import handle_errors, pass_app
from tokenwallet.cli.output import JSON_SCHEMA_VERSION, emit_json
from tokenwallet.cli.policy_json import link_json, off_policy_json, plan_json, value_json
from tokenwallet.domain.errors import UserInputError
from tokenwallet.domain.money import format_money
from tokenwallet.policy.off_policy import OffPolicySpend
from tokenwallet.policy.parse import to_document
from tokenwallet.policy.restrictions import describe as describe_restrictions
from tokenwallet.services.policy import ImportKind, ImportPlan
from tokenwallet.services.policy_value import AllowanceValue

_FIELD_WORDS = {"anchor_day": "anchor day", "timezone": "time zone", "starts": "start", "ends": "end"}


@click.group("policy")
def policy_group() -> None:
    """Import your employer's token policy and keep your allowances in step with it."""


def _read(app: AppContext, file: str) -> ImportPlan:
    from tokenwallet.services.policy import plan_import, read_file

    return plan_import(app, read_file(file), Path(file).name)


def _header(plan: ImportPlan) -> str:
    p = plan.policy
    text = f"{p.employer}: policy {p.policy_id} revision {p.revision}, effective {p.effective}"
    if plan.kind is ImportKind.NEW:
        return text + " (not imported before)."
    if plan.kind is ImportKind.SAME:
        return text + " (imported already)."
    assert plan.previous is not None
    return text + f" (replaces revision {plan.previous.revision})."


def _show_plan(plan: ImportPlan, *, changes: bool) -> None:
    click.echo(_header(plan))
    if changes and plan.changes and plan.kind is ImportKind.UPGRADE:
        click.echo("\nChanges in the policy:")
        for change in plan.changes:
            click.echo(f"  {change.text()}")
    if plan.nothing_to_do:
        click.echo("Nothing to change: your allowances already follow this revision.")
        return
    click.echo("\nThe import will:" if plan.kind is not ImportKind.SAME else "\nThe import will restore:")
    for step in plan.steps:
        click.echo(f"  {step.text()}")


@policy_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=str))
@click.option("--dry-run", is_flag=True, help="Only show what the import would do.")
@click.option("--yes", "-y", is_flag=True, help="Apply without asking.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan (and whether it was applied) as JSON.")
@pass_app
@handle_errors
def import_command(app: AppContext, file: str, dry_run: bool, yes: bool, as_json: bool) -> None:
    """Import a policy FILE (TOML or JSON): validate, show what changes, apply."""
    from tokenwallet.services.policy import apply_import

    plan = _read(app, file)
    if not as_json:
        _show_plan(plan, changes=True)
    apply = not dry_run and not plan.nothing_to_do
    if apply and not yes:
        if as_json or not sys.stdin.isatty():
            raise UserInputError("Nothing was imported: confirm with --yes, or preview with --dry-run.")
        if not click.confirm("\nApply these changes?", default=False):
            click.echo("Nothing was changed.")
            raise click.exceptions.Exit(1)
    if apply:
        apply_import(app, plan)
    if as_json:
        emit_json({"schema_version": JSON_SCHEMA_VERSION, **plan_json(plan, applied=apply)})
    elif dry_run and not plan.nothing_to_do:
        click.echo("\nDry run: nothing was changed.")
    elif apply:
        click.echo(
            f"\nImported {plan.policy.policy_id} revision {plan.policy.revision}: {len(plan.steps)} change"
            f"{'s' if len(plan.steps) != 1 else ''}. See `tokenwallet status`, `tokenwallet policy show` "
            "and `tokenwallet audit`."
        )


@policy_group.command("diff")
@click.argument("file", type=click.Path(dir_okay=False, path_type=str))
@click.option("--json", "as_json", is_flag=True, help="Print the changes and the steps as JSON.")
@pass_app
@handle_errors
def diff_command(app: AppContext, file: str, as_json: bool) -> None:
    """Show what FILE changes against the revision imported, without importing it."""
    plan = _read(app, file)
    if as_json:
        emit_json({"schema_version": JSON_SCHEMA_VERSION, **plan_json(plan, applied=False)})
        return
    _show_plan(plan, changes=True)


def _value_lines(value: AllowanceValue) -> list[str]:
    unit = value.unit

    def money(amount: int) -> str:
        return format_amount(amount, unit)

    held = f"holds {money(value.remaining)} now"
    if value.cash_value:
        held += f"; {money(value.payable)} of it can be paid out"
    else:
        held += f"; it is not paid out, so whatever of it is not spent is forfeited ({money(value.forfeitable)} now)"
    lines = [held]
    if value.vesting_total:
        vesting = f"vested {money(value.vested)} of {money(value.vesting_total)}, {money(value.unvested)} unvested"
        if value.next_vesting:
            vesting += f" (next {money(value.next_vesting[1])} on {value.next_vesting[0]})"
        lines.append(vesting)
    lines.append(
        f"lapsed unspent this period {money(value.lapsed)}; will lapse at the current pace {money(value.at_risk)}"
    )
    return lines


def _off_policy_lines(spend: OffPolicySpend) -> list[str]:
    if not spend.routes:
        return [f"No usage outside the policy {spend.policy_id!r} this month."]
    tokens = f" and {spend.tokens:,} tokens" if spend.tokens else ""
    lines = [
        f"Off-policy this month: {format_money(spend.cost_micros)}{tokens} in {spend.rows} "
        f"row{'s' if spend.rows != 1 else ''}:"
    ]
    for o in spend.routes:
        region = f" region {o.route.region}" if o.route.region else ""
        lines.append(
            f"  {o.route.provider} {o.route.model or '(no model)'}{region}: {format_money(o.route.cost_micros)}, "
            f"{o.route.tokens:,} tokens ({'; '.join(o.reasons)})"
        )
    return lines


@policy_group.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print the stable JSON document.")
@pass_app
@handle_errors
def show_command(app: AppContext, as_json: bool) -> None:
    """Show the imported policy: its terms in plain words, what each allowance is worth, off-policy use."""
    from tokenwallet.services.policy import active_policies
    from tokenwallet.services.policy_value import allowance_values, off_policy_spend

    shown = active_policies(app)
    values = {v.allowance_id: v for v in allowance_values(app)}
    off = {s.policy_id: s for s in off_policy_spend(app)}
    if as_json:
        emit_json(
            {
                "schema_version": JSON_SCHEMA_VERSION,
                "policies": [
                    {
                        "policy_id": a.policy.policy_id,
                        "revision": a.policy.revision,
                        "employer": a.policy.employer,
                        "effective": a.policy.effective.isoformat(),
                        "source": a.source,
                        "imported_at": a.imported_at,
                        "notes": a.policy.notes,
                        "restrictions": describe_restrictions(a.policy.restrictions),
                        "allowances": [
                            {
                                "allowance_id": link.allowance_id,
                                "policy": link_json(link),
                                "value": value_json(values[link.allowance_id]) if link.allowance_id in values else None,
                            }
                            for link in a.links
                        ],
                        "off_policy": off_policy_json(off[a.policy.policy_id]) if a.policy.policy_id in off else None,
                        "document": to_document(a.policy),
                    }
                    for a in shown
                ],
            }
        )
        return
    if not shown:
        click.echo("No policy imported. Import your employer's file with `tokenwallet policy import FILE`.")
        return
    for index, a in enumerate(shown):
        p = a.policy
        if index:
            click.echo("")
        click.echo(
            f"{p.employer}: policy {p.policy_id} revision {p.revision}, effective {p.effective} "
            f"(imported {a.imported_at:%Y-%m-%d %H:%M} UTC from {a.source})"
        )
        for link in a.links:
            click.echo("")
            if link.retired_revision is not None:
                click.echo(f"{link.name}: ended by revision {link.retired_revision} (its spend stays recorded)")
                continue
            value = values.get(link.allowance_id)
            owned = ", ".join(_FIELD_WORDS.get(name, name) for name in link.owned)
            click.echo(f"{link.name} (the policy sets its {owned})")
            for line in value.terms if value else ():
                click.echo(f"  {line}")
            for line in _value_lines(value) if value else ():
                click.echo(f"  Value: {line}.")
        restricted = describe_restrictions(p.restrictions)
        if restricted:
            click.echo("\nWhere the compute may be used:")
            for line in restricted:
                click.echo(f"  {line}")
        if p.policy_id in off:
            click.echo("")
            for line in _off_policy_lines(off[p.policy_id]):
                click.echo(line)
        if p.notes.strip():
            click.echo("\nNotes:")
            for line in p.notes.strip().splitlines():
                click.echo(f"  {line}")


COMMANDS: list[click.Command] = [policy_group]
