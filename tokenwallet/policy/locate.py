"""Where each value of a policy file is: the line of every key, table and list item.

The standard parsers (``tomllib``, ``json``) give values without positions, so an error about
``allowance[0].cadence`` could not say where it is.  These scanners walk a text that the parser
has already accepted and record the line each path starts on; they only need to be right for
valid documents.  :func:`line_of` falls back to the nearest enclosing value that has a line (a
missing field is reported at its table).
"""

from __future__ import annotations

import json.decoder
import re
from collections.abc import Callable, Mapping

from tokenwallet.policy.schema_check import Path

Lines = dict[Path, int]

_scanstring: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]
_BARE = re.compile(r"[A-Za-z0-9_-]+")


class _Scanner:
    """Shared cursor over the text: position, line, and skipping of blanks and comments."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.lines: Lines = {}

    @property
    def line(self) -> int:
        return self.text.count("\n", 0, self.pos) + 1

    def peek(self, size: int = 1) -> str:
        return self.text[self.pos : self.pos + size]

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def skip(self, *, newlines: bool, comments: bool = True) -> None:
        while not self.at_end():
            char = self.text[self.pos]
            if char in " \t\r" or (newlines and char == "\n"):
                self.pos += 1
            elif comments and char == "#":
                end = self.text.find("\n", self.pos)
                self.pos = len(self.text) if end < 0 else end
            else:
                return

    def mark(self, path: Path) -> None:
        self.lines.setdefault(path, self.line)


class _Toml(_Scanner):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.arrays: dict[Path, int] = {}

    def run(self) -> Lines:
        table: Path = ()
        while True:
            self.skip(newlines=True)
            if self.at_end():
                return self.lines
            if self.peek(2) == "[[":
                self.pos += 2
                table = self._header(self._key(), array=True)
                self._to_line_end()
            elif self.peek() == "[":
                self.pos += 1
                table = self._header(self._key(), array=False)
                self._to_line_end()
            else:
                key = self._key()
                self.mark((*table, *key))
                self._equals()
                self._value((*table, *key))

    def _header(self, parts: list[str], *, array: bool) -> Path:
        resolved: Path = ()
        for part in parts[:-1]:
            resolved = (*resolved, part)
            if resolved in self.arrays:
                resolved = (*resolved, self.arrays[resolved])
        resolved = (*resolved, parts[-1])
        self.mark(resolved)
        if array:
            self.arrays[resolved] = self.arrays.get(resolved, -1) + 1
            resolved = (*resolved, self.arrays[resolved])
            self.mark(resolved)
        return resolved

    def _to_line_end(self) -> None:
        end = self.text.find("\n", self.pos)
        self.pos = len(self.text) if end < 0 else end

    def _key(self) -> list[str]:
        parts: list[str] = []
        while True:
            self.skip(newlines=False)
            char = self.peek()
            if char in ('"', "'"):
                parts.append(self._string())
            else:
                match = _BARE.match(self.text, self.pos)
                if match is None:
                    raise ValueError(f"no key at line {self.line}")
                parts.append(match.group())
                self.pos = match.end()
            self.skip(newlines=False)
            if self.peek() != ".":
                return parts
            self.pos += 1

    def _equals(self) -> None:
        self.skip(newlines=False)
        if self.peek() == "=":
            self.pos += 1
        self.skip(newlines=False)

    def _string(self) -> str:
        quote = self.peek()
        if self.peek(3) == quote * 3:
            end = self.text.find(quote * 3, self.pos + 3)
            end = len(self.text) if end < 0 else end
            while self.text[end + 3 : end + 4] == quote:  # up to two quotes may end the content
                end += 1
            value = self.text[self.pos + 3 : end]
            self.pos = end + 3
            return value
        self.pos += 1
        start = self.pos
        while not self.at_end() and self.text[self.pos] != quote:
            self.pos += 2 if quote == '"' and self.text[self.pos] == "\\" else 1
        value = self.text[start : self.pos]
        self.pos += 1
        return value

    def _value(self, path: Path) -> None:
        char = self.peek()
        if char in ('"', "'"):
            self._string()
        elif char == "[":
            self.pos += 1
            index = 0
            while True:
                self.skip(newlines=True)
                if self.at_end() or self.peek() == "]":
                    self.pos += 1
                    return
                self.mark((*path, index))
                self._value((*path, index))
                self.skip(newlines=True)
                if self.peek() == ",":
                    self.pos += 1
                index += 1
        elif char == "{":
            self.pos += 1
            while True:
                self.skip(newlines=False)
                if self.at_end() or self.peek() == "}":
                    self.pos += 1
                    return
                key = self._key()
                self.mark((*path, *key))
                self._equals()
                self._value((*path, *key))
                self.skip(newlines=False)
                if self.peek() == ",":
                    self.pos += 1
        else:
            match = re.compile(r"[^,\]}\n#]*").match(self.text, self.pos)
            self.pos = match.end() if match else self.pos + 1


class _Json(_Scanner):
    def run(self) -> Lines:
        self.skip(newlines=True, comments=False)
        self._value(())
        return self.lines

    def _string(self) -> str:
        value, self.pos = _scanstring(self.text, self.pos + 1)
        return value

    def _value(self, path: Path) -> None:
        self.mark(path)
        char = self.peek()
        if char == '"':
            self._string()
        elif char in "[{":
            close = "]" if char == "[" else "}"
            self.pos += 1
            index = 0
            while True:
                self.skip(newlines=True, comments=False)
                if self.at_end() or self.peek() == close:
                    self.pos += 1
                    return
                if self.peek() == ",":
                    self.pos += 1
                    continue
                if char == "{":
                    key_line = self.line
                    key = self._string()
                    self.lines.setdefault((*path, key), key_line)
                    self.skip(newlines=True, comments=False)
                    self.pos += 1  # the colon
                    self.skip(newlines=True, comments=False)
                    self._value((*path, key))
                else:
                    self._value((*path, index))
                    index += 1
        else:
            match = re.compile(r"[^,\]}\s]*").match(self.text, self.pos)
            self.pos = match.end() if match and match.end() > self.pos else self.pos + 1


def toml_lines(text: str) -> Lines:
    """The line of every table, key and list item of a valid TOML document."""
    return _Toml(text).run()


def json_lines(text: str) -> Lines:
    """The line of every value, key and list item of a valid JSON document."""
    return _Json(text).run()


def line_of(lines: Mapping[Path, int], path: Path) -> int | None:
    """The line of ``path``, else of the nearest enclosing value that has one (None: unknown)."""
    for size in range(len(path), 0, -1):
        if path[:size] in lines:
            return lines[path[:size]]
    return None
