"""Reading and writing an agent's own settings file without losing anything in it.

* JSON (Claude Code, Gemini CLI, Codex's ``hooks.json``) is read strictly.  A file with comments
  (Gemini CLI accepts them) is refused rather than rewritten without its comments; the message
  gives the entries to add by hand.  Key order is kept; the file is written with two-space
  indentation.
* TOML (Codex's ``config.toml``) is edited with tomlkit, which keeps comments, order and layout.
* Before a file is changed a copy is kept next to it (``NAME.tokenwallet-backup-YYYYmmdd-HHMMSS``);
  the new text replaces the old atomically (:func:`tokenwallet.files.atomic_write`) with the old
  file's mode; a settings file that is a symbolic link (dotfile managers) is written
  where the link points, so the link stays.
* Anything that cannot be read or parsed, or has an unexpected shape, is a
  :class:`~tokenwallet.domain.errors.ConfigError` and nothing is written.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

from tokenwallet.domain.errors import ConfigError
from tokenwallet.files import atomic_write

BACKUP_SUFFIX = ".tokenwallet-backup-"

_COMMENT = re.compile(r'"(?:\\.|[^"\\])*"|//[^\n]*|/\*.*?\*/', re.S)


def strip_comments(text: str) -> str:
    """JSON text without // and /* */ comments (strings are left alone)."""
    return _COMMENT.sub(lambda m: m.group(0) if m.group(0).startswith('"') else "", text)


def read_text(path: Path) -> str | None:
    """The file's text, or None when it does not exist; ConfigError when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} cannot be read ({_why(exc)}); nothing was changed.") from exc


def _why(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc)


def load_json(path: Path, *, hint: str = "") -> tuple[dict[str, Any], bool]:
    """The JSON object in ``path`` ({} when there is no file) and whether the file exists."""
    text = read_text(path)
    if text is None or not text.strip():
        return {}, text is not None
    try:
        value = json.loads(text)
    except ValueError as exc:
        try:
            json.loads(strip_comments(text))
        except ValueError:
            raise ConfigError(
                f"{path} is not valid JSON ({exc}); fix it or move it aside. Nothing was changed."
            ) from None
        raise ConfigError(
            f"{path} has comments, which rewriting it would drop; nothing was changed. {hint}".rstrip()
        ) from None
    if not isinstance(value, dict):
        raise ConfigError(f"{path} does not hold a JSON object; nothing was changed.")
    return value, True


def dump_json(value: dict[str, Any]) -> str:
    """Two-space indented JSON with a final newline (the agents' own style)."""
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def load_toml(path: Path) -> tuple[Any, bool]:
    """The tomlkit document in ``path`` (empty when there is no file) and whether the file exists."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    text = read_text(path)
    if text is None:
        return tomlkit.document(), False
    try:
        return tomlkit.parse(text), True
    except TOMLKitError as exc:
        raise ConfigError(f"{path} is not valid TOML ({exc}); fix it or move it aside. Nothing was changed.") from None


def write_text(path: Path, text: str, *, now: datetime) -> Path | None:
    """Replace ``path``'s text, keeping a backup of the old one; returns the backup (None for a new file)."""
    target = Path(os.path.realpath(path))
    backup: Path | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        mode = 0o600
        if target.exists():
            mode = target.stat().st_mode & 0o777
            backup = target.with_name(f"{target.name}{BACKUP_SUFFIX}{now:%Y%m%d-%H%M%S}")
            serial = 1
            while backup.exists():  # two changes within a second keep both backups
                serial += 1
                backup = target.with_name(f"{target.name}{BACKUP_SUFFIX}{now:%Y%m%d-%H%M%S}-{serial}")
            shutil.copy2(target, backup)
        atomic_write(target, text.encode("utf-8"), mode=mode)
    except OSError as exc:
        raise ConfigError(f"{path} cannot be written ({_why(exc)}); nothing was changed.") from exc
    return backup
