"""User settings: one human-editable TOML file, validated on load, written atomically.

Unknown keys are reported (they are kept out of the loaded value, and a warning lists them) and
bad values raise :class:`ConfigError` naming the key, the value and what is allowed.
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from tokenwallet.domain.errors import ConfigError
from tokenwallet.domain.limits import MAX_DAYS, MAX_USD

PAY_PERIODS = ("monthly", "yearly")
"""How often the pay in ``pay_amount`` is paid: ``monthly`` or ``yearly`` (a twelfth of it a month)."""
LEGACY_KEYS = {"monthly_salary": "pay_amount"}
"""Keys of older versions read into their successor (with ``pay_period`` monthly) and dropped on save."""

MIN_POLL_MINUTES = 1
MAX_POLL_MINUTES = MAX_DAYS * 24 * 60
"""The longest poll interval: the longest duration tokenwallet handles (ten years), in minutes."""


class Settings(msgspec.Struct, frozen=True):
    """Everything the user can set in the settings file or the settings dialog."""

    poll_interval_minutes: int = 5
    timezone: str = ""  # "" means the system's zone
    display_currency: str = "USD"
    currency_rate: str = "1"  # units of display_currency per USD, as text to stay exact
    number_grouping: str = "western"  # "western" (1,234,567) or "indian" (12,34,567)
    notifications: bool = True
    quiet_hours_start: str = ""  # "22:00"; empty disables quiet hours
    quiet_hours_end: str = ""
    start_at_login: bool = False
    hide_amounts: bool = False
    primary_allowance: str = ""
    pay_amount: str = ""  # the user's pay per pay_period, as text to stay exact; "" when not given
    pay_currency: str = ""  # "" (the display currency) or "USD"; see monthly_pay_usd
    pay_period: str = "monthly"  # "monthly" or "yearly"
    import_local_logs: bool = True
    alert_hook: str = ""  # absolute path of a program run for each alert (no shell); optional

    def replace(self, **changes: Any) -> Settings:
        """Return a validated copy with ``changes`` applied."""
        updated = msgspec.structs.replace(self, **changes)
        validate(updated)
        return updated

    def zone(self) -> ZoneInfo:
        """The user's time zone (the system's when unset)."""
        return ZoneInfo(self.timezone) if self.timezone else local_zone()


def monthly_pay(settings: Settings) -> tuple[Decimal, str] | None:
    """The user's pay per month and its currency (a yearly pay counts a twelfth), or None when not given."""
    if not settings.pay_amount:
        return None
    amount = Decimal(settings.pay_amount)
    if settings.pay_period == "yearly":
        amount = amount / 12
    return amount, settings.pay_currency or settings.display_currency


def monthly_pay_usd(settings: Settings) -> Decimal | None:
    """The pay per month in US dollars (a pay in the display currency through ``currency_rate``), or None."""
    pay = monthly_pay(settings)
    if pay is None:
        return None
    amount, currency = pay
    return amount if currency == "USD" else amount / Decimal(settings.currency_rate)


def monthly_pay_in_display_currency(settings: Settings) -> Decimal | None:
    """The pay per month in the display currency (a pay in USD times ``currency_rate``), or None."""
    pay = monthly_pay(settings)
    if pay is None:
        return None
    amount, currency = pay
    if currency == settings.display_currency:
        return amount
    return amount * Decimal(settings.currency_rate)


def local_zone() -> ZoneInfo:
    """The system's time zone as a named ZoneInfo, or UTC when the system does not name one.

    ``tzlocal`` reads ``TZ``, ``/etc/timezone``, the ``/etc/localtime`` link and the other Unix
    conventions, or the Windows registry (with ``tzdata`` providing the zone files there).  It
    reads them once per run; a change of the system's zone shows after a restart.
    """
    try:
        from tzlocal import get_localzone_name

        name = get_localzone_name()
    except Exception:  # conflicting or unreadable configuration: tzlocal raises (or warns) in many ways
        name = None
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


_FIELDS = frozenset(Settings.__struct_fields__)


def _check_time(key: str, value: str) -> None:
    if value == "":
        return
    parts = value.split(":")
    if (
        len(parts) != 2
        or not all(p.isdigit() for p in parts)
        or not (0 <= int(parts[0]) < 24 and 0 <= int(parts[1]) < 60)
    ):
        raise ConfigError(f"settings: {key} = {value!r} is not a time; use HH:MM, e.g. 22:00")


def validate(settings: Settings) -> None:
    """Raise :class:`ConfigError` for the first bad value, naming the key and what is allowed."""
    if not MIN_POLL_MINUTES <= settings.poll_interval_minutes <= MAX_POLL_MINUTES:
        raise ConfigError(
            f"settings: poll_interval_minutes = {settings.poll_interval_minutes} is out of range; "
            f"use {MIN_POLL_MINUTES} to {MAX_POLL_MINUTES:,} (ten years)"
        )
    if settings.timezone:
        try:
            ZoneInfo(settings.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(
                f"settings: timezone = {settings.timezone!r} is not a known time zone; "
                "use an IANA name such as Europe/Berlin or Asia/Kolkata"
            ) from exc
    if settings.number_grouping not in ("western", "indian"):
        raise ConfigError(f"settings: number_grouping = {settings.number_grouping!r}; use 'western' or 'indian'")
    if len(settings.display_currency) != 3 or not settings.display_currency.isalpha():
        raise ConfigError(
            f"settings: display_currency = {settings.display_currency!r}; use a 3-letter code like USD or INR"
        )
    from decimal import InvalidOperation

    for key in ("currency_rate", "pay_amount"):
        text = getattr(settings, key)
        if key == "pay_amount" and text == "":
            continue
        try:
            number = Decimal(text)
        except InvalidOperation as exc:
            raise ConfigError(f"settings: {key} = {text!r} is not a number") from exc
        if not number.is_finite() or number <= 0:
            raise ConfigError(f"settings: {key} = {text!r} must be a positive number")
        if number > MAX_USD:
            # A rate or a pay this large overflows every figure converted with it.
            raise ConfigError(f"settings: {key} = {text!r} is too large; use a positive number up to {MAX_USD:,}")
    if settings.pay_period not in PAY_PERIODS:
        raise ConfigError(f"settings: pay_period = {settings.pay_period!r}; use 'monthly' or 'yearly'")
    if settings.pay_currency not in ("", "USD", settings.display_currency):
        raise ConfigError(
            f"settings: pay_currency = {settings.pay_currency!r}; give the pay in USD or in the display currency "
            f"({settings.display_currency}), whose rate per USD is known (or leave it empty for the display currency)"
        )
    if settings.alert_hook and not os.path.isabs(settings.alert_hook):
        raise ConfigError(
            f"settings: alert_hook = {settings.alert_hook!r} must be an absolute path to a program (or empty)"
        )
    _check_time("quiet_hours_start", settings.quiet_hours_start)
    _check_time("quiet_hours_end", settings.quiet_hours_end)


def _upgraded(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with the keys of older versions read into their successors (a newer key wins)."""
    data = dict(data)
    for old, new in LEGACY_KEYS.items():
        if old in data:
            value = data.pop(old)
            if new not in data and value != "":
                data[new] = value
                data.setdefault("pay_period", "monthly")
    return data


def from_mapping(data: dict[str, Any], *, origin: str = "settings") -> tuple[Settings, list[str]]:
    """Build settings from a parsed mapping; return them with the list of unknown keys.

    ``monthly_salary`` of older versions is read as ``pay_amount`` paid monthly.
    """
    known: dict[str, Any] = {}
    unknown: list[str] = []
    for key, value in _upgraded(data).items():
        if key not in _FIELDS:
            unknown.append(key)
            continue
        expected = type(getattr(Settings(), key))
        if expected is int and (not isinstance(value, int) or isinstance(value, bool)):
            raise ConfigError(f"{origin}: {key} = {value!r} must be a whole number")
        if expected is bool and not isinstance(value, bool):
            raise ConfigError(f"{origin}: {key} = {value!r} must be true or false")
        if expected is str:
            if isinstance(value, int | float) and not isinstance(value, bool):
                value = str(value)
            if not isinstance(value, str):
                raise ConfigError(f"{origin}: {key} = {value!r} must be text")
        known[key] = value
    settings = Settings(**known)
    validate(settings)
    return settings, unknown


def load(path: Path) -> tuple[Settings, list[str]]:
    """Load settings (defaults when the file does not exist); return them with unknown keys."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings(), []
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"settings file {path} is not UTF-8 text (byte {exc.start} cannot be read); save it as UTF-8 or delete it"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read settings file {path}: {exc.strerror}") from exc
    import tomllib  # only when there is a settings file to read

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"settings file {path} is not valid TOML: {exc}; fix or delete it") from exc
    return from_mapping(data, origin=str(path))


HEADER = "# tokenwallet settings. Edit while the app is closed, or use the Settings dialog."


def dumps(settings: Settings, existing: str | None = None) -> str:
    """Render settings as TOML, keeping the comments, layout and unknown keys of ``existing``.

    Every setting is written (changed values in place, missing ones added); strings are escaped
    by ``tomlkit``, so control characters and quotes always give valid TOML.  Without
    ``existing`` the file is a short header comment and every setting.
    """
    import tomlkit

    if existing is None:
        doc = tomlkit.document()
        doc.add(tomlkit.comment(HEADER.removeprefix("# ")))
        doc.add(tomlkit.nl())
    else:
        doc = tomlkit.parse(existing)
    plain = doc.unwrap()
    for old in LEGACY_KEYS:
        if old in doc:
            del doc[old]  # read into its successor on load, which is written below
    for name in Settings.__struct_fields__:  # in the order of the class
        value = getattr(settings, name)
        # An unchanged value keeps its line exactly as the user wrote it (a comment, an inline table...).
        if name not in plain or type(plain[name]) is not type(value) or plain[name] != value:
            doc[name] = value
    return tomlkit.dumps(doc)


def save(path: Path, settings: Settings) -> None:
    """Validate and write atomically (:func:`tokenwallet.files.atomic_write`, mode 0600); :class:`ConfigError` if not.

    The file on disk is updated rather than rewritten: the user's comments, the order of the
    keys and keys this version does not know stay as they were.
    """
    from tokenwallet.files import atomic_write, make_private_dirs

    validate(settings)
    existing = _read_for_update(path)
    text = dumps(settings, existing)
    try:
        make_private_dirs(path.parent)
        atomic_write(path, text.encode("utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot save settings file {path}: {exc.strerror or exc}; nothing was changed") from exc


def _read_for_update(path: Path) -> str | None:
    """The current file's text to update, None when there is none; a file that cannot be kept is an error."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        raise ConfigError(f"settings file {path} is not UTF-8 text; fix or delete it, then save again") from None
    except OSError as exc:
        raise ConfigError(f"cannot read settings file {path}: {exc.strerror}") from exc
    import tomllib

    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"settings file {path} is not valid TOML ({exc}); fix or delete it, then save again") from exc
    return text
