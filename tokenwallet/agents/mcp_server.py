"""``tokenwallet mcp``: a Model Context Protocol server over stdio, so an agent can ask before it spends.

Built on the official ``mcp`` SDK's low-level server, with hand-written JSON schemas.  Four
read-only tools:

* ``budget_status`` -- every allowance (or one): remaining, granted, percent used, the reset, value
  lapsing before it, overspent, the state;
* ``estimate_cost`` -- a model and token counts priced with the catalog, with the price date;
* ``can_afford`` -- an amount, or a model and token counts, against an allowance, with the shortfall;
* ``spend_summary`` -- one month's spend by provider and by model (the monthly report's figures).

A tool that cannot answer (an unknown allowance or model, a bad month, a ledger that cannot be
opened) returns an MCP tool error (``isError: true``) with a message in plain words; the server
itself never stops on a bad call.  Nothing is written to standard output but the protocol.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tokenwallet.app import AppContext

log = logging.getLogger(__name__)

SERVER_NAME = "tokenwallet"
INSTRUCTIONS = (
    "tokenwallet knows the user's personal AI-compute allowance (with top-ups, rollover and expiry). "
    "Call can_afford before expensive work, budget_status to see what is left and when it resets, "
    "estimate_cost to price a planned call, spend_summary for a month's spend by provider and model. "
    "Money is in US dollars; token allowances count tokens."
)

_TOKENS = {"type": "integer", "minimum": 0, "maximum": 2**53}
_ALLOWANCE = {"type": "string", "description": "An allowance's name or id (default: see the tool)."}

TOOLS: dict[str, dict[str, Any]] = {
    "budget_status": {
        "description": (
            "What is left of the user's allowances now: per allowance the remaining amount, what was granted "
            "this period, percent used, when it resets, value that lapses before the reset, any overspend and "
            "its state (ok, warning, critical, exhausted). Amounts are integers in the allowance's unit "
            "(micro-USD for usd, tokens for tokens) with formatted text beside them."
        ),
        "input": {"type": "object", "properties": {"allowance": _ALLOWANCE}, "additionalProperties": False},
        "output": {
            "type": "object",
            "properties": {
                "generated_at": {"type": "string"},
                "primary": {"type": ["string", "null"]},
                "allowances": {"type": "array", "items": {"type": "object"}},
            },
            "required": ["generated_at", "allowances"],
        },
    },
    "estimate_cost": {
        "description": (
            "Price a planned model call in US dollars from the bundled price catalog (genai-prices), at today's "
            "prices. input_tokens are input tokens not read from a prompt cache, cached_input_tokens those that "
            "are, output_tokens include reasoning. Returns the cost, the catalog's model id and provider, the "
            "price date and the catalog version. An unknown model is an error, never $0."
        ),
        "input": {
            "type": "object",
            "properties": {
                "model": {"type": "string", "description": "A model id, e.g. claude-sonnet-4-5, gpt-5."},
                "input_tokens": _TOKENS,
                "output_tokens": _TOKENS,
                "cached_input_tokens": {**_TOKENS, "default": 0},
            },
            "required": ["model", "input_tokens", "output_tokens"],
            "additionalProperties": False,
        },
        "output": {
            "type": "object",
            "properties": {
                "cost_micros": {"type": "integer"},
                "cost_usd": {"type": "string"},
                "priced_on": {"type": "string"},
                "catalog": {"type": "string"},
            },
            "required": ["cost_micros", "cost_usd", "priced_on", "catalog"],
        },
    },
    "can_afford": {
        "description": (
            "Whether a planned spend fits what is left: give an amount (dollars for usd allowances, tokens "
            "for token allowances), or a model with token counts to price it first. Checks the named allowance, "
            "else every usd allowance. Returns fits, and per allowance the remaining amount and the shortfall."
        ),
        "input": {
            "type": "object",
            "properties": {
                "allowance": _ALLOWANCE,
                "amount": {"type": ["string", "number"], "description": "e.g. 3.20 (dollars) or 250000 (tokens)."},
                "model": {"type": "string"},
                "input_tokens": _TOKENS,
                "output_tokens": _TOKENS,
                "cached_input_tokens": {**_TOKENS, "default": 0},
            },
            "additionalProperties": False,
        },
        "output": {
            "type": "object",
            "properties": {"fits": {"type": "boolean"}, "checks": {"type": "array", "items": {"type": "object"}}},
            "required": ["fits", "checks"],
        },
    },
    "spend_summary": {
        "description": (
            "One calendar month's spend (in the user's time zone) by provider and by model: cost in micro-USD, "
            "tokens, requests and rows without a known price. Default: the current month."
        ),
        "input": {
            "type": "object",
            "properties": {"month": {"type": "string", "pattern": r"^\d{4}-\d{2}$", "description": "YYYY-MM"}},
            "additionalProperties": False,
        },
        "output": {
            "type": "object",
            "properties": {
                "month": {"type": "string"},
                "total_cost_micros": {"type": "integer"},
                "by_provider": {"type": "array", "items": {"type": "object"}},
                "by_model": {"type": "array", "items": {"type": "object"}},
            },
            "required": ["month", "total_cost_micros", "by_provider", "by_model"],
        },
    },
}


class ToolInputError(ValueError):
    """Arguments that do not match the tool's schema."""


def _check(arguments: dict[str, Any] | None, name: str) -> dict[str, Any]:
    schema = TOOLS[name]["input"]
    args = dict(arguments or {})
    unknown = set(args) - set(schema["properties"])
    if unknown:
        raise ToolInputError(f"{name} takes no argument {sorted(unknown)[0]!r}.")
    for key in schema.get("required", ()):
        if key not in args:
            raise ToolInputError(f"{name} needs {key!r}.")
    for key, value in args.items():
        kind = schema["properties"][key].get("type")
        if kind == "integer" and (isinstance(value, bool) or not isinstance(value, int)):
            raise ToolInputError(f"{key} must be a whole number, not {value!r}.")
        if kind == "string" and not isinstance(value, str):
            raise ToolInputError(f"{key} must be a string, not {value!r}.")
        if kind == ["string", "number"] and (isinstance(value, bool) or not isinstance(value, str | int | float)):
            raise ToolInputError(f"{key} must be a number or a string, not {value!r}.")
    return args


def budget_status(ctx: AppContext, args: dict[str, Any]) -> dict[str, Any]:
    """The ``budget_status`` tool."""
    from tokenwallet.domain.errors import NotFoundError
    from tokenwallet.services.meter_snapshot import build_meter

    meter = build_meter(ctx.ledger(), ctx.clock(), ctx.settings)
    rows = meter["allowances"]
    wanted = args.get("allowance")
    if wanted:
        rows = [r for r in rows if wanted in (r["name"], r["id"])]
        if not rows:
            raise NotFoundError(f"There is no allowance called {wanted!r}.")
    for row in rows:
        row.pop("scale", None)
    return {"generated_at": meter["generated_at_iso"], "primary": meter["primary"], "allowances": rows}


def _estimate(ctx: AppContext, args: dict[str, Any]) -> Any:
    from tokenwallet.services.estimates import estimate_cost

    return estimate_cost(
        args["model"],
        input_tokens=args["input_tokens"],
        output_tokens=args["output_tokens"],
        cached_input_tokens=args.get("cached_input_tokens", 0),
        at=ctx.clock(),
    )


def estimate_cost(ctx: AppContext, args: dict[str, Any]) -> dict[str, Any]:
    """The ``estimate_cost`` tool."""
    result: dict[str, Any] = _estimate(ctx, args).as_json()
    return result


def can_afford(ctx: AppContext, args: dict[str, Any]) -> dict[str, Any]:
    """The ``can_afford`` tool."""
    from tokenwallet.budget.inputs import format_amount
    from tokenwallet.services.budget_check import check_budget
    from tokenwallet.services.estimates import check_estimate

    allowance = args.get("allowance") or None
    call = [k for k in ("model", "input_tokens", "output_tokens") if k in args]
    estimate = None
    if "amount" in args:
        if call:
            raise ToolInputError("Give either amount or a model with token counts, not both.")
        answer = check_budget(ctx, str(args["amount"]), allowance)
    elif len(call) == 3:
        estimate = _estimate(ctx, args)
        answer = check_estimate(ctx, estimate, allowance)
    else:
        raise ToolInputError("Give amount, or model with input_tokens and output_tokens.")
    document: dict[str, Any] = {
        "fits": answer.fits,
        "checks": [
            {
                "allowance": c.allowance.name,
                "unit": c.allowance.unit.value,
                "amount": c.amount,
                "remaining": c.remaining,
                "fits": c.fits,
                "shortfall": c.shortfall,
                "resets_at": c.period_end.isoformat().replace("+00:00", "Z"),
                "formatted": {
                    "amount": format_amount(c.amount, c.allowance.unit),
                    "remaining": format_amount(c.remaining, c.allowance.unit),
                    "shortfall": format_amount(c.shortfall, c.allowance.unit),
                },
            }
            for c in answer.checks
        ],
    }
    if estimate is not None:
        document["estimate"] = estimate.as_json()
    return document


def spend_summary(ctx: AppContext, args: dict[str, Any]) -> dict[str, Any]:
    """The ``spend_summary`` tool."""
    from tokenwallet.domain.money import format_usd
    from tokenwallet.reports.build import build_report

    now = ctx.clock()
    settings = ctx.settings
    month = args.get("month") or now.astimezone(settings.zone()).strftime("%Y-%m")
    report = build_report(ctx.ledger(), month, settings, now)
    providers: dict[str, dict[str, Any]] = {}
    models: dict[tuple[str, str], dict[str, Any]] = {}
    for line in report.usage:
        tokens = line.input_tokens + line.cached_input_tokens + line.cache_write_tokens + line.output_tokens
        for bucket in (
            providers.setdefault(line.provider, {"provider": line.provider}),
            models.setdefault((line.provider, line.model), {"provider": line.provider, "model": line.model}),
        ):
            bucket["cost_micros"] = bucket.get("cost_micros", 0) + (line.cost_micros or 0)
            bucket["tokens"] = bucket.get("tokens", 0) + tokens
            bucket["requests"] = bucket.get("requests", 0) + line.requests
            bucket["unpriced_rows"] = bucket.get("unpriced_rows", 0) + line.unpriced_rows
    for bucket in [*providers.values(), *models.values()]:
        bucket["formatted"] = format_usd(bucket["cost_micros"])

    def by_cost(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return sorted(rows, key=lambda r: (-r["cost_micros"], r.get("model", ""), r["provider"]))

    return {
        "month": report.month,
        "timezone": report.timezone,
        "total_cost_micros": report.totals.cost_micros,
        "formatted": format_usd(report.totals.cost_micros),
        "by_provider": by_cost(list(providers.values())),
        "by_model": by_cost(list(models.values())),
        "notes": list(report.notes),
    }


HANDLERS: dict[str, Callable[[AppContext, dict[str, Any]], dict[str, Any]]] = {
    "budget_status": budget_status,
    "estimate_cost": estimate_cost,
    "can_afford": can_afford,
    "spend_summary": spend_summary,
}


def call(ctx: AppContext, name: str, arguments: dict[str, Any] | None) -> tuple[dict[str, Any] | None, str]:
    """Run one tool: (structured result, None-or-error text).  Never raises."""
    from tokenwallet.domain.errors import TokenwalletError

    handler = HANDLERS.get(name)
    if handler is None:
        return None, f"There is no tool {name!r}; the tools are {', '.join(HANDLERS)}."
    try:
        return handler(ctx, _check(arguments, name)), ""
    except (ToolInputError, TokenwalletError) as exc:
        return None, str(exc)
    except Exception as exc:  # a bug must not end the server the agent relies on
        log.exception("tool %s failed", name)
        return None, f"{name} failed unexpectedly ({type(exc).__name__}: {exc})."
    finally:
        ctx.close()


def build_server(ctx: AppContext) -> Any:
    """The low-level MCP server with the four tools over ``ctx``."""
    import json

    import mcp.types as types
    from mcp.server.lowlevel import Server

    from tokenwallet import __version__

    tools = [
        types.Tool(
            name=name,
            title=name.replace("_", " "),
            description=spec["description"],
            input_schema=spec["input"],
            output_schema=spec["output"],
            annotations=types.ToolAnnotations(read_only_hint=True, destructive_hint=False, open_world_hint=False),
        )
        for name, spec in TOOLS.items()
    ]

    async def list_tools(_ctx: Any, _params: Any) -> types.ListToolsResult:
        return types.ListToolsResult(tools=tools)

    async def call_tool(_ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        result, error = call(ctx, params.name, params.arguments)
        if result is None:
            return types.CallToolResult(content=[types.TextContent(type="text", text=error)], is_error=True)
        text = json.dumps(result, ensure_ascii=False, indent=1)
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=text)], structured_content=result, is_error=False
        )

    return Server(
        SERVER_NAME,
        version=__version__,
        title="tokenwallet budget",
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


def serve(ctx: AppContext) -> None:
    """Serve MCP on standard input and output until the client closes them."""
    import anyio
    from mcp.server.stdio import stdio_server

    server = build_server(ctx)

    async def run() -> None:
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())

    anyio.run(run)
