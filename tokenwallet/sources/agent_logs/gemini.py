"""Gemini CLI chats: ``tmp/<project>/chats/session-*.json`` documents and newer ``.jsonl`` records.

Messages with ``type == "gemini"`` carry ``model``, ``timestamp`` and ``tokens = {input, output,
cached, thoughts, tool, total}``.  ``input`` already includes ``cached`` (subtracted here so cached
tokens are not counted twice) and ``thoughts`` are billed as output.  A ``.json`` chat is one
document rewritten as the chat grows, so it is re-read whole when it changes; the natural key
(session id + message id) keeps that idempotent.
"""

from __future__ import annotations

from typing import Any

import msgspec

from tokenwallet.sources.agent_logs.common import Counts, Item, as_int, complete_lines, parse_time


def _item(msg: Any, session: str, index: int, project: str, counts: Counts) -> Item | None:
    if not isinstance(msg, dict) or msg.get("type") != "gemini":
        return None
    tokens = msg.get("tokens")
    if not isinstance(tokens, dict):
        return None
    at = parse_time(msg.get("timestamp"))
    model = msg.get("model")
    if at is None or not isinstance(model, str):
        counts.malformed += 1
        return None
    inp = as_int(tokens.get("input"))
    cached = min(as_int(tokens.get("cached")), inp)
    thoughts = as_int(tokens.get("thoughts"))
    out = as_int(tokens.get("output"))
    if inp == 0 and out == 0 and thoughts == 0:
        return None
    counts.entries += 1
    ident = msg.get("id") if isinstance(msg.get("id"), str) and msg.get("id") else f"#{index}"
    return Item(
        key=f"{session}/{ident}",
        at=at,
        model=model,
        input_tokens=inp - cached,
        cached_tokens=cached,
        output_tokens=out + thoughts,
        reasoning_tokens=thoughts,
        project=project,
    )


def read_document(data: bytes, *, project: str, fallback_session: str) -> tuple[list[Item], Counts]:
    """All usage entries of a whole ``session-*.json`` chat."""
    counts = Counts(lines=1)
    try:
        doc = msgspec.json.decode(data)
    except (msgspec.DecodeError, UnicodeDecodeError):
        counts.malformed += 1
        return [], counts
    if not isinstance(doc, dict) or not isinstance(doc.get("messages"), list):
        counts.malformed += 1
        return [], counts
    session = doc.get("sessionId") if isinstance(doc.get("sessionId"), str) else fallback_session
    items = [
        it for i, m in enumerate(doc["messages"]) if (it := _item(m, str(session), i, project, counts)) is not None
    ]
    return items, counts


def read_chunk(
    data: bytes, *, base_offset: int, project: str, fallback_session: str, state: dict[str, Any]
) -> tuple[list[Item], Counts, int]:
    """Usage entries of the complete lines of a ``.jsonl`` chat; returns items, counts, bytes consumed."""
    counts = Counts()
    items: list[Item] = []
    end = complete_lines(data)
    pos = 0
    while pos < end:
        nl = data.index(b"\n", pos)
        raw = data[pos:nl]
        start = pos
        pos = nl + 1
        counts.lines += 1
        if b'"sessionId"' in raw and "session" not in state:
            try:
                head = msgspec.json.decode(raw)
                if isinstance(head, dict) and isinstance(head.get("sessionId"), str):
                    state["session"] = head["sessionId"]
            except (msgspec.DecodeError, UnicodeDecodeError):
                pass
        if b'"tokens"' not in raw:
            continue
        try:
            obj = msgspec.json.decode(raw)
        except (msgspec.DecodeError, UnicodeDecodeError):
            counts.malformed += 1
            continue
        session = str(state.get("session") or fallback_session)
        item = _item(obj, session, base_offset + start, project, counts)
        if item is not None:
            items.append(item)
    return items, counts, end
