"""The policy format: good files in TOML and JSON, every kind of mistake with its line and field."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tokenwallet.domain.allowance import Cadence, Unit
from tokenwallet.domain.errors import PolicyFileError
from tokenwallet.domain.limits import MAX_DAYS, MAX_TOKENS, MAX_USD
from tokenwallet.domain.money import usd_to_micros as usd
from tokenwallet.policy import restrictions
from tokenwallet.policy.diff import ChangeKind, diff
from tokenwallet.policy.model import Every, Restrictions, Rollover, Topup, Vesting
from tokenwallet.policy.parse import dump_document, from_document, read_policy, schema, to_document
from tokenwallet.policy.schema_check import KEYWORDS
from tokenwallet.policy.vesting import add_periods, schedule, vested_by

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "resources" / "examples" / "example-corp-policy.toml"
REVISED = ROOT / "resources" / "examples" / "example-corp-policy-rev4.toml"

ISSUE_EXAMPLE = """\
schema = "tokenwallet-policy/1"
employer = "Example Corp"
policy_id = "ai-compute"        # stable across revisions
revision = 3                    # increases with every change
effective = 2026-12-01
notes = "Local processing only."
[[allowance]]
name = "AI compute"
unit = "usd"                    # usd | tokens
amount = 500
cadence = "monthly"             # daily | weekly | monthly | quarterly | yearly | one-off
anchor_day = 1
timezone = "Asia/Kolkata"
rollover = { cap = 100, expires_days = 30 }    # optional
providers = ["openai", "anthropic"]             # optional scope
models = []                                     # optional scope
transferable = false
cash_value = false              # can unused value be paid out?

[[allowance.topup]]
amount = 200
reason = "tenure: 2 years"
granted = 2026-12-15
expires = 2027-03-31

[allowance.vesting]             # optional: a grant that vests in instalments
total = 6000
start = 2026-12-01
instalments = 12
every = "month"
cliff = 0

[restrictions]
providers = ["openai", "anthropic"]
models = ["gpt-5", "claude-sonnet-4"]
regions = ["IN"]
"""


def read(text: str, name: str = "policy.toml") -> Any:
    return read_policy(text.encode(), name)


def problems(text: str, name: str = "policy.toml") -> list[str]:
    with pytest.raises(PolicyFileError) as caught:
        read(text, name)
    return list(caught.value.problems)


def test_the_issue_example_reads_into_typed_values() -> None:
    policy = read(ISSUE_EXAMPLE)
    assert (policy.employer, policy.policy_id, policy.revision, policy.effective) == (
        "Example Corp",
        "ai-compute",
        3,
        date(2026, 12, 1),
    )
    [a] = policy.allowances
    assert (a.name, a.unit, a.amount, a.cadence, a.anchor_day, a.timezone) == (
        "AI compute",
        Unit.USD,
        usd(500),
        Cadence.MONTHLY,
        1,
        "Asia/Kolkata",
    )
    assert a.rollover == Rollover(cap=usd(100), expires_days=30)
    assert (a.providers, a.models, a.transferable, a.cash_value) == (("openai", "anthropic"), (), False, False)
    assert a.topups == (Topup(usd(200), date(2026, 12, 15), "tenure: 2 years", date(2027, 3, 31)),)
    assert a.vesting == Vesting(usd(6000), date(2026, 12, 1), 12, Every.MONTH, 0)
    assert policy.restrictions == Restrictions(("openai", "anthropic"), ("gpt-5", "claude-sonnet-4"), ("IN",))
    assert policy.notes == "Local processing only."


def test_json_is_accepted_and_means_the_same() -> None:
    policy = read(ISSUE_EXAMPLE)
    as_json = json.dumps(to_document(policy), indent=2)
    assert read(as_json, "policy.json") == policy
    assert read(as_json, "policy-without-suffix") == policy  # a leading brace means JSON


def test_the_stored_document_round_trips_exactly() -> None:
    text = ISSUE_EXAMPLE.replace("amount = 500", "amount = 999999999999.123457")
    policy = read(text)
    assert policy.allowances[0].amount == 999_999_999_999_123_457  # micro-dollars, no float rounding
    stored = dump_document(to_document(policy))
    assert "999999999999.123457" in stored
    assert from_document(json.loads(stored, parse_float=__import__("decimal").Decimal)) == policy


def test_the_examples_are_valid() -> None:
    first = read_policy(EXAMPLE.read_bytes(), EXAMPLE.name)
    second = read_policy(REVISED.read_bytes(), REVISED.name)
    assert (first.policy_id, first.revision, second.policy_id, second.revision) == ("ai-compute", 3, "ai-compute", 4)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # the schema: enum, type, minimum, pattern, unknown field, missing field, list item, date form
        (
            ('cadence = "monthly"', 'cadence = "fortnightly"'),
            "line 11, allowance[0].cadence: 'fortnightly' is not "
            "one of daily, weekly, monthly, quarterly, yearly, one-off",
        ),
        (
            ("cash_value = false", 'cash_value = "no"'),
            "line 18, allowance[0].cash_value: must be true or false, not 'no'",
        ),
        (("revision = 3 ", "revision = 0 "), "line 4, revision: must be at least 1, not 0"),
        (
            ('policy_id = "ai-compute"', 'policy_id = "AI Compute!"'),
            "line 3, policy_id: 'AI Compute!' is not a stable id",
        ),
        (
            ("anchor_day = 1", "anchor_dya = 1"),
            "line 12, allowance[0].anchor_dya: is not a field of the policy format; did you mean 'anchor_day'?",
        ),
        (
            ('unit = "usd"                    # usd | tokens\n', ""),
            "line 7, allowance[0].unit: is required but missing",
        ),
        (
            ('providers = ["openai", "anthropic"]             #', 'providers = ["openai", 7]             #'),
            "line 15, allowance[0].providers[1]: must be text, not 7",
        ),
        (
            ("granted = 2026-12-15", 'granted = "15/12/2026"'),
            "line 23, allowance[0].topup[0].granted: '15/12/2026' is not a date from 1970-01-01 to 2199-12-31",
        ),
        (
            ("granted = 2026-12-15", "granted = 2026-12-15T10:00:00"),
            "line 23, allowance[0].topup[0].granted: '2026-12-15T10:00:00' is not a date",
        ),
        (
            ("effective = 2026-12-01", "effective = 2200-01-01"),
            "line 5, effective: '2200-01-01' is not a date from 1970-01-01 to 2199-12-31",
        ),
        (("amount = 500", "amount = -5"), "line 10, allowance[0].amount: must be more than 0, not -5"),
        (('regions = ["IN"]', 'regions = ["IN", "IN"]'), "line 36, restrictions.regions[1]: 'IN' is listed twice"),
        (
            ('schema = "tokenwallet-policy/1"', 'schema = "tokenwallet-policy/2"'),
            "line 1, schema: must be 'tokenwallet-policy/1', not 'tokenwallet-policy/2'",
        ),
        # beyond the schema: the limits per unit, the calendar, zones, date order, vesting
        (
            ("amount = 500", f"amount = {MAX_USD + 1}"),
            "line 10, allowance[0].amount: The amount '1000000000001' is "
            "too large; amounts are limited to $1,000,000,000,000",
        ),
        (
            ('timezone = "Asia/Kolkata"', 'timezone = "Mars/Olympus"'),
            "line 13, allowance[0].timezone: Unknown time zone 'Mars/Olympus'",
        ),
        (
            ("expires = 2027-03-31", "expires = 2026-12-01"),
            "line 24, allowance[0].topup[0].expires: 2026-12-01 is before the day it is granted (2026-12-15)",
        ),
        (
            ("cliff = 0", "cliff = 13"),
            "line 31, allowance[0].vesting.cliff: a cliff of 13 is longer than the 12 instalments",
        ),
        (
            ('every = "month"', 'every = "year"'),
            "line 29, allowance[0].vesting.instalments: 12 instalments every year last past ten years",
        ),
    ],
)
def test_each_kind_of_mistake_names_its_line_and_field(change: tuple[str, str], expected: str) -> None:
    old, new = change
    assert old in ISSUE_EXAMPLE
    found = problems(ISSUE_EXAMPLE.replace(old, new, 1))
    assert len(found) == 1 and found[0].startswith(expected), found


def test_anchor_days_must_fit_the_cadence_and_one_off_needs_an_end() -> None:
    weekly = ISSUE_EXAMPLE.replace('cadence = "monthly"', 'cadence = "weekly"').replace(
        "anchor_day = 1", "anchor_day = 8"
    )
    assert problems(weekly) == ["line 12, allowance[0].anchor_day: 8 is not a weekday; use 1 (Monday) to 7 (Sunday)"]
    one_off = ISSUE_EXAMPLE.replace('cadence = "monthly"', 'cadence = "one-off"').replace("anchor_day = 1\n", "")
    assert problems(one_off) == [
        "line 7, allowance[0].ends: a one-off allowance needs the last day it lasts, e.g. ends = 2026-12-31",
        "line 13, allowance[0].rollover: a one-off allowance has no next period to roll over into",
    ]


def test_token_amounts_are_whole_and_bounded() -> None:
    tokens = ISSUE_EXAMPLE.replace('unit = "usd"', 'unit = "tokens"')
    assert problems(tokens.replace("amount = 500", "amount = 12.5"))[0].startswith(
        "line 10, allowance[0].amount: The amount '12.5' must be a whole number of tokens"
    )
    assert problems(tokens.replace("amount = 500", f"amount = {MAX_TOKENS + 1}"))[0].startswith(
        f"line 10, allowance[0].amount: must be at most {MAX_TOKENS:,}"
    )
    assert read(tokens.replace("amount = 500", f"amount = {MAX_TOKENS}")).allowances[0].amount == MAX_TOKENS


def test_several_mistakes_are_all_listed_in_line_order_with_the_first_as_field() -> None:
    text = ISSUE_EXAMPLE.replace('cadence = "monthly"', 'cadence = "often"').replace("revision = 3", 'revision = "3"')
    with pytest.raises(PolicyFileError) as caught:
        read(text)
    assert [p.split(":")[0] for p in caught.value.problems] == ["line 4, revision", "line 11, allowance[0].cadence"]
    assert caught.value.field == "revision"
    assert "policy.toml is not a valid policy file" in str(caught.value)


def test_duplicate_allowance_names_and_a_missing_top_level_field() -> None:
    text = ISSUE_EXAMPLE.replace(
        "[restrictions]",
        '[[allowance]]\nname = "AI compute"\nunit = "usd"\namount = 5\ncadence = "daily"\n\n[restrictions]',
    )
    assert problems(text) == ["line 34, allowance[1].name: 'AI compute' is already the name of allowance[0]"]
    assert problems(ISSUE_EXAMPLE.replace('employer = "Example Corp"\n', "")) == ["employer: is required but missing"]


def test_syntax_errors_name_the_line() -> None:
    broken = ISSUE_EXAMPLE.replace("amount = 500", "amount 500")
    [message] = problems(broken)
    assert message.startswith("line 10: ")
    as_json = json.dumps(to_document(read(ISSUE_EXAMPLE)), indent=2).replace('"unit": "usd",', '"unit": "usd"')
    after_unit = next(i for i, row in enumerate(as_json.splitlines(), 1) if '"unit": "usd"' in row) + 1
    [message] = problems(as_json, "policy.json")
    assert message.startswith(f"line {after_unit}: Expecting ',' delimiter")
    assert problems("[1, 2]", "p.json") == ["line 1: a policy is a JSON object ({ ... })"]
    with pytest.raises(PolicyFileError, match="the file is not UTF-8 text"):
        read_policy(b"name = '\xff'", "p.toml")
    assert problems("#" * 1_000_001)[0].startswith("the file is 1,000,001 bytes")


def test_json_mistakes_name_the_line_and_field_too() -> None:
    document = to_document(read(ISSUE_EXAMPLE))
    document["allowance"][0]["cadence"] = "fortnightly"
    text = json.dumps(document, indent=2)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "fortnightly" in row)
    assert problems(text, "p.json") == [
        f"line {line}, allowance[0].cadence: 'fortnightly' is not one of daily, weekly, monthly, quarterly, "
        "yearly, one-off"
    ]


def test_the_packaged_schema_is_the_published_one_and_uses_only_understood_keywords() -> None:
    published = ROOT / "resources" / "policy.schema.json"
    packaged = ROOT / "tokenwallet" / "policy" / "policy.schema.json"
    assert packaged.read_bytes() == published.read_bytes()
    assert schema() == json.loads(published.read_text())

    def keywords(node: Any, inside_properties: bool = False) -> set[str]:
        found: set[str] = set()
        if isinstance(node, dict):
            for key, value in node.items():
                if not inside_properties:
                    found.add(key)
                found |= keywords(value, key in ("properties", "$defs") and not inside_properties)
        elif isinstance(node, list):
            for item in node:
                found |= keywords(item)
        return found

    assert keywords(schema()) <= KEYWORDS
    defs = schema()["$defs"]
    assert defs["amount"]["maximum"] == MAX_TOKENS  # dollars are held to 10^12 after the schema
    assert defs["allowance"]["properties"]["rollover"]["properties"]["expires_days"]["maximum"] == MAX_DAYS


def test_vesting_instalments_clamp_month_ends_carry_the_remainder_and_honour_the_cliff() -> None:
    assert add_periods(date(2026, 1, 31), Every.MONTH, 1) == date(2026, 2, 28)
    assert add_periods(date(2026, 1, 31), Every.MONTH, 2) == date(2026, 3, 31)  # counted from the start
    assert add_periods(date(2024, 2, 29), Every.YEAR, 1) == date(2025, 2, 28)
    plan = schedule(Vesting(total=100, start=date(2026, 1, 31), instalments=3, every=Every.MONTH))
    assert [(i.number, i.day, i.amount) for i in plan] == [
        (1, date(2026, 2, 28), 33),
        (2, date(2026, 3, 31), 33),
        (3, date(2026, 4, 30), 33 + 1),  # 100 = 3 x 33 + 1
    ]
    cliff = schedule(Vesting(total=1200, start=date(2026, 1, 1), instalments=12, every=Every.MONTH, cliff=6))
    assert [i.day for i in cliff[:7]] == [date(2026, 7, 1)] * 6 + [date(2026, 8, 1)]
    assert vested_by(Vesting(1200, date(2026, 1, 1), 12, Every.MONTH, 6), date(2026, 6, 30)) == 0
    assert vested_by(Vesting(1200, date(2026, 1, 1), 12, Every.MONTH, 6), date(2026, 7, 1)) == 6 * 100
    weekly = schedule(Vesting(total=30, start=date(2026, 12, 28), instalments=3, every=Every.WEEK))
    assert [i.day for i in weekly] == [date(2027, 1, 4), date(2027, 1, 11), date(2027, 1, 18)]


def test_restrictions_name_why_usage_is_off_policy() -> None:
    limits = Restrictions(providers=("openai", "anthropic"), models=("claude-sonnet-4", "gpt-5"), regions=("IN",))
    assert restrictions.breaches(limits, "anthropic", "claude-sonnet-4-6", "in") == ()
    assert restrictions.breaches(limits, "OpenAI", "gpt-5", "") == ()  # no region known: not flagged
    assert restrictions.breaches(limits, "anthropic", "claude-sonnet-4", "not_available") == ()
    assert restrictions.breaches(limits, "anthropic", "claude-sonnet-45", "IN") == (
        "model 'claude-sonnet-45' is not allowed",
    )
    assert restrictions.breaches(limits, "google", "gemini-2.5-pro", "global") == (
        "provider 'google' is not allowed",
        "model 'gemini-2.5-pro' is not allowed",
        "region 'global' is not allowed",
    )
    assert restrictions.breaches(Restrictions(), "anyone", "anything", "us") == ()


def test_the_diff_between_the_example_revisions() -> None:
    first = read_policy(EXAMPLE.read_bytes(), EXAMPLE.name)
    second = read_policy(REVISED.read_bytes(), REVISED.name)
    changes = diff(first, second)
    assert [c.text() for c in changes] == [
        "~ policy revision: 3 -> 4",
        "~ policy effective: 2026-10-01 -> 2026-11-16",
        "~ AI compute amount: $500.00 -> $600.00",
        "~ AI compute rollover: cap $100.00, lapses after 30 days -> cap $150.00, lapses after 30 days",
        "+ AI compute top-up 'performance: H2 2026': $250.00 on 2026-11-16 through 2027-02-28",
        "~ Agent tokens amount: 20,000,000 tokens -> 25,000,000 tokens",
        "+ allowance Hackathon: $300.00",
        "~ restrictions models: any -> claude-sonnet-4, claude-opus-4, gpt-5, o4-mini",
    ]
    assert diff(first, first) == []
    back = diff(second, first)
    assert {c.kind for c in back} == {ChangeKind.CHANGED, ChangeKind.REMOVED}


# --- no input crashes the reader: every failure is a PolicyFileError ---------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**20), 10**20) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def _read_or_refuse(data: bytes, name: str) -> None:
    try:
        read_policy(data, name)
    except PolicyFileError as exc:
        assert exc.problems and all(isinstance(p, str) and p for p in exc.problems)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.binary(max_size=400), st.sampled_from(["p.toml", "p.json", "p"]))
def test_arbitrary_bytes_are_read_or_refused(data: bytes, name: str) -> None:
    _read_or_refuse(data, name)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.data())
def test_any_value_in_any_place_of_a_good_document_is_read_or_refused(data: st.DataObject) -> None:
    document = to_document(read(ISSUE_EXAMPLE))
    target: Any = document
    path = data.draw(st.lists(st.integers(0, 10), min_size=1, max_size=4))
    for step in path[:-1]:
        keys = list(target) if isinstance(target, dict) else list(range(len(target)))
        if not keys or not isinstance(target, dict | list):
            break
        child = target[keys[step % len(keys)]]
        if not isinstance(child, dict | list):
            break
        target = child
    keys = list(target) if isinstance(target, dict) else list(range(len(target)))
    if keys:
        target[keys[path[-1] % len(keys)]] = data.draw(_JSON_VALUES)
    text = json.dumps(document, indent=data.draw(st.sampled_from([None, 1, 2])))
    _read_or_refuse(text.encode(), "p.json")


_TOML_VALUES = st.sampled_from(
    [
        '"text"',
        "'literal'",
        '"""multi\nline = "x"\n[not.a.table]"""',
        "12",
        "-3.5e2",
        "true",
        "2026-01-31",
        "2026-01-31T10:00:00Z",
        "[]",
        "[1, [2, 3], {a = 1}]",
        '[\n  "a",\n  # comment\n  "b",\n]',
        '{ cap = 1, expires_days = "x" }',
        "{}",
        "inf",
    ]
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.data())
def test_any_toml_value_on_any_line_is_read_or_refused_with_a_line(data: st.DataObject) -> None:
    lines = ISSUE_EXAMPLE.splitlines()
    assignments = [i for i, line in enumerate(lines) if " = " in line]
    index = data.draw(st.sampled_from(assignments))
    key = lines[index].split(" = ")[0]
    lines[index] = f"{key} = {data.draw(_TOML_VALUES)}"
    text = "\n".join(lines) + "\n"
    try:
        read(text)
    except PolicyFileError as exc:
        assert all(p.startswith("line ") for p in exc.problems), exc.problems


def test_the_format_in_the_readme_is_a_valid_policy() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("### The format (version 1)")
    block = readme[readme.index("```toml\n", start) + len("```toml\n") :]
    block = block[: block.index("```")]
    policy = read(block)
    assert (policy.policy_id, policy.revision, policy.restrictions.regions) == ("ai-compute", 3, ("IN",))


def test_text_with_control_characters_is_refused_so_nothing_can_drive_a_terminal() -> None:
    sneaky = ISSUE_EXAMPLE.replace('employer = "Example Corp"', 'employer = "Example\\u001b[2J Corp"')
    assert problems(sneaky) == [
        "line 2, employer: 'Example\\x1b[2J Corp' is not one line of text without control characters"
    ]
    notes = ISSUE_EXAMPLE.replace('notes = "Local processing only."', 'notes = """Line one\\r\\n\\tLine two"""')
    assert read(notes).notes == "Line one\r\n\tLine two"  # line breaks and tabs are fine in the notes
    reason = ISSUE_EXAMPLE.replace('reason = "tenure: 2 years"', 'reason = "tenure\\u0007"')
    assert problems(reason)[0].startswith("line 22, allowance[0].topup[0].reason: 'tenure\\x07' is not one line")
