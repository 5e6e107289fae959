"""Codex CLI rollouts: token deltas from ``token_count`` events and the plan's rate-limit windows.

Each rollout line is ``{timestamp, type, payload}``.  ``turn_context`` names the model;
``event_msg`` with ``payload.type == "token_count"`` carries ``info.last_token_usage`` (this turn)
and ``info.total_token_usage`` (running total), and ``rate_limits.primary/secondary`` (the 5-hour
and weekly windows: used percent, window minutes, reset time).  Following ccusage: the delta is
``last_token_usage``, else the difference of running totals; all-zero deltas are skipped; cached
input is clamped to the input; a sub-agent file (``thread_spawn``) replays its parent's events in
its first second, and those are skipped.  Running totals and the model are kept in the per-file
state so an incremental read continues where the last one stopped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec

from tokenwallet.sources.agent_logs.common import Counts, Item, as_int, complete_lines, parse_time

FALLBACK_MODEL = "gpt-5"
AUTO_REVIEW = "codex-auto-review"
"""Codex's name for the model its automatic approval reviews run on; it has no price of its own."""
AUTO_REVIEW_MODELS: tuple[tuple[str, str], ...] = (
    ("2026-07-30", "gpt-5.6-luna"),
    ("2026-03-05", "gpt-5.4"),
    ("2026-02-05", "gpt-5.3-codex"),
    ("2025-12-11", "gpt-5.2-codex"),
    ("2025-11-13", "gpt-5.1-codex"),
    ("2025-09-15", "gpt-5-codex"),
    ("2025-08-07", "gpt-5"),
)
"""(release day, model), newest first: ``codex-auto-review`` is priced as the newest Codex model
released by the day of the request, as ccusage does; this is the list ccusage 20.0.24 embeds
(from its pinned models.dev snapshot), so both price such a request alike."""
_INTERESTING = (b'"token_count"', b'"turn_context"', b"thread_spawn")
_FIELDS = ("input_tokens", "cached_input_tokens", "output_tokens", "reasoning_output_tokens", "total_tokens")


@dataclass(frozen=True, slots=True)
class Window:
    """One rate-limit window reading (``primary`` is typically 5 hours, ``secondary`` weekly)."""

    name: str
    observed_at: datetime
    used_percent: float
    window_minutes: int | None
    resets_at: datetime | None


def auto_review_model(at: datetime) -> str:
    """The model ``codex-auto-review`` stands for on the (UTC) day of ``at``."""
    day = at.astimezone(UTC).date().isoformat()
    return next((model for released, model in AUTO_REVIEW_MODELS if released <= day), FALLBACK_MODEL)


def _usage(obj: Any) -> tuple[int, int, int, int, int] | None:
    if not isinstance(obj, dict):
        return None
    vals = tuple(as_int(obj.get(f)) for f in _FIELDS)
    return vals  # type: ignore[return-value]


def _windows(limits: Any, at: datetime) -> list[Window]:
    out: list[Window] = []
    if not isinstance(limits, dict):
        return out
    for name in ("primary", "secondary"):
        win = limits.get(name)
        if not isinstance(win, dict):
            continue
        used = win.get("used_percent")
        if not isinstance(used, int | float) or isinstance(used, bool):
            continue
        minutes = win.get("window_minutes")
        resets = win.get("resets_at")
        out.append(
            Window(
                name=name,
                observed_at=at,
                used_percent=float(used),
                window_minutes=minutes if isinstance(minutes, int) and not isinstance(minutes, bool) else None,
                resets_at=datetime.fromtimestamp(resets, UTC) if isinstance(resets, int) and resets > 0 else None,
            )
        )
    return out


def read_chunk(
    data: bytes, *, base_offset: int, file_key: str, state: dict[str, Any]
) -> tuple[list[Item], list[Window], Counts, int]:
    """Parse the complete lines of ``data`` (bytes of a rollout starting at ``base_offset``).

    Returns items, rate-limit windows, counts, and how many bytes were consumed.  ``state`` is
    updated in place (model, running totals, sub-agent flag, first timestamp).
    """
    items: list[Item] = []
    windows: list[Window] = []
    counts = Counts()
    end = complete_lines(data)
    pos = 0
    while pos < end:
        nl = data.index(b"\n", pos)
        raw = data[pos:nl]
        start = pos
        pos = nl + 1
        counts.lines += 1
        if not raw.strip():
            continue
        if "start" not in state:
            head = raw[:200]
            if b'"timestamp":"' in head:
                i = head.index(b'"timestamp":"') + 13
                ts = parse_time(head[i : head.find(b'"', i)].decode("ascii", "replace"))
                if ts is not None:
                    state["start"] = ts.timestamp()
        if not any(marker in raw for marker in _INTERESTING):
            continue
        try:
            obj = msgspec.json.decode(raw)
        except (msgspec.DecodeError, UnicodeDecodeError):
            counts.malformed += 1
            continue
        if not isinstance(obj, dict):
            counts.malformed += 1
            continue
        if b"thread_spawn" in raw:
            state["subagent"] = True
        payload = obj.get("payload")
        if not isinstance(payload, dict):
            continue
        kind = obj.get("type")
        if kind == "turn_context":
            if isinstance(payload.get("model"), str) and payload["model"]:
                state["model"] = payload["model"]
            continue
        if kind != "event_msg" or payload.get("type") != "token_count":
            continue
        at = parse_time(obj.get("timestamp"))
        if at is None:
            counts.malformed += 1
            continue
        windows.extend(_windows(payload.get("rate_limits"), at))
        info = payload.get("info")
        if not isinstance(info, dict):
            continue
        total = _usage(info.get("total_token_usage"))
        last = _usage(info.get("last_token_usage"))
        prev = state.get("prev")
        if total is not None and isinstance(prev, list) and list(total) == prev:
            counts.duplicates += 1  # Codex repeats a token_count event when nothing new was used
            continue
        if last is not None:
            delta = last
        elif total is not None:
            before = prev if isinstance(prev, list) and len(prev) == 5 else [0] * 5
            delta = tuple(max(0, t - b) for t, b in zip(total, before, strict=True))
        else:
            continue
        if total is not None:
            state["prev"] = list(total)
        if state.get("subagent") and at.timestamp() - float(state.get("start", 0.0)) < 1.0:
            counts.skipped += 1
            continue
        inp, cached, out, reasoning, _ = delta
        if inp == 0 and cached == 0 and out == 0 and reasoning == 0:
            continue
        cached = min(cached, inp)
        model = info.get("model") if isinstance(info.get("model"), str) else None
        model = model or state.get("model") or FALLBACK_MODEL
        extra: dict[str, Any] = {} if state.get("model") else {"fallback_model": True}
        if model == AUTO_REVIEW:
            model = auto_review_model(at)
            extra["model_alias"] = AUTO_REVIEW  # the log's own name, kept for reports
        counts.entries += 1
        items.append(
            Item(
                key=f"{file_key}@{base_offset + start}",
                at=at,
                model=str(model),
                input_tokens=inp - cached,
                cached_tokens=cached,
                output_tokens=out,
                reasoning_tokens=reasoning,
                extra=extra,
            )
        )
    return items, windows, counts, end
