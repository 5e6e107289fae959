"""Asking before unsaved changes are dropped: save them, discard them, or keep editing."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import StrEnum

from PySide6.QtWidgets import QMessageBox, QWidget


class Answer(StrEnum):
    """What the user chose when a window with unsaved changes was closed."""

    SAVE = "save"
    DISCARD = "discard"
    KEEP = "keep"


Ask = Callable[[QWidget, Sequence[str]], Answer]
"""A question asked with the window and its unsaved changes in words (tests answer it themselves)."""


def ask_about_changes(parent: QWidget, unsaved: Sequence[str]) -> Answer:
    """The platform's message box: the unsaved changes listed, with Save, Discard and Cancel."""
    listed = "\n".join(f"• {line}" for line in unsaved)
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Unsaved changes")
    box.setText("These changes are not saved yet:")
    box.setInformativeText(listed)
    box.setStandardButtons(
        QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel
    )
    box.setDefaultButton(QMessageBox.StandardButton.Save)
    chosen = box.exec()
    if chosen == QMessageBox.StandardButton.Save:
        return Answer.SAVE
    if chosen == QMessageBox.StandardButton.Discard:
        return Answer.DISCARD
    return Answer.KEEP
