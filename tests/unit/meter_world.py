"""A small world for the meter scenarios: the CLI on a private home at a fixed time, the provider
emulator on 127.0.0.1 at the same time, agent logs written to disk, and the emulator's figures
computed from its scenario (what each provider billed), so tests state expected values as sums."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from tokenwallet.cli.root import cli
from tokenwallet.domain.clock import FixedClock
from tokenwallet.domain.money import cents_to_micros, usd_to_micros
from tokenwallet.emulator import RunningEmulator, Scenario
from tokenwallet.emulator.scenario import (
    ANTHROPIC_PRICES,
    ANTHROPIC_TOKEN_TYPES,
    OPENAI_EMBEDDING_MODELS,
    OPENAI_PRICES,
)

SCENARIO = Scenario()

# Published list prices (USD per million tokens), as the price catalog has them.
SONNET_46 = {"input": 3_000_000, "output": 15_000_000, "cache_read": 300_000, "cache_5m": 3_750_000}
"""Claude Sonnet 4.6 in micro-USD per million tokens (https://www.anthropic.com/pricing)."""
GPT_5_CODEX = {"input": 1_250_000, "cached": 125_000, "output": 10_000_000}
"""GPT-5-Codex in micro-USD per million tokens (https://openai.com/api/pricing)."""


def day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def days(first: date, last: date) -> list[date]:
    """Every day from ``first`` to ``last``, both included."""
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


HOURLY_DAYS = 7
"""The OpenAI and Anthropic usage of the last seven UTC days (today included) is polled by the hour."""


def usage_buckets(
    figures: Callable[[datetime], dict[str, int]], day: date, polled_at: datetime, first_poll: datetime | None = None
) -> list[dict[str, int]]:
    """The usage buckets of ``day`` a poll at ``polled_at`` records, from the scenario's ``figures(at)`` of that day:
    one daily bucket for a day older than the hourly week of the first poll (``polled_at`` unless given),
    else one bucket per hour up to the poll."""
    start = day_start(day)
    if start < day_start((first_poll or polled_at).date()) - timedelta(days=HOURLY_DAYS - 1):
        return [figures(polled_at)]
    hours = [start + timedelta(hours=h) for h in range(24) if start + timedelta(hours=h) <= polled_at]
    return [SCENARIO.between(figures, h, min(h + timedelta(hours=1), polled_at)) for h in hours]


def openai_hourly_tokens(day: date, polled_at: datetime) -> list[int]:
    """The tokens of each UTC hour of ``day`` in the OpenAI account's hourly usage (every model; chat and
    embeddings), up to the hour of ``polled_at``: what places the day's bill on local days."""
    totals = [0] * 24
    for model in OPENAI_PRICES:
        for hour, t in enumerate(usage_buckets(partial(SCENARIO.openai_completions, model, day), day, polled_at)):
            totals[hour] += t["input_tokens"] + t["output_tokens"]  # input holds uncached, cached and cache writes
    for model in OPENAI_EMBEDDING_MODELS:
        for hour, t in enumerate(usage_buckets(partial(SCENARIO.openai_embeddings, model, day), day, polled_at)):
            totals[hour] += t["input_tokens"]
    return totals


def anthropic_hourly_tokens(day: date, polled_at: datetime) -> list[int]:
    """The tokens of each UTC hour of ``day`` in the Anthropic account's hourly message usage (every model)."""
    totals = [0] * 24
    for model in ANTHROPIC_PRICES:
        for hour, t in enumerate(usage_buckets(partial(SCENARIO.anthropic_messages, model, day), day, polled_at)):
            totals[hour] += sum(t.values())  # uncached, both cache writes, cache reads and output
    return totals


def openai_paid(day: date, polled_at: datetime) -> int:
    """What the OpenAI costs endpoint of the emulator bills for ``day`` when polled at ``polled_at``."""
    return usd_to_micros(SCENARIO.openai_cost_usd(day, polled_at))


def anthropic_paid(day: date, polled_at: datetime) -> int:
    """What the Anthropic cost report of the emulator bills for ``day`` (each row's cents in micro-USD)."""
    return sum(
        cents_to_micros(SCENARIO.anthropic_cost_cents(model, token_type, day, polled_at))
        for model in ANTHROPIC_PRICES
        for token_type in ANTHROPIC_TOKEN_TYPES
    )


def sonnet_cost(*, input: int, output: int, cache_read: int = 0, cache_5m: int = 0) -> int:
    """One Claude Sonnet 4.6 request at list price, rounded half up to the micro-dollar."""
    scaled = (
        input * SONNET_46["input"]
        + output * SONNET_46["output"]
        + cache_read * SONNET_46["cache_read"]
        + cache_5m * SONNET_46["cache_5m"]
    )
    return (scaled + 500_000) // 1_000_000


@dataclass
class ClaudeRequest:
    """One Claude Code request as its log line says it."""

    at: datetime
    message_id: str
    input: int
    output: int
    cache_read: int = 0
    cache_5m: int = 0
    model: str = "claude-sonnet-4-6"

    @property
    def tokens(self) -> int:
        return self.input + self.output + self.cache_read + self.cache_5m

    @property
    def cost(self) -> int:
        return sonnet_cost(input=self.input, output=self.output, cache_read=self.cache_read, cache_5m=self.cache_5m)

    def line(self) -> str:
        return json.dumps(
            {
                "type": "assistant",
                "timestamp": self.at.isoformat().replace("+00:00", "Z"),
                "sessionId": "s-1",
                "version": "2.1.40",
                "requestId": f"req_{self.message_id}",
                "isSidechain": False,
                "cwd": "/home/dev/src/app",
                "message": {
                    "id": f"msg_{self.message_id}",
                    "type": "message",
                    "role": "assistant",
                    "model": self.model,
                    "content": [{"type": "text", "text": "ok"}],
                    "usage": {
                        "input_tokens": self.input,
                        "cache_creation_input_tokens": self.cache_5m,
                        "cache_read_input_tokens": self.cache_read,
                        "cache_creation": {"ephemeral_5m_input_tokens": self.cache_5m, "ephemeral_1h_input_tokens": 0},
                        "output_tokens": self.output,
                    },
                },
            }
        )


def write_claude_logs(root: Path, requests: list[ClaudeRequest]) -> Path:
    """A Claude Code config folder with one session file holding ``requests``."""
    folder = root / "projects" / "-home-dev-src-app"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "s-1.jsonl").write_text("".join(r.line() + "\n" for r in requests), encoding="utf-8")
    return root


@dataclass
class CodexTurn:
    """One Codex token_count event; ``plan`` is the ChatGPT plan in its rate_limits ('' for an API key)."""

    at: datetime
    input: int
    cached: int
    output: int
    plan: str = "plus"

    @property
    def cost(self) -> int:
        scaled = (
            (self.input - self.cached) * GPT_5_CODEX["input"]
            + self.cached * GPT_5_CODEX["cached"]
            + self.output * GPT_5_CODEX["output"]
        )
        return (scaled + 500_000) // 1_000_000


def write_codex_rollout(root: Path, name: str, turns: list[CodexTurn]) -> Path:
    """A ``CODEX_HOME`` with one rollout of ``turns`` on gpt-5-codex."""
    first = turns[0].at
    folder = root / "sessions" / f"{first:%Y}" / f"{first:%m}" / f"{first:%d}"
    folder.mkdir(parents=True, exist_ok=True)
    lines = [
        {
            "timestamp": first.isoformat().replace("+00:00", "Z"),
            "type": "turn_context",
            "payload": {"model": "gpt-5-codex", "cwd": "/home/dev/src/app"},
        }
    ]
    for t in turns:
        usage = {
            "input_tokens": t.input,
            "cached_input_tokens": t.cached,
            "output_tokens": t.output,
            "reasoning_output_tokens": 0,
            "total_tokens": t.input + t.output,
        }
        limits = {"primary": {"used_percent": 5.0, "window_minutes": 300, "resets_at": None}}
        if t.plan:
            limits["plan_type"] = t.plan  # type: ignore[assignment]
        lines.append(
            {
                "timestamp": t.at.isoformat().replace("+00:00", "Z"),
                "type": "event_msg",
                "payload": {"type": "token_count", "rate_limits": limits, "info": {"last_token_usage": usage}},
            }
        )
    (folder / f"rollout-{first:%Y-%m-%dT%H-%M-%S}-{name}.jsonl").write_text(
        "".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8"
    )
    return root


@dataclass
class World:
    """The CLI on ``home`` with its clock at ``clock`` (``TOKENWALLET_NOW``), and the emulator on the same clock."""

    home: Path
    clock: FixedClock
    emulator: RunningEmulator | None = None
    runner: CliRunner = field(default_factory=CliRunner)

    @property
    def now(self) -> datetime:
        return self.clock()

    def at(self, moment: datetime) -> None:
        """Move the emulator's and the CLI's clock to ``moment``."""
        self.clock.set(moment)

    def run(self, *args: str, stdin: str | None = None, code: int = 0) -> Result:
        env = {"TOKENWALLET_NOW": self.now.isoformat()}
        result = self.runner.invoke(
            cli, ["--home", str(self.home), *args], input=stdin, env=env, catch_exceptions=False
        )
        assert result.exit_code == code, result.output
        return result

    def json(self, *args: str, stdin: str | None = None) -> Any:
        return json.loads(self.run(*args, "--json", stdin=stdin).stdout)

    def add_account(self, kind: str) -> str:
        assert self.emulator is not None
        added = self.json(
            "account",
            "add",
            kind,
            "--label",
            f"work {kind}",
            "--base-url",
            self.emulator.base_url(kind),
            "--key-stdin",
            stdin=self.emulator.keys[kind] + "\n",
        )
        return str(added["account"]["id"])

    def add_account_with(self, kind: str, *options: str) -> str:
        """Add an account of ``kind`` with more options (filters); its id."""
        assert self.emulator is not None
        added = self.json(
            "account",
            "add",
            kind,
            "--label",
            f"work {kind}",
            "--base-url",
            self.emulator.base_url(kind),
            "--key-stdin",
            *options,
            stdin=self.emulator.keys[kind] + "\n",
        )
        return str(added["account"]["id"])

    def import_logs(self, agent: str, path: Path) -> str:
        summary = self.json("import", agent, "--path", str(path))["import"]
        return str(summary["account_id"])

    def allowance(self, name: str) -> dict[str, Any]:
        [found] = [a for a in self.json("status")["allowances"] if a["name"] == name]
        return found  # type: ignore[no-any-return]


def streams(allowance: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """An allowance's stream figures by (stream, confidence)."""
    return {(s["stream"], s["confidence"]): s for s in allowance["streams"]}
