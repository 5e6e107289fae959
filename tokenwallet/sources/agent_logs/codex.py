"""Codex CLI rollouts: token deltas from ``token_count`` events and the plan's rate-limit windows.

Each rollout line is ``{timestamp, type, payload}``.  ``turn_context`` names the model;
``event_msg`` with ``payload.type == "token_count"`` carries ``info.last_token_usage`` (this turn)
and ``info.total_token_usage`` (running total), and ``rate_limits.primary/secondary`` (the 5-hour
and weekly windows: used percent, window minutes, reset time).  Following ccusage: the delta is
``last_token_usage``, else the difference of running totals; all-zero deltas are skipped; cached
input is clamped to the input; a sub-agent file (``thread_spawn``) replays its parent's events in
its first second, and those are skipped.  Running totals and the model are kept in the per-file
state so an incremental read continues where the last one stopped; so is the ChatGPT plan named in
``rate_limits.plan_type`` (usage under a plan is subscription usage: ``extra["plan_type"]``).  A
token count or time outside ``domain.limits`` rejects its event; a rate-limit reading outside its
range is dropped and counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec

from tokenwallet.domain.limits import MAX_DAYS, MAX_EPOCH, MIN_EPOCH
from tokenwallet.sources.agent_logs.common import (
    NESTED_TOO_DEEPLY,
    WINDOW_OUT_OF_RANGE,
    Counts,
    Item,
    OutOfRange,
    complete_lines,
    parse_time,
    token_count,
)

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


_MAX_WINDOW_MINUTES = MAX_DAYS * 24 * 60


def _usage(obj: Any) -> tuple[int, int, int, int, int] | None:
    """A ``TokenUsage`` object's counts (raises ``OutOfRange`` for a count outside 0..2^53)."""
    if not isinstance(obj, dict):
        return None
    vals = tuple(token_count(obj.get(f)) for f in _FIELDS)
    return vals  # type: ignore[return-value]


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _windows(limits: Any, at: datetime, counts: Counts) -> list[Window]:
    """The readings of a ``rate_limits`` object; one with a percentage outside 0-100 is dropped and counted."""
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
        if not 0 <= used <= 100:  # also NaN
            counts.reject(WINDOW_OUT_OF_RANGE)
            continue
        minutes = _int(win.get("window_minutes"))
        resets = _int(win.get("resets_at"))
        out.append(
            Window(
                name=name,
                observed_at=at,
                used_percent=float(used),
                window_minutes=minutes if minutes is not None and 0 < minutes <= _MAX_WINDOW_MINUTES else None,
                resets_at=(
                    datetime.fromtimestamp(resets, UTC)
                    if resets is not None and max(1, MIN_EPOCH) <= resets < MAX_EPOCH
                    else None
                ),
            )
        )
    return out


API_PLAN_TYPES = frozenset({"", "api", "api_key"})
"""``plan_type`` values that mean no subscription plan (a login with an API key)."""


def subscription_plan(limits: Any) -> str | None:
    """The ChatGPT plan (``plus``, ``pro``, ``team``, ...) a ``rate_limits`` object names, or None.

    Codex signed in with ChatGPT reports its plan in every ``token_count`` event's
    ``rate_limits.plan_type``; usage under such a plan is paid by the subscription, not per token.
    ``""``/``"api"`` (or no ``plan_type``) is not a subscription.
    """
    if not isinstance(limits, dict):
        return None
    plan = limits.get("plan_type")
    if not isinstance(plan, str) or plan.strip().lower() in API_PLAN_TYPES:
        return None
    return plan.strip().lower()[:40]


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
                try:
                    ts = parse_time(head[i : head.find(b'"', i)].decode("ascii", "replace"))
                except OutOfRange:
                    ts = None
                if ts is not None:
                    state["start"] = ts.timestamp()
        if not any(marker in raw for marker in _INTERESTING):
            continue
        try:
            obj = msgspec.json.decode(raw)
        except (msgspec.DecodeError, UnicodeDecodeError):
            counts.malformed += 1
            continue
        except RecursionError:
            counts.reject(NESTED_TOO_DEEPLY)
            continue
        if not isinstance(obj, dict):
            counts.malformed += 1
            continue
        try:
            item = _event(obj, raw, state, counts, windows)
        except OutOfRange as exc:
            counts.reject(exc.reason)
            continue
        if item is not None:
            item.key = f"{file_key}@{base_offset + start}"
            items.append(item)
    return items, windows, counts, end


def _event(
    obj: dict[str, Any], raw: bytes, state: dict[str, Any], counts: Counts, windows: list[Window]
) -> Item | None:
    """The usage entry of one decoded rollout line, if it has one (``key`` is left for the caller).

    Updates ``state`` (model, running totals, sub-agent flag) and adds the line's rate-limit
    readings to ``windows``; raises ``OutOfRange`` for a time or token count outside the limits.
    """
    if b"thread_spawn" in raw:
        state["subagent"] = True
    payload = obj.get("payload")
    if not isinstance(payload, dict):
        return None
    kind = obj.get("type")
    if kind == "turn_context":
        if isinstance(payload.get("model"), str) and payload["model"]:
            state["model"] = payload["model"]
        return None
    if kind != "event_msg" or payload.get("type") != "token_count":
        return None
    at = parse_time(obj.get("timestamp"))
    if at is None:
        counts.malformed += 1
        return None
    windows.extend(_windows(payload.get("rate_limits"), at, counts))
    plan = subscription_plan(payload.get("rate_limits"))
    if plan is not None:
        state["plan_type"] = plan  # the file's later events are under the same login
    info = payload.get("info")
    if not isinstance(info, dict):
        return None
    total = _usage(info.get("total_token_usage"))
    last = _usage(info.get("last_token_usage"))
    prev = state.get("prev")
    if not (isinstance(prev, list) and len(prev) == 5 and all(type(n) is int for n in prev)):
        prev = None
    if total is not None and list(total) == prev:
        counts.duplicates += 1  # Codex repeats a token_count event when nothing new was used
        return None
    if last is not None:
        delta = last
    elif total is not None:
        before = prev or [0] * 5
        delta = tuple(max(0, t - b) for t, b in zip(total, before, strict=True))
    else:
        return None
    if total is not None:
        state["prev"] = list(total)
    start = state.get("start")
    start = float(start) if isinstance(start, int | float) and not isinstance(start, bool) else 0.0
    if state.get("subagent") and at.timestamp() - start < 1.0:
        counts.skipped += 1
        return None
    inp, cached, out, reasoning, _ = delta
    if inp == 0 and cached == 0 and out == 0 and reasoning == 0:
        return None
    cached = min(cached, inp)
    model = info.get("model") if isinstance(info.get("model"), str) else None
    model = model or state.get("model") or FALLBACK_MODEL
    extra: dict[str, Any] = {} if state.get("model") else {"fallback_model": True}
    if isinstance(state.get("plan_type"), str) and state["plan_type"]:
        extra["plan_type"] = state["plan_type"]  # usage under a ChatGPT plan: subscription, not API spend
    if model == AUTO_REVIEW:
        model = auto_review_model(at)
        extra["model_alias"] = AUTO_REVIEW  # the log's own name, kept for reports
    counts.entries += 1
    return Item(
        key="",
        at=at,
        model=str(model),
        input_tokens=inp - cached,
        cached_tokens=cached,
        output_tokens=out,
        reasoning_tokens=reasoning,
        extra=extra,
    )
