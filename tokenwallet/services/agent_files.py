"""The files the status line and the guard read: the meter snapshot and the guard's overrides.

Standard library only: these are read on every status-line refresh and every hook call.

The snapshot (``meter.json`` in the cache folder of the tokenwallet home) holds per allowance
what the status line and the guard show: name, unit, remaining, granted, percent used, the reset,
the next expiry, pre-formatted text, the state, plus ``generated_at``, ``valid_until`` (the first
moment its figures change by themselves: a reset or an expiry) and ``stale_after`` (when the
newest data is more than a few missed polls old).  It is written by
:mod:`tokenwallet.services.meter_snapshot`; this module only finds and reads it, fast.

``guard-overrides.json`` (same folder) lists the agent sessions the guard lets through although
the budget says no: ``{"sessions": {ID: {"until": epoch, "at": epoch, "via": "command"|"env"}}}``,
written by :mod:`tokenwallet.services.agent_guard`.

The cache folder is worked out here without platformdirs (importing it costs more than the rest
of the status line); :func:`platform_cache_dir` mirrors platformdirs' ``user_cache_dir`` for
``tokenwallet``, and a test holds the two together.
"""

from __future__ import annotations

import json
import os
import sys

TYPE_CHECKING = False  # typing costs milliseconds to import; the annotations are strings anyway
if TYPE_CHECKING:
    from typing import Any

SCHEMA_VERSION = 1
METER_FILE = "meter.json"
OVERRIDES_FILE = "guard-overrides.json"
REFRESH_LOCK = "meter-refresh.lock"
HOME_ENV = "TOKENWALLET_HOME"
APP_NAME = "tokenwallet"
MAX_BYTES = 1 << 20
"""A meter file larger than this is not ours (a few allowances take a few kilobytes)."""


def platform_cache_dir(environ: dict[str, str] | os._Environ[str] | None = None) -> str:
    """The platform's cache folder for tokenwallet, as ``AppPaths.from_platformdirs().cache_dir``."""
    env = os.environ if environ is None else environ
    if sys.platform == "win32":
        base = env.get("LOCALAPPDATA") or os.path.expanduser(r"~\AppData\Local")
        return os.path.join(os.path.normpath(base), APP_NAME, "Cache")
    xdg = env.get("XDG_CACHE_HOME", "")
    if xdg.startswith("/"):
        return os.path.join(xdg, APP_NAME)
    default = "~/Library/Caches" if sys.platform == "darwin" else "~/.cache"
    return os.path.join(os.path.expanduser(default), APP_NAME)


def cache_dir(home: str | None, environ: dict[str, str] | os._Environ[str] | None = None) -> str:
    """The cache folder of ``home`` (``--home``), else of ``$TOKENWALLET_HOME``, else the platform's."""
    env = os.environ if environ is None else environ
    chosen = home if home is not None else env.get(HOME_ENV) or None
    if chosen:
        return os.path.join(os.path.abspath(os.path.expanduser(chosen)), "cache")
    return platform_cache_dir(env)


def ledger_file(home: str | None, environ: dict[str, str] | os._Environ[str] | None = None) -> str | None:
    """The ledger of an explicit home (None for the platform folders, which only platformdirs knows)."""
    env = os.environ if environ is None else environ
    chosen = home if home is not None else env.get(HOME_ENV) or None
    if chosen:
        return os.path.join(os.path.abspath(os.path.expanduser(chosen)), "data", "ledger.db")
    return None


def read_json(path: str) -> dict[str, Any] | None:
    """A JSON object from ``path``; None when it is missing, too large, unreadable or not an object."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError:
        return None
    if len(data) > MAX_BYTES:
        return None
    try:
        value = json.loads(data)
    except ValueError:  # also UnicodeDecodeError
        return None
    return value if isinstance(value, dict) else None


def read_meter(folder: str) -> dict[str, Any] | None:
    """The meter snapshot in ``folder``, or None when there is none this version can read."""
    meter = read_json(os.path.join(folder, METER_FILE))
    if meter is None or meter.get("schema_version") != SCHEMA_VERSION:
        return None
    if not isinstance(meter.get("allowances"), list):
        return None
    return meter


def pick(meter: dict[str, Any], name: str | None) -> dict[str, Any] | None:
    """The allowance called ``name`` (or with that id), else the snapshot's primary one."""
    rows = [row for row in meter.get("allowances", ()) if isinstance(row, dict)]
    wanted = name if name else meter.get("primary")
    for row in rows:
        if wanted and wanted in (row.get("name"), row.get("id")):
            return row
    if name:
        return None
    return rows[0] if rows else None


def overridden(folder: str, session_id: str, now: float) -> dict[str, Any] | None:
    """The override of ``session_id`` still in force at ``now``, if any."""
    if not session_id:
        return None
    data = read_json(os.path.join(folder, OVERRIDES_FILE)) or {}
    sessions = data.get("sessions")
    entry = sessions.get(session_id) if isinstance(sessions, dict) else None
    if not isinstance(entry, dict):
        return None
    until = entry.get("until")
    if until is not None and (not isinstance(until, int | float) or until <= now):
        return None
    return entry
