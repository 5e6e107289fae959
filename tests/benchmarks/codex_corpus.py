"""Generate a Codex CLI log corpus in the rollout shape Codex writes (for the ccusage peer check).

``CODEX_HOME/sessions/YYYY/MM/DD/rollout-<time>-<uuid>.jsonl``: a ``session_meta`` line, a
``turn_context`` naming the model (now and then ``codex-auto-review``, which both tools price as
the newest Codex model of its day), and per turn a ``token_count`` event carrying
``last_token_usage`` and the running ``total_token_usage`` with the rate-limit windows.  Some
events repeat the previous running total (Codex does when nothing new was used), some carry only
the running total, some carry no usage at all (a rate-limit reading), and a model switch mid
session starts a new ``turn_context``.

    python tests/benchmarks/codex_corpus.py DIR --sessions 200
"""

from __future__ import annotations

import argparse
import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

MODELS = ("gpt-5-codex", "gpt-5.1-codex", "gpt-5.2-codex", "gpt-5", "codex-auto-review")
_FIELDS = ("input_tokens", "cached_input_tokens", "output_tokens", "reasoning_output_tokens", "total_tokens")


def _dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"))


def _stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def _limits(rng: random.Random, at: datetime) -> dict[str, Any]:
    reset = int(at.timestamp()) + 3600
    return {
        "limit_id": "codex",
        "primary": {"used_percent": round(rng.uniform(0, 90), 1), "window_minutes": 300, "resets_at": reset},
        "secondary": {"used_percent": round(rng.uniform(0, 60), 1), "window_minutes": 10080, "resets_at": reset},
        "plan_type": "plus",
    }


def _session(rng: random.Random, at: datetime) -> tuple[Path, list[str]]:
    sid = str(uuid.UUID(int=rng.getrandbits(128)))
    name = f"rollout-{at.strftime('%Y-%m-%dT%H-%M-%S')}-{sid}.jsonl"
    path = Path("sessions") / at.strftime("%Y/%m/%d") / name
    lines = [_dumps({"timestamp": _stamp(at), "type": "session_meta", "payload": {"id": sid, "cwd": "/src/app"}})]
    total = [0, 0, 0, 0, 0]
    for turn in range(rng.randint(3, 40)):
        at += timedelta(seconds=rng.randint(5, 400))
        if turn == 0 or rng.random() < 0.08:
            context = {"cwd": "/src/app", "model": rng.choice(MODELS), "effort": "medium"}
            lines.append(_dumps({"timestamp": _stamp(at), "type": "turn_context", "payload": context}))
        inp = rng.randint(2_000, 120_000)
        cached = rng.randint(0, inp)
        out = rng.randint(50, 8_000)
        reasoning = rng.randint(0, out)
        last = [inp, cached, out, reasoning, inp + out]
        total = [t + d for t, d in zip(total, last, strict=True)]
        info: dict[str, Any] = {
            "total_token_usage": dict(zip(_FIELDS, total, strict=True)),
            "last_token_usage": dict(zip(_FIELDS, last, strict=True)),
            "model_context_window": 272000,
        }
        kind = rng.random()
        if kind < 0.1:
            info["last_token_usage"] = None  # only the running total: the delta is the difference
        payload = {"type": "token_count", "info": info, "rate_limits": _limits(rng, at)}
        lines.append(_dumps({"timestamp": _stamp(at), "type": "event_msg", "payload": payload}))
        if kind > 0.85:  # the same running total again: nothing new was used
            at += timedelta(seconds=1)
            lines.append(_dumps({"timestamp": _stamp(at), "type": "event_msg", "payload": payload}))
        if kind > 0.95:  # a rate-limit reading without usage
            reading = {"type": "token_count", "info": None, "rate_limits": _limits(rng, at)}
            lines.append(_dumps({"timestamp": _stamp(at), "type": "event_msg", "payload": reading}))
    return path, lines


def generate(root: Path, sessions: int, *, seed: int = 11, start: datetime | None = None) -> dict[str, int]:
    """Write ``sessions`` rollouts spread over 30 days before ``start``; returns counts."""
    rng = random.Random(seed)
    start = start or datetime(2026, 11, 20, tzinfo=UTC)
    files = lines = 0
    for _ in range(sessions):
        at = start - timedelta(days=rng.randint(0, 30), seconds=rng.randint(0, 86_399))
        path, body = _session(rng, at)
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("\n".join(body) + "\n")
        files += 1
        lines += len(body)
    return {"files": files, "lines": lines}


def main() -> None:
    """Command line: write a corpus into DIR."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dir", type=Path)
    parser.add_argument("--sessions", type=int, default=200)
    args = parser.parse_args()
    print(generate(args.dir, args.sessions))


if __name__ == "__main__":
    main()
