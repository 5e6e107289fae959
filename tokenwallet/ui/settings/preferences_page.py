"""A settings page whose fields are keys of the settings file, saved together with one button.

The page knows which fields differ from the settings as last read (:meth:`PreferencesPage.pending`),
so the dialog can ask before dropping them and save them all in one go; a refusal names the
settings key, whose field is framed in red.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from tokenwallet.services.preferences import save_preferences
from tokenwallet.ui.settings.changes import Step
from tokenwallet.ui.settings.field_marks import FieldMarks

if TYPE_CHECKING:
    from tokenwallet.domain.errors import TokenwalletError
    from tokenwallet.ui.settings.changes import SettingsChanges, SettingsData


@dataclass(frozen=True, slots=True)
class Preference:
    """One settings key on a page: its name in words, how to read and show it, the widget to point at."""

    key: str
    name: str
    read: Callable[[], Any]
    show: Callable[[Any], None]
    widget: QWidget


class PreferencesPage(QWidget):
    """Fields that are settings keys; :meth:`add` registers each, :attr:`save_button` saves them."""

    title = "Settings"

    def __init__(self, changes: SettingsChanges, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.changes = changes
        self.data: SettingsData | None = None
        self.preferences: list[Preference] = []
        self.save_button = QPushButton("Save")
        self.save_button.clicked.connect(self.save)
        changes.busy_changed.connect(self._set_busy)

    def button_row(self) -> QHBoxLayout:
        """The Save button at the right of a row of its own."""
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.save_button)
        return row

    def add(self, key: str, name: str, read: Callable[[], Any], show: Callable[[Any], None], widget: QWidget) -> None:
        """Register the field for settings key ``key``."""
        self.preferences.append(Preference(key, name, read, show, widget))

    @property
    def marks(self) -> FieldMarks:
        """The fields by settings key."""
        if not hasattr(self, "_marks"):
            self._marks = FieldMarks({p.key: p.widget for p in self.preferences})
        return self._marks

    @Slot(bool)
    def _set_busy(self, busy: bool) -> None:
        self.save_button.setEnabled(not busy)

    def fill(self, data: SettingsData) -> None:
        """Show the settings of ``data``; fields edited and not saved yet keep the user's value.

        The dialog reads everything again after any page stores a change: an edit waiting on this
        page must not be lost to that.
        """
        kept = self.pending()
        self.data = data
        for preference in self.preferences:
            preference.show(getattr(data.settings, preference.key))
        for preference in self.preferences:
            if preference.key in kept:
                preference.show(kept[preference.key])
        self.marks.clear()

    def pending(self) -> dict[str, Any]:
        """The keys whose field differs from the settings as last read, with the field's value."""
        if self.data is None:
            return {}
        settings = self.data.settings
        return {p.key: p.read() for p in self.preferences if p.read() != getattr(settings, p.key)}

    def unsaved(self) -> list[str]:
        """The unsaved fields in words, e.g. ``General: time zone, pay`` (empty: nothing to save)."""
        keys = self.pending()
        names = list(dict.fromkeys(p.name for p in self.preferences if p.key in keys))
        return [f"{self.title}: {', '.join(names)}"] if names else []

    def discard(self) -> None:
        """Show the settings as last read again."""
        if self.data is not None:
            for preference in self.preferences:
                preference.show(getattr(self.data.settings, preference.key))
            self.marks.clear()

    def refused(self, error: TokenwalletError) -> None:
        """Point at the field of the refused key."""
        self.marks.mark(getattr(error, "field", None))

    def save_step(self, changes: dict[str, Any] | None = None) -> Step:
        """The step that stores ``changes`` (default: this page's :meth:`pending`)."""
        values = self.pending() if changes is None else changes
        return Step("Saving settings", partial(save_preferences, self.changes.ctx, **values), self._saved, self.refused)

    @Slot()
    def save(self) -> None:
        """Validate and save the page's changes in the background; a refused value is said and nothing changes."""
        self.marks.clear()
        if not self.pending():
            self.changes.say("Nothing to save: the settings are as shown.")
            return
        self.changes.run(self.save_step())

    def _saved(self, note: object) -> None:
        if note:
            self.changes.say(str(note), error=True)  # the settings were saved; start at login was not changed
