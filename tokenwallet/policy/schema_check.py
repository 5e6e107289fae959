"""A small JSON Schema validator for the keywords the policy schema uses.

The policy format is published as a JSON Schema (``policy.schema.json``) so that other tools can
check a file too; tokenwallet validates against that same file with this ~150-line subset of
draft 2020-12 instead of a dependency.  :data:`KEYWORDS` lists what it understands; a test walks
the schema and fails if the schema ever uses a keyword outside it, so the two cannot drift.

Numbers may be ``int`` or ``Decimal`` (the parsers keep decimals exact); ``bool`` is never a number.
Every problem names the path of the value it is about, e.g. ``("allowance", 0, "cadence")``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

Path = tuple[str | int, ...]

KEYWORDS = frozenset(
    {
        # assertions
        "type",
        "enum",
        "const",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "minItems",
        "maxItems",
        "uniqueItems",
        "minLength",
        "maxLength",
        "pattern",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "format",
        "$ref",
        # annotations, ignored
        "$schema",
        "$id",
        "$defs",
        "title",
        "description",
    }
)
"""Every keyword the validator understands (assertions) or knowingly ignores (annotations)."""

_TYPE_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a table",
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a document: the ``path`` of the value and what is wrong with it."""

    path: Path
    message: str


def path_text(path: Path) -> str:
    """``allowance[0].cadence`` for ``("allowance", 0, "cadence")``; the document itself is ``policy``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "policy"


def show(value: Any) -> str:
    """A value as it would be written in the file: ``'fortnightly'``, ``12.5``, ``true``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _is(kind: str, value: Any) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "array":
        return isinstance(value, list)
    if kind == "object":
        return isinstance(value, dict)
    number = isinstance(value, int | Decimal) and not isinstance(value, bool)
    if kind == "number":
        return number and (not isinstance(value, Decimal) or value.is_finite())
    if kind == "integer":
        return number and (isinstance(value, int) or (value.is_finite() and value == value.to_integral_value()))
    raise ValueError(f"the validator does not know the type {kind!r}")


def _date(text: str) -> bool:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return False
    try:
        return 1970 <= date.fromisoformat(text).year <= 2199
    except ValueError:
        return False


def _resolve(root: Mapping[str, Any], ref: str) -> Mapping[str, Any]:
    if not ref.startswith("#/"):
        raise ValueError(f"only local references are supported, not {ref!r}")
    node: Any = root
    for part in ref[2:].split("/"):
        node = node[part]
    return node  # type: ignore[no-any-return]


def validate(instance: Any, schema: Mapping[str, Any]) -> list[Problem]:
    """Every problem of ``instance`` against ``schema``, in document order."""
    return list(_check(instance, schema, schema, ()))


def _check(value: Any, schema: Mapping[str, Any], root: Mapping[str, Any], path: Path) -> Iterator[Problem]:
    if "$ref" in schema:
        yield from _check(value, _resolve(root, schema["$ref"]), root, path)
    if "const" in schema and value != schema["const"]:
        yield Problem(path, f"must be {show(schema['const'])}, not {show(value)}")
        return
    if "enum" in schema and value not in schema["enum"]:
        yield Problem(path, f"{show(value)} is not one of {', '.join(str(v) for v in schema['enum'])}")
        return
    kinds = schema.get("type")
    if kinds is not None:
        kinds = [kinds] if isinstance(kinds, str) else kinds
        if not any(_is(k, value) for k in kinds):
            wanted = " or ".join(_TYPE_WORDS[k] for k in kinds)
            yield Problem(path, f"must be {wanted}, not {show(value)}")
            return
    if isinstance(value, str):
        yield from _string(value, schema, path)
    elif isinstance(value, int | Decimal) and not isinstance(value, bool):
        yield from _number(value, schema, path)
    elif isinstance(value, list):
        yield from _array(value, schema, root, path)
    elif isinstance(value, dict):
        yield from _object(value, schema, root, path)


def _string(value: str, schema: Mapping[str, Any], path: Path) -> Iterator[Problem]:
    if "minLength" in schema and len(value) < schema["minLength"]:
        yield Problem(path, "must not be empty" if schema["minLength"] == 1 else "is too short")
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        yield Problem(path, f"is too long: at most {schema['maxLength']:,} characters")
    if "pattern" in schema and not re.search(schema["pattern"], value):
        yield Problem(path, f"{show(value)} is not {schema.get('description', 'in the expected form')}")
    if schema.get("format") == "date" and not _date(value):
        yield Problem(path, f"{show(value)} is not a date from 1970-01-01 to 2199-12-31 (YYYY-MM-DD)")


def _number(value: int | Decimal, schema: Mapping[str, Any], path: Path) -> Iterator[Problem]:
    if "minimum" in schema and value < schema["minimum"]:
        yield Problem(path, f"must be at least {schema['minimum']:,}, not {show(value)}")
    if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
        yield Problem(path, f"must be more than {schema['exclusiveMinimum']:,}, not {show(value)}")
    if "maximum" in schema and value > schema["maximum"]:
        yield Problem(path, f"must be at most {schema['maximum']:,}, not {show(value)}")


def _array(value: list[Any], schema: Mapping[str, Any], root: Mapping[str, Any], path: Path) -> Iterator[Problem]:
    if "minItems" in schema and len(value) < schema["minItems"]:
        yield Problem(path, f"needs at least {schema['minItems']} item{'s' if schema['minItems'] != 1 else ''}")
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        yield Problem(path, f"has {len(value):,} items; at most {schema['maxItems']:,} are allowed")
    if schema.get("uniqueItems"):
        seen: list[Any] = []
        for index, item in enumerate(value):
            if item in seen:
                yield Problem((*path, index), f"{show(item)} is listed twice")
            seen.append(item)
    if "items" in schema:
        for index, item in enumerate(value):
            yield from _check(item, schema["items"], root, (*path, index))


def _object(value: dict[str, Any], schema: Mapping[str, Any], root: Mapping[str, Any], path: Path) -> Iterator[Problem]:
    properties: Mapping[str, Any] = schema.get("properties", {})
    for name in schema.get("required", ()):
        if name not in value:
            yield Problem((*path, name), "is required but missing")
    extra = schema.get("additionalProperties", True)
    for name, item in value.items():
        if name in properties:
            yield from _check(item, properties[name], root, (*path, name))
        elif extra is False:
            close = difflib.get_close_matches(name, list(properties), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known fields: {', '.join(properties)}"
            yield Problem((*path, name), f"is not a field of the policy format{hint}")
        elif isinstance(extra, Mapping):
            yield from _check(item, extra, root, (*path, name))
