"""Read a policy file (TOML or JSON) into a :class:`~tokenwallet.policy.model.Policy`, or say why not.

Three checks, each reporting every mistake it finds with the line and the field:

1. the syntax (``tomllib`` or ``json``, numbers kept as exact decimals);
2. the published JSON Schema (``policy.schema.json``, see :mod:`tokenwallet.policy.schema_check`);
3. what a schema cannot say: the bounds of :mod:`tokenwallet.domain.limits` per unit (dollars up
   to 10^12, tokens up to 2^53), anchor days that fit the cadence, known time zones, top-ups that
   expire after they are granted, vesting that fits in ten years, unique allowance names.

A failure is a :class:`~tokenwallet.domain.errors.PolicyFileError` whose lines read like
``line 14, allowance[0].cadence: 'fortnightly' is not one of daily, weekly, ...``.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator, Mapping
from datetime import date, datetime, time
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

from tokenwallet.budget.inputs import parse_amount, parse_zone
from tokenwallet.domain.allowance import Cadence, Unit
from tokenwallet.domain.errors import PolicyFileError, UserInputError
from tokenwallet.domain.limits import MAX_DAYS
from tokenwallet.domain.money import micros_to_decimal
from tokenwallet.policy.locate import Lines, json_lines, line_of, toml_lines
from tokenwallet.policy.model import (
    SCHEMA_ID,
    Every,
    Policy,
    PolicyAllowance,
    Restrictions,
    Rollover,
    Topup,
    Vesting,
)
from tokenwallet.policy.schema_check import Path, Problem, path_text, show, validate
from tokenwallet.policy.vesting import last_day

MAX_FILE_BYTES = 1_000_000
"""A policy is a short document; anything larger is refused before it is parsed."""
MAX_PROBLEMS = 25
"""At most this many mistakes are listed; fixing them shows the rest."""


@cache
def schema() -> dict[str, Any]:
    """The published JSON Schema of the policy format (a copy of ``resources/policy.schema.json``)."""
    text = resources.files("tokenwallet.policy").joinpath("policy.schema.json").read_text(encoding="utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def _plain(value: Any) -> Any:
    """TOML values as their JSON form: dates become ``YYYY-MM-DD`` text, the rest stays."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime | time):
        return value.isoformat()  # the schema refuses it: a policy speaks in days
    if isinstance(value, date):
        return value.isoformat()
    return value


def _is_json(text: str, name: str) -> bool:
    lowered = name.lower()
    if lowered.endswith(".json"):
        return True
    if lowered.endswith(".toml"):
        return False
    return text.lstrip().startswith("{")


def load_document(data: bytes, name: str) -> tuple[dict[str, Any], Lines]:
    """The document in ``data`` as plain JSON values, and the line of each of its values."""
    if len(data) > MAX_FILE_BYTES:
        raise PolicyFileError(name, [f"the file is {len(data):,} bytes; a policy is at most {MAX_FILE_BYTES:,}"])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PolicyFileError(name, [f"the file is not UTF-8 text (byte {exc.start:,})"]) from None
    if _is_json(text, name):
        try:
            document = json.loads(text, parse_float=Decimal)
        except json.JSONDecodeError as exc:
            raise PolicyFileError(name, [f"line {exc.lineno}: {exc.msg} (column {exc.colno})"]) from None
        except RecursionError:
            raise PolicyFileError(name, ["the document is nested too deeply"]) from None
        if not isinstance(document, dict):
            raise PolicyFileError(name, ["line 1: a policy is a JSON object ({ ... })"])
        return document, json_lines(text)
    try:
        document = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = re.search(r"\(at line (\d+), column (\d+)\)$", message)
        if found:
            message = f"line {found[1]}: {message[: found.start()].strip()} (column {found[2]})"
        raise PolicyFileError(name, [message]) from None
    except RecursionError:
        raise PolicyFileError(name, ["the document is nested too deeply"]) from None
    return _plain(document), toml_lines(text)


def _amount(value: Decimal | int, unit: Unit, what: str) -> int:
    text = f"{value:f}" if isinstance(value, Decimal) else str(value)
    return parse_amount(text, unit, what=what)


class _Reader:
    """Turns a schema-valid document into typed values, collecting what is still wrong."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        self.problems: list[Problem] = []

    def problem(self, path: Path, message: str) -> None:
        self.problems.append(Problem(path, message))

    def amount(self, value: Decimal | int, unit: Unit, path: Path, what: str) -> int:
        try:
            return _amount(value, unit, what)
        except UserInputError as exc:
            self.problem(path, str(exc))
            return 1

    def policy(self) -> Policy:
        doc = self.document
        names: dict[str, int] = {}
        allowances = []
        for index, raw in enumerate(doc["allowance"]):
            path: Path = ("allowance", index)
            if raw["name"] in names:
                self.problem((*path, "name"), f"{raw['name']!r} is already the name of allowance[{names[raw['name']]}]")
            names.setdefault(raw["name"], index)
            allowances.append(self.allowance(raw, path))
        limits = doc.get("restrictions", {})
        return Policy(
            employer=doc["employer"],
            policy_id=doc["policy_id"],
            revision=int(doc["revision"]),
            effective=date.fromisoformat(doc["effective"]),
            allowances=tuple(allowances),
            restrictions=Restrictions(
                providers=tuple(limits.get("providers", ())),
                models=tuple(limits.get("models", ())),
                regions=tuple(limits.get("regions", ())),
            ),
            notes=doc.get("notes", ""),
        )

    def allowance(self, raw: Mapping[str, Any], path: Path) -> PolicyAllowance:
        unit, cadence = Unit(raw["unit"]), Cadence(raw["cadence"])
        anchor = int(raw.get("anchor_day", 1))
        if cadence is Cadence.WEEKLY and anchor > 7:
            self.problem((*path, "anchor_day"), f"{anchor} is not a weekday; use 1 (Monday) to 7 (Sunday)")
        if cadence in (Cadence.DAILY, Cadence.ONE_OFF) and anchor != 1:
            self.problem((*path, "anchor_day"), f"an anchor day does not apply to a {cadence.value} allowance")
        zone = raw.get("timezone")
        if zone is not None:
            try:
                parse_zone(zone)
            except UserInputError as exc:
                self.problem((*path, "timezone"), str(exc))
        starts = date.fromisoformat(raw["starts"]) if "starts" in raw else None
        ends = date.fromisoformat(raw["ends"]) if "ends" in raw else None
        if cadence is Cadence.ONE_OFF and ends is None:
            self.problem((*path, "ends"), "a one-off allowance needs the last day it lasts, e.g. ends = 2026-12-31")
        if starts and ends and ends < starts:
            self.problem((*path, "ends"), f"{ends} is before the start {starts}")
        rollover = None
        if "rollover" in raw:
            if cadence is Cadence.ONE_OFF:
                self.problem((*path, "rollover"), "a one-off allowance has no next period to roll over into")
            rollover = Rollover(
                cap=self.amount(raw["rollover"]["cap"], unit, (*path, "rollover", "cap"), "rollover cap")
                if "cap" in raw["rollover"]
                else None,
                expires_days=raw["rollover"].get("expires_days"),
            )
        return PolicyAllowance(
            name=raw["name"],
            unit=unit,
            amount=self.amount(raw["amount"], unit, (*path, "amount"), "amount"),
            cadence=cadence,
            anchor_day=anchor,
            timezone=zone,
            starts=starts,
            ends=ends,
            rollover=rollover,
            providers=tuple(raw.get("providers", ())),
            models=tuple(raw.get("models", ())),
            transferable=bool(raw.get("transferable", False)),
            cash_value=bool(raw.get("cash_value", False)),
            topups=tuple(self.topup(t, unit, (*path, "topup", i)) for i, t in enumerate(raw.get("topup", ()))),
            vesting=self.vesting(raw["vesting"], unit, (*path, "vesting")) if "vesting" in raw else None,
            given=frozenset(raw),
        )

    def topup(self, raw: Mapping[str, Any], unit: Unit, path: Path) -> Topup:
        granted = date.fromisoformat(raw["granted"])
        expires = date.fromisoformat(raw["expires"]) if "expires" in raw else None
        if expires is not None and expires < granted:
            self.problem((*path, "expires"), f"{expires} is before the day it is granted ({granted})")
        return Topup(
            amount=self.amount(raw["amount"], unit, (*path, "amount"), "top-up amount"),
            granted=granted,
            reason=raw.get("reason", ""),
            expires=expires,
        )

    def vesting(self, raw: Mapping[str, Any], unit: Unit, path: Path) -> Vesting:
        vesting = Vesting(
            total=self.amount(raw["total"], unit, (*path, "total"), "vesting total"),
            start=date.fromisoformat(raw["start"]),
            instalments=int(raw["instalments"]),
            every=Every(raw["every"]),
            cliff=int(raw.get("cliff", 0)),
        )
        if vesting.cliff > vesting.instalments:
            self.problem(
                (*path, "cliff"), f"a cliff of {vesting.cliff} is longer than the {vesting.instalments} instalments"
            )
        elif (last_day(vesting) - vesting.start).days > MAX_DAYS or last_day(vesting).year > 2199:
            self.problem(
                (*path, "instalments"),
                f"{vesting.instalments} instalments every {vesting.every.value} last past ten years "
                f"({MAX_DAYS:,} days) or past 2199; vest in fewer or shorter steps",
            )
        elif vesting.total < vesting.instalments:
            self.problem((*path, "total"), f"{show(raw['total'])} cannot be split into {vesting.instalments} parts")
        return vesting


def _located(name: str, problems: list[Problem], lines: Lines) -> PolicyFileError:
    def where(problem: Problem) -> tuple[int, str]:
        line = line_of(lines, problem.path)
        return (line or 0, f"line {line}, " if line else "")

    ordered = sorted(problems, key=lambda p: where(p)[0])
    shown = [f"{where(p)[1]}{path_text(p.path)}: {p.message}" for p in ordered[:MAX_PROBLEMS]]
    if len(ordered) > MAX_PROBLEMS:
        shown.append(f"... and {len(ordered) - MAX_PROBLEMS} more")
    return PolicyFileError(name, shown, field=path_text(ordered[0].path))


def _problems(document: Mapping[str, Any]) -> Iterator[Problem]:
    yield from validate(document, schema())


def from_document(document: Mapping[str, Any], *, name: str = "the policy", lines: Lines | None = None) -> Policy:
    """Validate a document (plain JSON values) and return the policy it describes."""
    problems = list(_problems(document))
    if not problems:
        reader = _Reader(document)
        policy = reader.policy()
        problems = reader.problems
        if not problems:
            return policy
    raise _located(name, problems, lines or {})


def read_policy(data: bytes, name: str) -> Policy:
    """Parse and validate a policy file's bytes (TOML, or JSON by its name or its first character)."""
    document, lines = load_document(data, name)
    return from_document(document, name=name, lines=lines)


def _amount_value(value: int, unit: Unit) -> int | float | Decimal:
    """An amount as the file would write it: tokens, or dollars (a float only where that is exact)."""
    if unit is Unit.TOKENS:
        return value
    dollars = micros_to_decimal(value).normalize()
    if dollars == dollars.to_integral_value():
        return int(dollars)
    as_float = float(dollars)
    return as_float if Decimal(repr(as_float)) == dollars else dollars


def dump_document(document: Mapping[str, Any]) -> str:
    """Compact, key-sorted JSON of a policy document; decimals are written as exact numbers."""

    def mark(value: Any) -> Any:
        if isinstance(value, Decimal):
            return f"\x00decimal:{value:f}"
        if isinstance(value, dict):
            return {k: mark(v) for k, v in value.items()}
        if isinstance(value, list):
            return [mark(v) for v in value]
        return value

    text = json.dumps(mark(document), separators=(",", ":"), sort_keys=True)
    return re.sub(r'"\\u0000decimal:([-0-9.]+)"', r"\1", text)


def to_document(policy: Policy) -> dict[str, Any]:
    """The policy as a version 1 JSON document (amounts in dollars or tokens, dates as text).

    Optional fields whose absence means something (no zone: the user's; no providers: any) appear
    only when the file gave them; the rest always appear, with their defaults, so two files that
    say the same thing have the same document.
    """
    amount = _amount_value

    allowances = []
    for a in policy.allowances:
        item: dict[str, Any] = {
            "name": a.name,
            "unit": a.unit.value,
            "amount": amount(a.amount, a.unit),
            "cadence": a.cadence.value,
            "anchor_day": a.anchor_day,
            "transferable": a.transferable,
            "cash_value": a.cash_value,
        }
        optional: dict[str, Any] = {
            "timezone": a.timezone,
            "starts": a.starts.isoformat() if a.starts else None,
            "ends": a.ends.isoformat() if a.ends else None,
            "rollover": None
            if a.rollover is None
            else {
                k: v
                for k, v in (
                    ("cap", None if a.rollover.cap is None else amount(a.rollover.cap, a.unit)),
                    ("expires_days", a.rollover.expires_days),
                )
                if v is not None
            },
            "providers": list(a.providers),
            "models": list(a.models),
            "topup": [
                {
                    "amount": amount(t.amount, a.unit),
                    **({"reason": t.reason} if t.reason else {}),
                    "granted": t.granted.isoformat(),
                    **({"expires": t.expires.isoformat()} if t.expires else {}),
                }
                for t in a.topups
            ],
            "vesting": None
            if a.vesting is None
            else {
                "total": amount(a.vesting.total, a.unit),
                "start": a.vesting.start.isoformat(),
                "instalments": a.vesting.instalments,
                "every": a.vesting.every.value,
                "cliff": a.vesting.cliff,
            },
        }
        item.update({k: v for k, v in optional.items() if k in a.given})
        allowances.append(item)
    document: dict[str, Any] = {
        "schema": SCHEMA_ID,
        "employer": policy.employer,
        "policy_id": policy.policy_id,
        "revision": policy.revision,
        "effective": policy.effective.isoformat(),
        "allowance": allowances,
    }
    r = policy.restrictions
    if r.any:
        document["restrictions"] = {
            k: list(v) for k, v in (("providers", r.providers), ("models", r.models), ("regions", r.regions)) if v
        }
    if policy.notes:
        document["notes"] = policy.notes
    return document
