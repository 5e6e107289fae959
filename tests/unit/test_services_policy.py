"""services.policy: import, re-import, revisions, vesting dates, owned fields, off-policy spend, audit."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.unit.service_context import memory_context
from tokenwallet.alerts.rules import OffPolicyParams, RuleKind
from tokenwallet.app import AppContext
from tokenwallet.domain.accounts import Account, AccountKind
from tokenwallet.domain.allowance import Cadence, GrantKind, RolloverPolicy, Unit
from tokenwallet.domain.clock import FixedClock
from tokenwallet.domain.errors import UserInputError
from tokenwallet.domain.money import usd_to_micros as usd
from tokenwallet.domain.usage import Source, UsageRecord
from tokenwallet.ledger import accounts, allowances, audit, policies
from tokenwallet.ledger import usage as usage_rows
from tokenwallet.policy.parse import read_policy, to_document
from tokenwallet.services import alert_rules
from tokenwallet.services import allowances as allowance_service
from tokenwallet.services import policy as service
from tokenwallet.services.policy import ImportKind
from tokenwallet.services.policy_value import allowance_values, off_policy_spend
from tokenwallet.services.status import allowance_figures

NOW = datetime(2027, 2, 10, 12, 0, tzinfo=UTC)
IST = timedelta(hours=5, minutes=30)

REV3 = """\
schema = "tokenwallet-policy/1"
employer = "Example Corp"
policy_id = "ai-compute"
revision = 3
effective = 2026-12-01

[[allowance]]
name = "AI compute"
unit = "usd"
amount = 500
cadence = "monthly"
anchor_day = 1
timezone = "Asia/Kolkata"
rollover = { cap = 100, expires_days = 30 }
providers = ["openai", "anthropic"]
transferable = false
cash_value = false

[[allowance.topup]]
amount = 200
reason = "tenure: 2 years"
granted = 2026-12-15
expires = 2027-03-31

[allowance.vesting]
total = 6000
start = 2026-12-01
instalments = 12
every = "month"
cliff = 0

[[allowance]]
name = "Side tokens"
unit = "tokens"
amount = 1_000_000
cadence = "weekly"
cash_value = true

[restrictions]
providers = ["openai", "anthropic"]
models = ["gpt-5", "claude-sonnet-4"]
regions = ["IN"]
"""


def rev4(text: str = REV3) -> str:
    """Revision 4: more money, a second top-up, the tenure top-up extended, "Side tokens" dropped."""
    return (
        text.replace("revision = 3", "revision = 4")
        .replace("effective = 2026-12-01", "effective = 2027-02-01")
        .replace("amount = 500", "amount = 600")
        .replace("expires = 2027-03-31", "expires = 2027-06-30")
        .replace(
            "[allowance.vesting]",
            '[[allowance.topup]]\namount = 50\nreason = "hackathon"\ngranted = 2027-02-01\n\n[allowance.vesting]',
        )
        .split('[[allowance]]\nname = "Side tokens"')[0]
        + '[restrictions]\nproviders = ["openai", "anthropic"]\nregions = ["IN"]\n'
    )


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[AppContext]:
    context = memory_context(tmp_path, NOW, timezone="Europe/Berlin")
    db = context.ledger()
    accounts.add(db, Account(id="ant", kind=AccountKind.ANTHROPIC, label="ant"), at=NOW - timedelta(days=200))
    accounts.add(db, Account(id="oa", kind=AccountKind.OPENAI, label="oa"), at=NOW - timedelta(days=200))
    yield context
    context.close()


def spend(
    ctx: AppContext,
    key: str,
    at: datetime,
    cost: float,
    *,
    provider: str = "openai",
    model: str = "gpt-5",
    region: str = "",
    tokens: int = 0,
) -> None:
    record = UsageRecord(
        account_id="ant" if provider == "anthropic" else "oa",
        source=Source.API_COST if not tokens else Source.MANUAL,
        key=key,
        bucket_start=at,
        bucket_end=at + timedelta(hours=1),
        provider=provider,
        model=model,
        input_tokens=tokens,
        cost_micros=usd(cost),
        extra={"inference_geo": region} if region else {},
    )
    db = ctx.ledger()
    with db.atomic():
        usage_rows.upsert(db, [record], recorded_at=at)


def do_import(ctx: AppContext, text: str, name: str = "policy.toml") -> service.ImportPlan:
    return service.apply_import(ctx, service.plan_import(ctx, text.encode(), name))


def test_a_first_import_creates_allowances_grants_and_alerts_and_audits_each(ctx: AppContext) -> None:
    plan = service.plan_import(ctx, REV3.encode(), "policy.toml")
    assert plan.kind is ImportKind.NEW and plan.previous is None
    assert allowance_service.list_allowances(ctx) == []  # a plan writes nothing
    texts = [s.text() for s in plan.steps]
    assert texts[0] == "create allowance 'AI compute': $500.00 monthly from 2026-12-01 (Asia/Kolkata)"
    assert texts[1].startswith("add alerts to 'AI compute': 80%, 95% and 100% used")
    assert "add top-up to 'AI compute': $200.00 on 2026-12-15 through 2027-03-31 (tenure: 2 years)" in texts
    assert "add vesting instalment to 'AI compute': $500.00 on 2027-01-01 (vesting 1/12)" in texts
    assert texts[-2:] == [
        "add alert off-policy spend: when usage this month is outside the policy's providers, models or regions",
        "record policy 'ai-compute': revision 3, effective 2026-12-01",
    ]
    service.apply_import(ctx, plan)

    db = ctx.ledger()
    work = allowances.find(db, "AI compute")
    assert (work.unit, work.amount, work.cadence, work.anchor_day, work.timezone) == (
        Unit.USD,
        usd(500),
        Cadence.MONTHLY,
        1,
        "Asia/Kolkata",
    )
    assert work.starts_at == datetime(2026, 12, 1, tzinfo=UTC) - IST  # local midnight in Kolkata
    assert work.rollover == RolloverPolicy(cap=usd(100), expires_days=30)
    assert (work.scope.providers, work.scope.accounts) == (("openai", "anthropic"), ())
    side = allowances.find(db, "Side tokens")
    assert side.timezone == "Europe/Berlin"  # no zone in the file: the user's

    grants = policies.grants_by_key(db, work.id)
    tenure = grants["topup:2026-12-15:tenure: 2 years"]
    assert (tenure.kind, tenure.amount) == (GrantKind.TOPUP, usd(200))
    assert tenure.granted_at == datetime(2026, 12, 15, tzinfo=UTC) - IST
    assert tenure.expires_at == datetime(2027, 4, 1, tzinfo=UTC) - IST  # through 31 March
    link = policies.link_for(db, work.id)
    assert link is not None and (link.policy_id, link.revision, link.name) == ("ai-compute", 3, "AI compute")
    assert {"amount", "rollover", "timezone", "providers"} <= set(link.owned) and "models" not in link.owned

    rules = alert_rules.list_rules(ctx)
    assert sorted(v.rule.kind.value for v in rules if v.allowance_name == "AI compute") == sorted(
        ["threshold", "threshold", "threshold", "forecast", "expiry"]
    )
    assert [v.rule.params for v in rules if v.rule.kind is RuleKind.OFF_POLICY] == [OffPolicyParams()]

    entries = [e for e in audit.entries(db) if e.action != "account.add"]  # the fixture's accounts
    assert {e.actor for e in entries} == {"policy"}
    assert all(e.details.get("policy") == {"policy_id": "ai-compute", "revision": 3} for e in entries[:-1])
    assert entries[-1].action == "policy.import" and entries[-1].details["revision"] == 3
    actions = [e.action for e in entries]
    assert actions.count("allowance.add") == 2 and actions.count("grant.topup") == 1 + 12
    assert actions.count("alert_rule.add") == 2 * 5 + 1


def test_vesting_instalments_are_dated_grants_at_midnight_in_the_allowances_zone(ctx: AppContext) -> None:
    no_zone = REV3.replace('timezone = "Asia/Kolkata"\n', "")
    do_import(ctx, no_zone)
    db = ctx.ledger()
    work = allowances.find(db, "AI compute")
    assert work.timezone == "Europe/Berlin"
    grants = policies.grants_by_key(db, work.id)
    days = [grants[f"vesting:{k}"].granted_at for k in range(1, 13)]
    # the 1st of each month from January to December 2027, at midnight in Berlin (CET +1, CEST +2)
    expected = [
        datetime(2027, month, 1, tzinfo=UTC) - timedelta(hours=2 if 4 <= month <= 10 else 1) for month in range(1, 13)
    ]
    assert days == expected
    assert [grants[f"vesting:{k}"].amount for k in range(1, 13)] == [usd(6000) // 12] * 12
    assert all(grants[f"vesting:{k}"].expires_at is None for k in range(1, 13))


def test_re_importing_the_same_revision_changes_nothing(ctx: AppContext) -> None:
    do_import(ctx, REV3)
    db = ctx.ledger()
    before = (len(audit.entries(db)), len(alert_rules.list_rules(ctx)), allowance_service.list_allowances(ctx))
    plan = service.plan_import(ctx, REV3.encode(), "again.toml")
    assert plan.kind is ImportKind.SAME and plan.nothing_to_do and plan.changes == ()
    service.apply_import(ctx, plan)
    after = (len(audit.entries(db)), len(alert_rules.list_rules(ctx)), allowance_service.list_allowances(ctx))
    assert after == before
    # the same revision written differently is the same policy: JSON, or a default spelled out
    as_json = json.dumps(to_document(read_policy(REV3.encode(), "p.toml")))
    assert service.plan_import(ctx, as_json.encode(), "again.json").nothing_to_do
    spelled_out = REV3.replace("cash_value = true", "cash_value = true\ntransferable = false")
    assert service.plan_import(ctx, spelled_out.encode(), "again.toml").nothing_to_do


def test_the_same_revision_with_other_content_and_an_older_revision_are_refused(ctx: AppContext) -> None:
    do_import(ctx, rev4())
    entries = len(audit.entries(ctx.ledger()))
    with pytest.raises(UserInputError, match="revision 3 of the policy 'ai-compute', older than revision 4") as older:
        service.plan_import(ctx, REV3.encode(), "old.toml")
    assert older.value.field == "revision"
    changed = rev4().replace("amount = 600", "amount = 700")
    with pytest.raises(UserInputError, match="imported before with other content; a changed policy needs a higher"):
        service.plan_import(ctx, changed.encode(), "same.toml")
    assert len(audit.entries(ctx.ledger())) == entries


def test_a_newer_revision_updates_in_place_and_keeps_recorded_spend(ctx: AppContext) -> None:
    do_import(ctx, REV3)
    db = ctx.ledger()
    work = allowances.find(db, "AI compute")
    side = allowances.find(db, "Side tokens")
    spend(ctx, "jan", datetime(2027, 1, 20, tzinfo=UTC), 120.0)
    spend(ctx, "feb", datetime(2027, 2, 5, tzinfo=UTC), 30.0)
    spent_before = allowance_figures(ctx, "AI compute").status.period_spent

    plan = service.plan_import(ctx, rev4().encode(), "rev4.toml")
    assert plan.kind is ImportKind.UPGRADE and plan.previous is not None and plan.previous.revision == 3
    assert [c.text() for c in plan.changes][:3] == [
        "~ policy revision: 3 -> 4",
        "~ policy effective: 2026-12-01 -> 2027-02-01",
        "~ AI compute amount: $500.00 -> $600.00",
    ]
    texts = [s.text() for s in plan.steps]
    assert "change allowance 'AI compute': amount $500.00 -> $600.00" in texts
    assert (
        "change top-up of 'AI compute': $200.00 on 2026-12-15 through 2027-03-31 (tenure: 2 years) -> "
        "$200.00 on 2026-12-15 through 2027-06-30 (tenure: 2 years)"
    ) in texts
    assert "add top-up to 'AI compute': $50.00 on 2027-02-01 (hackathon)" in texts
    assert "end allowance 'Side tokens': on 2027-02-01 (no longer in the policy; its recorded spend stays)" in texts
    service.apply_import(ctx, plan)

    updated = allowances.find(db, "AI compute")
    assert (updated.id, updated.starts_at, updated.amount) == (work.id, work.starts_at, usd(600))
    assert allowance_figures(ctx, "AI compute").status.period_spent == spent_before == usd(30)
    grants = policies.grants_by_key(db, work.id)
    assert grants["topup:2026-12-15:tenure: 2 years"].expires_at == datetime(2027, 7, 1, tzinfo=UTC) - IST
    assert grants["topup:2027-02-01:hackathon"].amount == usd(50)
    assert len(grants) == 2 + 12
    ended = allowances.get(db, side.id)
    assert ended.ends_at == datetime(2027, 2, 1, tzinfo=UTC) - timedelta(hours=1)  # midnight in Berlin
    side_link = policies.link_for(db, side.id)
    assert side_link is not None and side_link.retired_revision == 4
    link = policies.link_for(db, work.id)
    assert link is not None and link.revision == 4
    fours = [e for e in audit.entries(db) if e.details.get("policy", {}).get("revision") == 4]
    assert sorted(e.action for e in fours) == ["allowance.update", "allowance.update", "grant.topup", "grant.update"]
    assert audit.entries(db)[-1].details["previous_revision"] == 3
    assert service.plan_import(ctx, rev4().encode(), "rev4.toml").nothing_to_do


def test_policy_owned_fields_are_refused_by_hand_and_the_rest_stays_editable(ctx: AppContext) -> None:
    do_import(ctx, REV3)
    with pytest.raises(UserInputError) as caught:
        allowance_service.change_allowance(ctx, "AI compute", amount="900")
    assert caught.value.field == "amount"
    assert "set by the employer policy 'ai-compute' (revision 3)" in str(caught.value)
    with pytest.raises(UserInputError, match="The name of 'AI compute' is set by the employer policy"):
        allowance_service.change_allowance(ctx, "AI compute", name="mine")
    changed = allowance_service.change_allowance(ctx, "AI compute", scope=("oa",))
    assert changed.scope.accounts == ("oa",)
    assert service.plan_import(ctx, REV3.encode(), "p.toml").nothing_to_do  # the accounts are the user's
    link = service.ownership(ctx, "AI compute")
    assert link is not None and "amount" in link.owned


def test_a_hand_made_allowance_of_the_same_name_is_not_taken_over(ctx: AppContext) -> None:
    allowance_service.add_allowance(ctx, name="AI compute", amount="10")
    with pytest.raises(UserInputError, match="already exists and was not created by this policy") as caught:
        service.plan_import(ctx, REV3.encode(), "p.toml")
    assert caught.value.field == "allowance[0].name"


def test_an_allowance_removed_by_hand_comes_back_with_the_next_import(ctx: AppContext) -> None:
    do_import(ctx, REV3)
    allowance_service.remove_allowance(ctx, "Side tokens")
    plan = service.plan_import(ctx, REV3.encode(), "p.toml")
    assert plan.kind is ImportKind.SAME
    assert [s.text() for s in plan.steps][0].startswith("create allowance 'Side tokens'")
    service.apply_import(ctx, plan)
    assert allowances.find(ctx.ledger(), "Side tokens").amount == 1_000_000


def test_restrictions_flag_the_right_usage_and_raise_one_alert_a_month(ctx: AppContext) -> None:
    do_import(ctx, REV3)
    feb = datetime(2027, 2, 3, tzinfo=UTC)
    spend(ctx, "ok-1", feb, 10.0, provider="openai", model="gpt-5")
    spend(ctx, "ok-2", feb, 5.0, provider="anthropic", model="claude-sonnet-4-6", region="in")
    spend(ctx, "ok-3", feb, 2.0, provider="anthropic", model="claude-sonnet-4", region="not_available")
    spend(ctx, "geo", feb, 7.0, provider="anthropic", model="claude-sonnet-4-6", region="us")
    spend(ctx, "geo-2", feb + timedelta(days=1), 1.5, provider="anthropic", model="claude-sonnet-4-6", region="us")
    spend(ctx, "model", feb, 3.0, provider="openai", model="o3", tokens=1000)
    spend(ctx, "january", datetime(2027, 1, 20, tzinfo=UTC), 99.0, provider="openai", model="o3")
    [found] = off_policy_spend(ctx)
    assert (found.policy_id, found.revision) == ("ai-compute", 3)
    assert found.since == datetime(2027, 2, 1, tzinfo=UTC) - timedelta(hours=1)  # February in Berlin
    assert [(o.route.provider, o.route.model, o.route.region, o.route.rows, o.reasons) for o in found.routes] == [
        ("anthropic", "claude-sonnet-4-6", "us", 2, ("region 'us' is not allowed",)),
        ("openai", "o3", "", 1, ("model 'o3' is not allowed",)),
    ]
    assert found.cost_micros == usd(7.0 + 1.5 + 3.0)
    assert found.tokens == 1000
    [january] = off_policy_spend(ctx, datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 2, 1, tzinfo=UTC))
    assert january.cost_micros == usd(99.0)

    fired = alert_rules.check_alerts(ctx, notify=False)
    off = [e for e in fired if e.kind == "off_policy"]
    assert [e.title for e in off] == ["ai-compute: off-policy spend"]
    assert "$11.50 and 1,000 tokens this month" in off[0].message
    assert "anthropic claude-sonnet-4-6 in region 'us'" in off[0].message
    assert not [e for e in alert_rules.check_alerts(ctx, notify=False) if e.kind == "off_policy"]  # once
    assert isinstance(ctx.clock, FixedClock)
    ctx.clock.set(datetime(2027, 3, 2, 12, tzinfo=UTC))
    spend(ctx, "march", datetime(2027, 3, 2, tzinfo=UTC), 4.0, provider="google", model="gemini-2.5-pro")
    again = [e for e in alert_rules.check_alerts(ctx, notify=False) if e.kind == "off_policy"]
    assert len(again) == 1 and "$4.00" in again[0].message  # a new month re-arms it


def test_values_vested_unvested_payable_and_forfeited(ctx: AppContext) -> None:
    do_import(ctx, REV3)
    values = {v.name: v for v in allowance_values(ctx)}
    work = values["AI compute"]
    # instalments on 1 January and 1 February 2027 have vested by 10 February
    assert (work.vesting_total, work.vested, work.unvested) == (usd(6000), 2 * usd(500), 10 * usd(500))
    assert work.next_vesting is not None and work.next_vesting == (datetime(2027, 3, 1).date(), usd(500))
    status = allowance_figures(ctx, "AI compute").status
    assert (work.remaining, work.payable, work.forfeitable) == (status.remaining, 0, status.remaining)
    assert work.terms[0].startswith("$500.00 every month, from the 1st (Asia/Kolkata)")
    side = values["Side tokens"]
    assert side.cash_value and side.payable == side.remaining and side.forfeitable == 0
    assert (side.vesting_total, side.vested, side.next_vesting) == (0, 0, None)


def test_the_region_anthropic_reports_is_kept_and_checked(ctx: AppContext) -> None:
    """Recorded cost report: one row processed 'global'; a policy that wants India flags exactly it."""
    import httpx

    from tokenwallet.secrets import ApiKey
    from tokenwallet.sources import anthropic
    from tokenwallet.sources.http import make_client

    fixtures = Path(__file__).parent.parent / "fixtures" / "providers" / "anthropic"
    empty = b'{"data":[],"has_more":false,"next_page":null}'

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/cost_report"):
            return httpx.Response(200, content=(fixtures / "cost_report.json").read_bytes())
        if request.url.path.endswith("/usage_report/messages"):
            return httpx.Response(200, content=(fixtures / "messages.json").read_bytes())
        return httpx.Response(200, content=empty)

    clock = FixedClock(datetime(2026, 11, 25, 9, 30, tzinfo=UTC))
    with make_client(transport=httpx.MockTransport(handler)) as client:
        pages = list(anthropic.fetch(client, "https://api.anthropic.com", ApiKey("sk-test-0000"), "ant", {}, clock))
    records = [r for page in pages for r in page.records]
    [cost] = [r for r in records if r.source is Source.API_COST]
    assert cost.extra["inference_geo"] == "global"
    assert all("inference_geo" not in r.extra for r in records if r.source is Source.API_USAGE)  # reported null
    db = ctx.ledger()
    with db.atomic():
        usage_rows.upsert(db, records, recorded_at=clock())
    do_import(ctx, REV3)
    [found] = off_policy_spend(ctx, datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
    assert [(o.route.model, o.route.region, o.reasons) for o in found.routes] == [
        ("claude-sonnet-4-6", "global", ("region 'global' is not allowed",))
    ]
    assert found.cost_micros == cost.cost_micros  # the token-only usage row (no region) is not flagged


def test_the_monthly_report_lists_off_policy_usage_in_json_csv_and_notes(ctx: AppContext) -> None:
    import csv
    import io

    from tokenwallet.reports.build import build_report
    from tokenwallet.reports.csv_export import to_csv
    from tokenwallet.reports.json_export import report_dict

    do_import(ctx, REV3)
    feb = datetime(2027, 2, 3, tzinfo=UTC)
    spend(ctx, "ok", feb, 10.0, provider="openai", model="gpt-5")
    spend(ctx, "geo", feb, 7.25, provider="anthropic", model="claude-sonnet-4-6", region="us")
    report = build_report(ctx.ledger(), "2027-02", ctx.settings, NOW)
    [line] = report.off_policy
    assert (line.policy_id, line.provider, line.model, line.region, line.cost_micros, line.rows) == (
        "ai-compute",
        "anthropic",
        "claude-sonnet-4-6",
        "us",
        usd(7.25),
        1,
    )
    assert "Usage outside the employer policy 'ai-compute': $7.25 in 1 row (see the off_policy table)." in report.notes
    assert report_dict(report)["off_policy"][0]["reasons"] == "region 'us' is not allowed"
    [row] = list(csv.DictReader(io.StringIO(to_csv(report, "off_policy"), newline="")))
    assert (row["region"], row["cost_usd"], row["reasons"]) == ("us", "7.250000", "region 'us' is not allowed")
    assert build_report(ctx.ledger(), "2027-01", ctx.settings, NOW).off_policy == ()  # nothing in January


def test_a_stored_policy_this_version_cannot_read_does_not_stop_the_status(
    ctx: AppContext, caplog: pytest.LogCaptureFixture
) -> None:
    from tokenwallet.services.status import status_report

    do_import(ctx, REV3)
    db = ctx.ledger()
    with db.atomic():
        db.execute('UPDATE policies SET document = \'{"schema": "tokenwallet-policy/9"}\'')
    report = status_report(ctx)
    assert report.off_policy == () and {f.allowance.name for f in report.allowances} == {"AI compute", "Side tokens"}
    assert "off-policy spend is not checked" in caplog.text


def test_a_preview_made_before_another_import_is_not_applied(ctx: AppContext) -> None:
    stale = service.plan_import(ctx, rev4().encode(), "rev4.toml")  # made when nothing was imported
    do_import(ctx, REV3)
    with pytest.raises(UserInputError, match="changed in the ledger since this import was previewed"):
        service.apply_import(ctx, stale)
    assert policies.latest(ctx.ledger(), "ai-compute").revision == 3  # type: ignore[union-attr]
