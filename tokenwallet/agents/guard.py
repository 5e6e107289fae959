"""What the guard hook answers an agent: nothing, a note for the model, or a block.

The hook JSON names its event (``hook_event_name``).  Claude Code and Codex CLI send
``SessionStart``, ``UserPromptSubmit`` and ``PreToolUse``; Gemini CLI sends ``SessionStart``,
``BeforeAgent`` (a prompt) and ``BeforeTool``.  Any other event, or input that is not a JSON
object, gets no answer.

* Blocking (mode ``block``, the allowance exhausted or below the reserve, on a prompt or a tool
  call): exit status 2 with the reason on standard error, which all three agents document as
  "block; show this reason" (the prompt is not processed, the tool does not run).
* A note (near a threshold, or in mode ``warn``, or at the start of a session): exit 0 with
  ``{"hookSpecificOutput": {"hookEventName": ..., "additionalContext": ...}}`` on standard
  output, the shape the three agents read as context for the model.  Only on session start and
  prompts: Claude Code's tool hooks accept no context.
* Otherwise: exit 0 and no output.

Pure functions over plain values, standard library only.
"""

from __future__ import annotations

import json

from tokenwallet.agents.hook_text import amount_text, number, parse_amount, reset_text

TYPE_CHECKING = False  # typing costs milliseconds to import; the annotations are strings anyway
if TYPE_CHECKING:
    from typing import Any

PROMPT_EVENTS = frozenset({"UserPromptSubmit", "BeforeAgent"})
TOOL_EVENTS = frozenset({"PreToolUse", "BeforeTool"})
START_EVENTS = frozenset({"SessionStart"})
EVENTS = PROMPT_EVENTS | TOOL_EVENTS | START_EVENTS
MODES = ("warn", "block")
ENV_OFF = "TOKENWALLET_GUARD"
"""``TOKENWALLET_GUARD=off`` in the agent's environment lets every call of that session through."""
DEFAULT_WARN_PERCENT = 80.0

SILENT, CONTEXT, BLOCK = "silent", "context", "block"


class GuardOptions:
    """The guard's settings, from its command line."""

    __slots__ = ("agent", "allowance", "mode", "reserve_text", "warn_percent")

    def __init__(
        self,
        *,
        allowance: str | None = None,
        reserve_text: str = "0",
        mode: str = "block",
        warn_percent: float = DEFAULT_WARN_PERCENT,
        agent: str = "",
    ) -> None:
        self.allowance = allowance
        self.reserve_text = reserve_text
        self.mode = mode
        self.warn_percent = warn_percent
        self.agent = agent


class Decision:
    """What to answer: ``action`` is silent, context or block; ``level`` how the allowance stands."""

    __slots__ = ("action", "level", "reserve", "row", "text")

    def __init__(self, action: str, text: str = "", *, level: str = "ok", row: Any = None, reserve: int = 0) -> None:
        self.action = action
        self.text = text
        self.level = level
        self.row = row
        self.reserve = reserve

    def __repr__(self) -> str:
        return f"Decision({self.action!r}, level={self.level!r})"


def parse_options(args: list[str]) -> GuardOptions:
    """``--allowance NAME --reserve AMOUNT --mode warn|block --warn-at PERCENT --agent NAME``.

    Raises ValueError with a message for anything else (the caller exits 1: a non-blocking
    error the agent shows, never the blocking status 2).
    """
    values: dict[str, str] = {}
    names = {"--allowance", "--reserve", "--mode", "--warn-at", "--agent"}
    words = iter(args)
    for word in words:
        key, eq, value = word.partition("=")
        if key not in names:
            raise ValueError(f"unknown option {word!r} (use --allowance, --reserve, --mode, --warn-at, --agent)")
        if not eq:
            nxt = next(words, None)
            if nxt is None:
                raise ValueError(f"{key} needs a value")
            value = nxt
        values[key] = value
    mode = values.get("--mode", "block")
    if mode not in MODES:
        raise ValueError(f"--mode must be warn or block, not {mode!r}")
    try:
        warn_percent = float(values.get("--warn-at", DEFAULT_WARN_PERCENT))
    except ValueError:
        raise ValueError(f"--warn-at must be a percentage, not {values['--warn-at']!r}") from None
    if not 0 <= warn_percent <= 100:
        raise ValueError("--warn-at must be between 0 and 100")
    reserve_text = values.get("--reserve", "0")
    if parse_reserve(reserve_text, 1_000_000) is None:
        raise ValueError(f"--reserve must be an amount such as 5 or 2.50, not {reserve_text!r}")
    return GuardOptions(
        allowance=values.get("--allowance") or None,
        reserve_text=reserve_text,
        mode=mode,
        warn_percent=warn_percent,
        agent=values.get("--agent", ""),
    )


def parse_reserve(text: str, scale: int) -> int | None:
    """The reserve in the allowance's smallest unit (micro-USD or tokens)."""
    return parse_amount(text, scale)


def level_of(row: dict[str, Any], reserve: int, warn_percent: float) -> str:
    """``exhausted``, ``low`` (below the reserve), ``near`` (a warning threshold) or ``ok``."""
    remaining = number(row.get("remaining"))
    if remaining is None:
        return "ok"
    if remaining <= 0:
        return "exhausted"
    if reserve > 0 and remaining < reserve:
        return "low"
    percent = number(row.get("percent_used")) or 0.0
    if row.get("state") in ("warning", "critical") or percent >= warn_percent:
        return "near"
    return "ok"


def standing(row: dict[str, Any], level: str, reserve: int, now: float) -> str:
    """'The allowance 'work' has $4.20 left of $250.00 (98% used) and resets 1 Dec.'"""
    formatted = row.get("formatted")
    if not isinstance(formatted, dict):
        formatted = {}
    name = row.get("name")
    granted = formatted.get("granted", "")
    reset = reset_text(row, now)
    tail = f"; it {reset}." if reset and reset != "reset due" else "."
    if level == "exhausted":
        over = number(row.get("overspent")) or 0
        extra = f", over by {formatted.get('overspent')}" if over > 0 else ""
        return f"The allowance '{name}' is used up ({formatted.get('remaining')} left of {granted}{extra}){tail}"
    percent = number(row.get("percent_used")) or 0.0
    text = f"The allowance '{name}' has {formatted.get('remaining')} left of {granted} ({percent:.0f}% used)"
    if level == "low":
        text += f", below the reserve of {amount_text(reserve, row)} kept back"
    return text + tail


def how_to_go_on(row: dict[str, Any], session_id: str) -> str:
    """Top up, override this session, or turn the guard off for the agent's run."""
    session = session_id or "SESSION_ID"
    return (
        f"To go on: top up (tokenwallet allowance topup {row.get('name')} --amount N), "
        f"or let this session through (tokenwallet guard override --session {session}), "
        f"or start the agent with {ENV_OFF}=off."
    )


def decide(event: dict[str, Any], meter: dict[str, Any] | None, options: GuardOptions, now: float) -> Decision:
    """The answer to one hook call, from the snapshot alone (a block is confirmed against the ledger)."""
    name = event.get("hook_event_name")
    if name not in EVENTS or meter is None:
        return Decision(SILENT)
    rows = [r for r in meter.get("allowances") or () if isinstance(r, dict)]
    wanted = options.allowance or meter.get("primary")
    row = next((r for r in rows if wanted and wanted in (r.get("name"), r.get("id"))), None)
    if row is None:
        if options.allowance:
            raise LookupError(f"the meter has no allowance named {options.allowance!r}")
        return Decision(SILENT)
    scale = int(number(row.get("scale")) or 1)
    reserve = parse_reserve(options.reserve_text, scale) or 0
    level = level_of(row, reserve, options.warn_percent)
    session_id = str(event.get("session_id") or "")
    if level in ("exhausted", "low"):
        if options.mode == "block" and name not in START_EVENTS:
            text = f"tokenwallet budget stop. {standing(row, level, reserve, now)} {how_to_go_on(row, session_id)}"
            if name in TOOL_EVENTS:
                text += " Do not retry this call; tell the user the budget is spent."
            return Decision(BLOCK, text, level=level, row=row, reserve=reserve)
        if name in TOOL_EVENTS:
            return Decision(SILENT, level=level, row=row, reserve=reserve)
        text = f"tokenwallet budget: {standing(row, level, reserve, now)}"
        if options.mode == "block":
            text += " Prompts and tool calls will be refused until it is topped up or this session is let through."
        else:
            text += " Finish with as little as possible: a cheaper model, short outputs, no optional tool calls."
        return Decision(CONTEXT, text, level=level, row=row, reserve=reserve)
    if level == "near" and name not in TOOL_EVENTS:
        text = (
            f"tokenwallet budget: {standing(row, level, reserve, now)} "
            "Prefer a cheaper model or shorter outputs, and skip optional tool calls."
        )
        return Decision(CONTEXT, text, level=level, row=row, reserve=reserve)
    return Decision(SILENT, level=level, row=row, reserve=reserve)


def output(decision: Decision, event_name: str) -> tuple[str, str, int]:
    """(standard output, standard error, exit status) for ``decision``."""
    if decision.action == BLOCK:
        return "", decision.text + "\n", 2
    if decision.action == CONTEXT:
        body = {"hookSpecificOutput": {"hookEventName": event_name, "additionalContext": decision.text}}
        return json.dumps(body, ensure_ascii=False) + "\n", "", 0
    return "", "", 0
