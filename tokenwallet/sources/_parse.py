"""Small checked readers for provider JSON: a wrong type becomes a schema error, never a crash."""

from __future__ import annotations

from typing import Any

from tokenwallet.domain.errors import ProviderSchemaError
from tokenwallet.domain.money import Micros, cents_to_micros, usd_to_micros


def obj(value: Any, provider: str, what: str) -> dict[str, Any]:
    """``value`` as a JSON object."""
    if not isinstance(value, dict):
        raise ProviderSchemaError(
            f"{provider} sent an unexpected body: {what} is not an object", provider=provider, status=200
        )
    return value


def items(value: Any, provider: str, what: str) -> list[Any]:
    """``value`` as a JSON array (null counts as empty)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise ProviderSchemaError(
            f"{provider} sent an unexpected body: {what} is not a list", provider=provider, status=200
        )
    return value


def count(row: dict[str, Any], key: str, provider: str, *, required: bool = False) -> int:
    """An integer field; optional ones default to 0."""
    value = row.get(key)
    if value is None:
        if required:
            raise ProviderSchemaError(
                f"{provider} sent an unexpected body: {key} is missing", provider=provider, status=200
            )
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ProviderSchemaError(f"{provider} sent an unexpected body: {key}={value!r}", provider=provider, status=200)
    return int(value)


def text(row: dict[str, Any], key: str) -> str:
    """A string field; null and missing become ``""``."""
    value = row.get(key)
    return "" if value is None else str(value)


def dollars(value: Any, provider: str, what: str) -> Micros | None:
    """Dollars (JSON number or decimal string) to micro-USD; null stays None."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ProviderSchemaError(
            f"{provider} sent an unexpected body: {what}={value!r}", provider=provider, status=200
        )
    try:
        return usd_to_micros(value)
    except (ValueError, AttributeError):
        raise ProviderSchemaError(
            f"{provider} sent an unexpected body: {what}={value!r}", provider=provider, status=200
        ) from None


def cents(value: Any, provider: str, what: str) -> Micros:
    """Cents (decimal string or number) to micro-USD, exactly."""
    if value is None or isinstance(value, bool):
        raise ProviderSchemaError(
            f"{provider} sent an unexpected body: {what}={value!r}", provider=provider, status=200
        )
    try:
        return cents_to_micros(value)
    except (ValueError, AttributeError):
        raise ProviderSchemaError(
            f"{provider} sent an unexpected body: {what}={value!r}", provider=provider, status=200
        ) from None
