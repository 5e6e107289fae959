"""Gemini CLI chats: ``tmp/<project>/chats/session-*.json`` documents and newer ``.jsonl`` records.

Messages with ``type == "gemini"`` carry ``model``, ``timestamp`` and ``tokens = {input, output,
cached, thoughts, tool, total}``.  ``input`` already includes ``cached`` (subtracted here so cached
tokens are not counted twice) and ``thoughts`` are billed as output.  A ``.json`` chat is one
document rewritten as the chat grows, so it is re-read whole when it changes; the natural key
(session id + message id) keeps that idempotent.  A document is decoded without its message
contents (only the fields below are kept), and one larger than ``MAX_DOCUMENT_BYTES`` is not
read.  A token count or time outside ``domain.limits`` rejects its message.
"""

from __future__ import annotations

from typing import Any

import msgspec

from tokenwallet.domain.limits import MAX_TOKENS
from tokenwallet.sources.agent_logs.common import (
    NESTED_TOO_DEEPLY,
    TOKENS_OUT_OF_RANGE,
    Counts,
    Item,
    OutOfRange,
    complete_lines,
    parse_time,
    token_count,
)


class _Message(msgspec.Struct, gc=False):
    """The fields of a chat message the import uses; its content is skipped while decoding."""

    type: Any = None
    id: Any = None
    model: Any = None
    timestamp: Any = None
    tokens: Any = None


class _Chat(msgspec.Struct, gc=False):
    sessionId: Any = None
    messages: list[msgspec.Raw] | None = None


_CHAT = msgspec.json.Decoder(_Chat)
_MESSAGE = msgspec.json.Decoder(_Message)


def _item(msg: Any, session: str, index: int, project: str, counts: Counts) -> Item | None:
    """The usage entry of one message (a dict), if it has one; a bad time or count rejects it."""
    try:
        return _entry(msg, session, index, project, counts)
    except OutOfRange as exc:
        counts.reject(exc.reason)
        return None


def _entry(msg: Any, session: str, index: int, project: str, counts: Counts) -> Item | None:
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
    inp = token_count(tokens.get("input"))
    cached = min(token_count(tokens.get("cached")), inp)
    thoughts = token_count(tokens.get("thoughts"))
    out = token_count(tokens.get("output"))
    if out + thoughts > MAX_TOKENS:  # stored as one output count
        raise OutOfRange(TOKENS_OUT_OF_RANGE)
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
        doc = _CHAT.decode(data)
    except (msgspec.DecodeError, UnicodeDecodeError):
        counts.malformed += 1
        return [], counts
    except RecursionError:
        counts.reject(NESTED_TOO_DEEPLY)
        return [], counts
    if doc.messages is None:
        counts.malformed += 1
        return [], counts
    session = doc.sessionId if isinstance(doc.sessionId, str) else fallback_session
    items: list[Item] = []
    for i, raw in enumerate(doc.messages):
        try:
            msg = _MESSAGE.decode(raw)
        except msgspec.DecodeError:
            continue  # not a message object: nothing to count, as in a chat's other entries
        except RecursionError:
            counts.reject(NESTED_TOO_DEEPLY)
            continue
        fields = {"type": msg.type, "id": msg.id, "model": msg.model, "timestamp": msg.timestamp, "tokens": msg.tokens}
        item = _item(fields, str(session), i, project, counts)
        if item is not None:
            items.append(item)
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
            except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
                pass  # counted below if it carries tokens
        if b'"tokens"' not in raw:
            continue
        try:
            obj = msgspec.json.decode(raw)
        except (msgspec.DecodeError, UnicodeDecodeError):
            counts.malformed += 1
            continue
        except RecursionError:
            counts.reject(NESTED_TOO_DEEPLY)
            continue
        session = str(state.get("session") or fallback_session)
        item = _item(obj, session, base_offset + start, project, counts)
        if item is not None:
            items.append(item)
    return items, counts, end
