"""Pointing at the field a refusal is about: a red frame on it, and the keyboard focus."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtWidgets import QWidget

MARK = "border: 2px solid #c62828; border-radius: 3px;"


class FieldMarks:
    """The widgets of a form by the ``field`` names the services use in a :class:`UserInputError`."""

    def __init__(self, widgets: Mapping[str, QWidget]) -> None:
        self.widgets = dict(widgets)
        self.marked: QWidget | None = None

    def mark(self, field: str | None) -> QWidget | None:
        """Frame the widget of ``field`` in red and give it the focus; returns it (None: not one of ours)."""
        self.clear()
        widget = self.widgets.get(field or "")
        if widget is None:
            return None
        widget.setStyleSheet(MARK)
        widget.setFocus()
        self.marked = widget
        return widget

    def clear(self) -> None:
        """Take the red frame off again."""
        if self.marked is not None:
            self.marked.setStyleSheet("")
            self.marked = None
