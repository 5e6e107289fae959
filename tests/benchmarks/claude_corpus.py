"""Generate a realistic Claude Code log corpus (for the ccusage peer check and the import benchmark).

Lines are compact JSON as Claude Code writes them: user prompts and tool results, and one
assistant line per content block (thinking, text, tool_use) repeating the same ``message.id``,
``requestId`` and usage.  Sessions live in ``projects/<project>/<session>.jsonl`` with sub-agent
transcripts under ``<session>/subagents/``; a few sidechain lines replay a parent message with a
new request id, as ``/btw`` does.  Every request stays below 200k input tokens so long-context
tiers (priced differently by the two catalogs) do not blur the comparison, unless
``long_context`` is set: then Claude Sonnet 4 and 4.5 sessions (the models with the 1M-token
context window and its long-context rates) start near 200k and grow past it.

Two densities: ``sparse`` (the default; long tool results and thinking, about 140 requests per
MB) and ``dense`` (short prompts, tool results and answers, as a busy agent writes them: about
550 requests per MB, three lines per request), which also has about one line in 300 cut short
(a write interrupted mid-line, then the session went on) that both tools must skip.

    python tests/benchmarks/claude_corpus.py DIR --size 50MB [--density dense] [--long-context]
"""

from __future__ import annotations

import argparse
import json
import random
import string
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

MODELS = (
    "claude-sonnet-4-20250514",
    "claude-sonnet-4-6",
    "claude-opus-4-6",
    "claude-haiku-4-5-20251001",
    "claude-opus-4-1-20250805",
)
LONG_CONTEXT_MODELS = ("claude-sonnet-4-20250514", "claude-sonnet-4-5-20250929")
"""With ``long_context``: the models whose sessions grow past 200k input tokens (Sonnet 4.5 is added)."""
_WORDS = [
    "".join(random.Random(i).choices(string.ascii_lowercase, k=random.Random(i).randint(2, 10))) for i in range(512)
]


def _dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"))


def _text(rng: random.Random, size: int) -> str:
    out: list[str] = []
    n = 0
    while n < size:
        w = _WORDS[rng.randrange(512)]
        out.append(w)
        n += len(w) + 1
    return " ".join(out)


def _claude_order(line: dict[str, Any], request_id: str) -> dict[str, Any]:
    """Claude Code's key order: envelope, ``message``, then ``requestId``, ``type``, ``uuid``, ``timestamp``."""
    tail = {k: line.pop(k) for k in ("type", "uuid", "timestamp")}
    line["requestId"] = request_id
    line.update(tail)
    return line


DENSITIES = ("sparse", "dense")

CUT_EVERY = 100
"""In a dense corpus, about one turn in this many has one of its lines cut short (a malformed line)."""


class _Session:
    def __init__(
        self, rng: random.Random, project: str, start: datetime, *, dense: bool = False, long_context: bool = False
    ) -> None:
        self.rng = rng
        self.dense = dense
        self.id = str(uuid.UUID(int=rng.getrandbits(128)))
        self.cwd = f"/home/dev/src/{project}"
        self.at = start
        self.parent: str | None = None
        self.model = rng.choice(MODELS + LONG_CONTEXT_MODELS[1:] if long_context else MODELS)
        self.context = rng.randint(8_000, 30_000)
        self.limit = 150_000
        if long_context and self.model in LONG_CONTEXT_MODELS:
            self.context, self.limit = rng.randint(150_000, 195_000), 420_000

    def _envelope(self, kind: str, sidechain: bool = False) -> dict[str, Any]:
        me = str(uuid.UUID(int=self.rng.getrandbits(128)))
        env = {
            "parentUuid": self.parent,
            "isSidechain": sidechain,
            "userType": "external",
            "cwd": self.cwd,
            "sessionId": self.id,
            "version": "2.1.40",
            "gitBranch": "main",
            "type": kind,
            "uuid": me,
            "timestamp": self.at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{self.at.microsecond // 1000:03d}Z",
        }
        self.parent = me
        return env

    def turn(self) -> list[str]:
        """One user prompt or tool result, then one assistant message written as several lines."""
        rng = self.rng
        lines: list[str] = []
        self.at += timedelta(seconds=rng.randint(2, 90), milliseconds=rng.randint(0, 999))
        user = self._envelope("user")
        dense = self.dense
        if rng.random() < 0.7:
            tool = f"toolu_{rng.getrandbits(64):016x}"
            size = rng.randint(10, 120) if dense else rng.choice((400, 1500, 4000, 12000))
            result = {"tool_use_id": tool, "type": "tool_result", "content": _text(rng, size)}
            user["message"] = {"role": "user", "content": [result]}
        else:
            prompt = rng.randint(10, 120) if dense else rng.randint(40, 600)
            user["message"] = {"role": "user", "content": _text(rng, prompt)}
        lines.append(_dumps(user))
        self.at += timedelta(seconds=rng.randint(1, 20), milliseconds=rng.randint(0, 999))
        msg_id = f"msg_01{rng.getrandbits(96):024x}"
        req_id = f"req_011C{rng.getrandbits(96):024x}"
        written = rng.randint(200, 4000)
        one_hour = rng.random() < 0.2
        usage: dict[str, Any] = {
            "input_tokens": rng.randint(1, 40),
            "cache_creation_input_tokens": written,
            "cache_read_input_tokens": self.context,
            "cache_creation": {
                "ephemeral_5m_input_tokens": 0 if one_hour else written,
                "ephemeral_1h_input_tokens": written if one_hour else 0,
            },
            "output_tokens": rng.randint(20, 3000),
            "service_tier": "standard",
        }
        self.context = min(self.context + written, self.limit)
        blocks: list[dict[str, Any]] = []
        if not dense or rng.random() < 0.1:
            thought = rng.randint(10, 100) if dense else rng.randint(100, 1500)
            blocks.append({"type": "thinking", "thinking": _text(rng, thought), "signature": "sig"})
        blocks.append({"type": "text", "text": _text(rng, rng.randint(10, 100) if dense else rng.randint(50, 800))})
        if rng.random() < (0.5 if dense else 0.7):
            blocks.append(
                {
                    "type": "tool_use",
                    "id": f"toolu_{rng.getrandbits(64):016x}",
                    "name": "Bash",
                    "input": {"command": _text(rng, 30 if dense else 60)},
                }
            )
        for block in blocks:
            line = self._envelope("assistant")
            line["message"] = {
                "id": msg_id,
                "type": "message",
                "role": "assistant",
                "model": self.model,
                "content": [block],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": usage,
            }
            lines.append(_dumps(_claude_order(line, req_id)))
        if rng.random() < 0.01:  # a /btw sidechain replays this message under a new request id
            line = self._envelope("assistant", sidechain=True)
            line["message"] = {
                "id": msg_id,
                "type": "message",
                "role": "assistant",
                "model": self.model,
                "content": [blocks[-1]],
                "stop_reason": "end_turn",
                "usage": usage,
            }
            lines.append(_dumps(_claude_order(line, f"req_011C{rng.getrandbits(96):024x}")))
        if dense and rng.random() < 0.4:
            # A short line without usage (Claude Code writes several kinds between messages).
            snapshot = {"type": "file-history-snapshot", "messageId": self.parent, "isSnapshotUpdate": False}
            snapshot["snapshot"] = {"messageId": self.parent, "trackedFileBackups": {}, "timestamp": user["timestamp"]}
            lines.append(_dumps(snapshot))
        if dense and rng.random() < 1 / CUT_EVERY:
            # A write interrupted mid-line, after the usage: the line ends early (not JSON) and the
            # session goes on on the next line.  Both tools skip it (the import counts it as
            # malformed); its usage is on the response's other content-block lines when it has any.
            at = rng.randrange(1, 1 + len(blocks))
            usage_at = lines[at].index('"usage"') + 8
            lines[at] = lines[at][: rng.randint(usage_at, len(lines[at]) - 2)]
        return lines


def generate(
    root: Path,
    size: int,
    *,
    seed: int = 7,
    start: datetime | None = None,
    density: str = "sparse",
    long_context: bool = False,
) -> dict[str, int]:
    """Write about ``size`` bytes of sessions under ``root/projects``; returns file, line and request counts.

    ``density`` is ``sparse`` or ``dense``; ``long_context``: Sonnet 4 and 4.5 sessions run past
    200k input tokens (see the module's docstring).
    """
    if density not in DENSITIES:
        raise ValueError(f"density must be one of {', '.join(DENSITIES)}")
    dense = density == "dense"
    rng = random.Random(seed)
    base = start or datetime(2026, 10, 20, 8, 0, tzinfo=UTC)
    projects = [f"-home-dev-src-{_WORDS[i]}-{i}" for i in range(max(3, min(60, size // 15_000_000 + 3)))]
    written = files = lines = requests = 0
    n = 0
    while written < size:
        project = projects[n % len(projects)]
        begin = base + timedelta(hours=n * 7 % (24 * 30), minutes=n % 60)
        session = _Session(rng, project.rsplit("-", 2)[-2], begin, dense=dense, long_context=long_context)
        folder = root / "projects" / project
        path = folder / f"{session.id}.jsonl"
        if n % 9 == 8:  # a sub-agent transcript nested under its session
            path = folder / session.id / "subagents" / f"agent-{rng.getrandbits(32):08x}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        turns = rng.randint(20, 400)
        chunk: list[str] = []
        for _ in range(turns):
            chunk.extend(session.turn())
        text = "\n".join(chunk) + "\n"
        with path.open("a", encoding="utf-8") as fh:
            fh.write(text)
        written += len(text)
        files += 1
        lines += len(chunk)
        requests += turns
        n += 1
    return {"files": files, "lines": lines, "bytes": written, "requests": requests}


def append(root: Path, size: int, *, seed: int = 99, density: str = "sparse") -> int:
    """Append about ``size`` bytes of new turns to existing session files; returns bytes written."""
    rng = random.Random(seed)
    targets = sorted((root / "projects").rglob("*.jsonl"))[:20]
    written = 0
    i = 0
    while written < size:
        path = targets[i % len(targets)]
        begin = datetime(2026, 11, 20, 9, 0, tzinfo=UTC) + timedelta(minutes=i)
        session = _Session(rng, "appended", begin, dense=density == "dense")
        text = "\n".join(session.turn()) + "\n"
        with path.open("a", encoding="utf-8") as fh:
            fh.write(text)
        written += len(text)
        i += 1
    return written


def parse_size(text: str) -> int:
    """``1GB``, ``50MB``, ``800KB`` or a plain byte count."""
    text = text.strip().upper()
    for suffix, factor in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if text.endswith(suffix):
            return int(float(text[: -len(suffix)]) * factor)
    return int(text)


def main() -> None:
    """Command line: generate a corpus into a folder."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("root", type=Path)
    parser.add_argument("--size", default="20MB")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--density", choices=DENSITIES, default="sparse")
    parser.add_argument("--long-context", action="store_true", help="Sonnet 4 and 4.5 sessions run past 200k")
    args = parser.parse_args()
    print(
        generate(args.root, parse_size(args.size), seed=args.seed, density=args.density, long_context=args.long_context)
    )


if __name__ == "__main__":
    main()
