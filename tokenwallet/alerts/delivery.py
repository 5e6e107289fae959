"""The delivery port: how a fired alert reaches the user.

A delivery is any callable taking a :class:`Notice`.  The service hands each batch of alerts to one
delivery as a single notice (a summary when there are several), after the events are recorded, so
a failing delivery never loses an alert: it stays in the history and the audit log.  Every text of
a notice is redacted (:func:`tokenwallet.domain.redaction.redact`) before any channel sees it, so
no key reaches a notification, the log or a hook's environment and standard input.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Protocol

import msgspec
from msgspec.structs import replace

from tokenwallet.domain.errors import UserInputError
from tokenwallet.domain.redaction import redact

log = logging.getLogger(__name__)

APP_NAME = "tokenwallet"
_URGENCY = {"info": 0, "warning": 1, "critical": 2}
MASK = "•••"
"""What a hidden amount looks like (the dashboard's mask too)."""
_AMOUNT = re.compile(r"-?[$€£₹¥]\s?\d[\d,]*(?:\.\d+)?|\d[\d,]*(?:\.\d+)?\s?(?:tokens|tok)\b")
"""Money as the alerts write it (``$1,234.56``, or another currency's symbol) and token counts; not percents,
days or dates."""


class Notice(msgspec.Struct, frozen=True):
    """What the user is told: one alert, or a summary of several (``count`` > 1)."""

    title: str
    body: str
    severity: str = "warning"
    count: int = 1
    event_ids: tuple[int, ...] = ()
    lines: tuple[str, ...] = ()


def redacted(notice: Notice) -> Notice:
    """``notice`` with every known key and anything key-shaped removed from its texts."""
    return replace(
        notice, title=redact(notice.title), body=redact(notice.body), lines=tuple(redact(x) for x in notice.lines)
    )


def without_amounts(notice: Notice) -> Notice:
    """``notice`` with every amount of money and every token count masked (percentages and dates stay).

    What a screen-sharing user sees when "hide amounts" is on: the alert still says which
    allowance and how far it is used ("Work: 80% used"), never how much.
    """

    def mask(text: str) -> str:
        return _AMOUNT.sub(MASK, text)

    return replace(notice, title=mask(notice.title), body=mask(notice.body), lines=tuple(mask(x) for x in notice.lines))


class AmountsHidden:
    """A delivery that masks amounts (:func:`without_amounts`) while ``hidden()`` says so, then hands on."""

    def __init__(self, delivery: Callable[[Notice], None], hidden: Callable[[], bool]) -> None:
        self.delivery = delivery
        self.hidden = hidden

    def __call__(self, notice: Notice) -> None:
        """Deliver ``notice``, masked when amounts are hidden at this moment."""
        self.delivery(without_amounts(notice) if self.hidden() else notice)


class Delivery(Protocol):
    """Anything that can show a notice; raising is allowed (the composite logs and goes on)."""

    def __call__(self, notice: Notice) -> None:
        """Deliver ``notice``."""


class DbusNotifier:
    """``org.freedesktop.Notifications.Notify`` on the session bus, through jeepney (Linux desktops)."""

    def __init__(self, *, timeout_ms: int = 8000, icon: str = "dialog-warning") -> None:
        self.timeout_ms = timeout_ms
        self.icon = icon

    def __call__(self, notice: Notice) -> None:
        """Send one Notify call and wait (briefly) for the server's reply."""
        from jeepney import DBusAddress, new_method_call
        from jeepney.io.blocking import open_dbus_connection

        addr = DBusAddress(
            "/org/freedesktop/Notifications",
            bus_name="org.freedesktop.Notifications",
            interface="org.freedesktop.Notifications",
        )
        hints = {"urgency": ("y", _URGENCY.get(notice.severity, 1))}
        body: tuple[object, ...] = (APP_NAME, 0, self.icon, notice.title, notice.body, [], hints, self.timeout_ms)
        with open_dbus_connection(bus="SESSION") as conn:
            conn.send_and_get_reply(new_method_call(addr, "Notify", "susssasa{sv}i", body), timeout=5)


HOOK_ENV_ALLOWLIST = (
    "PATH",
    "HOME",
    "LANG",
    "LC_ALL",
    "TZ",
    "USER",
    "XDG_RUNTIME_DIR",
    "DISPLAY",
    "WAYLAND_DISPLAY",
    "DBUS_SESSION_BUS_ADDRESS",
    "SYSTEMROOT",
)


class HookCommand:
    """Run a user's program for each notice: absolute path, no shell, allowlisted environment.

    The program gets ``TOKENWALLET_ALERT_TITLE``, ``_BODY``, ``_SEVERITY`` and ``_COUNT`` in its
    environment and the notice as JSON on standard input.  No key or other secret is ever passed.
    """

    def __init__(self, path: str, *, timeout: float = 10.0, environ: Mapping[str, str] | None = None) -> None:
        program = Path(path)
        if not program.is_absolute():
            raise UserInputError(f"alert hook {path!r} is not an absolute path; give the full path to the program")
        if not program.is_file() or not os.access(program, os.X_OK):
            raise UserInputError(f"alert hook {path} is not an executable file")
        self.path = str(program)
        self.timeout = timeout
        self._environ = os.environ if environ is None else environ

    def environment(self, notice: Notice) -> dict[str, str]:
        """The hook's whole environment: allowlisted variables plus the (redacted) notice."""
        notice = redacted(notice)
        env = {k: self._environ[k] for k in HOOK_ENV_ALLOWLIST if k in self._environ}
        env.update(
            TOKENWALLET_ALERT_TITLE=notice.title,
            TOKENWALLET_ALERT_BODY=notice.body,
            TOKENWALLET_ALERT_SEVERITY=notice.severity,
            TOKENWALLET_ALERT_COUNT=str(notice.count),
        )
        return env

    def __call__(self, notice: Notice) -> None:
        """Run the hook; a non-zero exit or a timeout is logged by the composite."""
        import subprocess  # only when a hook runs (checking alerts usually delivers nothing)

        notice = redacted(notice)
        payload = {
            "title": notice.title,
            "body": notice.body,
            "severity": notice.severity,
            "count": notice.count,
            "lines": list(notice.lines),
        }
        subprocess.run(  # a list, no shell; absolute path checked above
            [self.path],
            input=json.dumps(payload),
            text=True,
            env=self.environment(notice),
            timeout=self.timeout,
            check=True,
            capture_output=True,
        )


class LogDelivery:
    """Write each notice to the log (the always-on channel)."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self.logger = logger or log

    def __call__(self, notice: Notice) -> None:
        """Log the notice at WARNING (INFO for recoveries)."""
        level = logging.INFO if notice.severity == "info" else logging.WARNING
        self.logger.log(level, "alert: %s - %s", notice.title, notice.body)


class CompositeDelivery:
    """Hand a notice to several deliveries; one failing does not stop the others."""

    def __init__(self, deliveries: Sequence[Callable[[Notice], None]]) -> None:
        self.deliveries = list(deliveries)

    def __call__(self, notice: Notice) -> None:
        """Deliver the redacted notice to each in turn, logging failures."""
        notice = redacted(notice)
        for delivery in self.deliveries:
            try:
                delivery(notice)
            except Exception as exc:  # any channel may fail; the others must still run
                log.warning("alert delivery %s failed: %s", type(delivery).__name__, exc)


def default_delivery(hook: str | None = None, *, hide_amounts: Callable[[], bool] | None = None) -> CompositeDelivery:
    """Log, plus D-Bus Notify on Linux, plus the hook command when one is set.

    A hook that is missing or not executable is reported in the log and left out: alerts are
    still recorded and shown, and polling goes on.  While ``hide_amounts()`` is true the desktop
    notification shows no amounts (:func:`without_amounts`); the log and the hook get the whole text.
    """
    channels: list[Callable[[Notice], None]] = [LogDelivery()]
    if sys.platform.startswith("linux"):
        desktop: Callable[[Notice], None] = DbusNotifier()
        channels.append(AmountsHidden(desktop, hide_amounts) if hide_amounts is not None else desktop)
    if hook:
        try:
            channels.append(HookCommand(hook))
        except UserInputError as exc:
            log.warning("%s; alerts are delivered without it until alert_hook in the settings is fixed", exc)
    return CompositeDelivery(channels)
