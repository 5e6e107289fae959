"""Where the agents keep their logs; every path comes from an injected environment and home dir.

Claude Code: ``$CLAUDE_CONFIG_DIR`` (one path or a comma list; each a config dir holding
``projects/`` or the ``projects/`` dir itself), otherwise both ``${XDG_CONFIG_HOME:-~/.config}/claude``
and ``~/.claude``.  Codex CLI: ``$CODEX_HOME`` (comma list allowed) or ``~/.codex``, reading
``sessions/`` and ``archived_sessions/``.  Gemini CLI: ``$GEMINI_DATA_DIR`` or ``~/.gemini``, reading
``tmp/<project>/chats/``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path

from tokenwallet.domain.accounts import AccountKind


def _split(value: str) -> list[Path]:
    return [Path(p.strip()).expanduser() for p in value.split(",") if p.strip()]


def claude_roots(env: Mapping[str, str], home: Path) -> list[Path]:
    """Existing Claude ``projects/`` folders, in the order ccusage reads them."""
    if env.get("CLAUDE_CONFIG_DIR", "").strip():
        candidates = _split(env["CLAUDE_CONFIG_DIR"])
    else:
        xdg = Path(env["XDG_CONFIG_HOME"]) if env.get("XDG_CONFIG_HOME") else home / ".config"
        candidates = [xdg / "claude", home / ".claude"]
    roots: list[Path] = []
    for path in candidates:
        projects = path if path.name == "projects" else path / "projects"
        if projects.is_dir() and projects not in roots:
            roots.append(projects)
    return roots


def codex_roots(env: Mapping[str, str], home: Path) -> list[Path]:
    """Existing Codex homes (folders holding ``sessions/`` or ``archived_sessions/``)."""
    candidates = _split(env["CODEX_HOME"]) if env.get("CODEX_HOME", "").strip() else [home / ".codex"]
    return [p for p in candidates if (p / "sessions").is_dir() or (p / "archived_sessions").is_dir()]


def gemini_roots(env: Mapping[str, str], home: Path) -> list[Path]:
    """Existing Gemini CLI data folders (holding ``tmp/``)."""
    candidates = _split(env["GEMINI_DATA_DIR"]) if env.get("GEMINI_DATA_DIR", "").strip() else [home / ".gemini"]
    return [p for p in candidates if (p / "tmp").is_dir()]


def detect(env: Mapping[str, str], home: Path) -> dict[AccountKind, list[Path]]:
    """Log folders present on this machine, by account kind (kinds with none are left out)."""
    found = {
        AccountKind.CLAUDE_CODE: claude_roots(env, home),
        AccountKind.CODEX: codex_roots(env, home),
        AccountKind.GEMINI: gemini_roots(env, home),
    }
    return {k: v for k, v in found.items() if v}


def normalise_root(kind: AccountKind, path: Path) -> Path:
    """A user-given folder as the root the readers expect (``projects/`` for Claude Code)."""
    path = path.expanduser()
    if kind is AccountKind.CLAUDE_CODE and path.name != "projects" and (path / "projects").is_dir():
        return path / "projects"
    return path


def _files_below(root: Path, suffix: str) -> list[Path]:
    """Files under ``root`` whose name ends in ``suffix``, in ``sorted(root.rglob("*" + suffix))`` order.

    Like ``rglob`` it does not descend into symlinked folders and keeps symlinked files.  One
    ``scandir`` per folder and a sort of name tuples instead of ``Path`` objects: a history of a
    thousand session files is listed before every import, so this is most of an incremental
    import's own time otherwise.
    """
    found: list[tuple[str, ...]] = []
    todo: list[tuple[str, tuple[str, ...]]] = [(str(root), ())]
    while todo:
        folder, parts = todo.pop()
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            todo.append((entry.path, (*parts, entry.name)))
                        elif os.path.normcase(entry.name).endswith(suffix) and entry.is_file():
                            found.append((*parts, entry.name))
                    except OSError:
                        continue
        except OSError:
            continue
    found.sort()  # by path components, as Path objects sort
    return [root.joinpath(*parts) for parts in found]


def log_files(kind: AccountKind, roots: list[Path]) -> Iterator[Path]:
    """Every log file under ``roots`` for ``kind``, sorted, each path once.

    For Codex a rollout present in both ``sessions/`` and ``archived_sessions/`` is read once,
    from ``sessions/``.
    """
    seen: set[Path] = set()
    names: set[str] = set()
    for root in roots:
        # Regular files only; _files_below has checked that already (no second stat each).
        if kind is AccountKind.CLAUDE_CODE:
            found = _files_below(root, ".jsonl")
        elif kind is AccountKind.CODEX:
            found = _files_below(root / "sessions", ".jsonl")
            archived = root / "archived_sessions"
            found += [p for p in sorted(archived.glob("*.jsonl")) if p.is_file()] if archived.is_dir() else []
            if not found and root.is_dir():
                found = [p for p in sorted(root.rglob("rollout-*.jsonl")) if p.is_file()]
        else:
            base = root / "tmp" if (root / "tmp").is_dir() else root
            found = sorted(
                p
                for p in base.rglob("*")
                if p.suffix in (".json", ".jsonl") and p.parent.name == "chats" and p.is_file()
            )
        for path in found:
            if path in seen:
                continue
            if kind is AccountKind.CODEX:
                if path.name in names:
                    continue
                names.add(path.name)
            seen.add(path)
            yield path
