"""The "Export monthly report" dialog: pick a month and a format, then a file in a save dialog.

The report is built, drawn (a PDF), written and audited in the background
(:func:`tokenwallet.services.reports.export_report`), so a big month never freezes the window.
Once written, the dialog stays open and says where the file is, with a button that opens its
folder in the file manager.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from tokenwallet.domain.errors import OutputExistsError, TokenwalletError
from tokenwallet.services import reports

if TYPE_CHECKING:
    from tokenwallet.app import AppContext
    from tokenwallet.ui.runtime.bridge import OperationBridge

FORMATS = (("PDF document", "pdf"), ("CSV table", "csv"), ("JSON data", "json"))


def recent_months(today: date, count: int = 13) -> list[str]:
    """``YYYY-MM`` of this month and the ``count - 1`` before it, newest first."""
    months = []
    year, month = today.year, today.month
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months


def ask_save_path(parent: QWidget, suggested: str, fmt: str) -> str | None:
    """The platform save dialog; None when cancelled."""
    label = dict((f, name) for name, f in FORMATS)[fmt]
    path, _ = QFileDialog.getSaveFileName(parent, "Export monthly report", suggested, f"{label} (*.{fmt})")
    return path or None


def open_folder(folder: Path) -> bool:
    """Show ``folder`` in the desktop's file manager; False when the desktop could not."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))


def ask_replace(parent: QWidget, path: Path) -> bool:
    """Whether to replace an existing ``path`` (asked when the save dialog could not ask about it)."""
    answer = QMessageBox.question(
        parent,
        "Replace file?",
        f"{path.name} already exists in {path.parent}. Replace it?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


class ReportExportDialog(QDialog):
    """Month and format pickers; Export asks where to save and writes the file."""

    def __init__(
        self,
        ctx: AppContext,
        bridge: OperationBridge,
        parent: QWidget | None = None,
        *,
        choose_path: Callable[[QWidget, str, str], str | None] = ask_save_path,
        confirm_replace: Callable[[QWidget, Path], bool] = ask_replace,
        show_folder: Callable[[Path], bool] = open_folder,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export monthly report")
        self.setMinimumWidth(520)  # room for the folder the report was saved in
        self._ctx = ctx
        self._bridge = bridge
        self._choose_path = choose_path
        self._confirm_replace = confirm_replace
        self._show_folder = show_folder
        self.written: Path | None = None
        today = ctx.clock().astimezone(ctx.settings.zone()).date()
        self.month = QComboBox(self)
        self.month.addItems(recent_months(today))
        self.format = QComboBox(self)
        for name, fmt in FORMATS:
            self.format.addItem(name, fmt)
        self.status = QLabel("The report covers the month in your time zone.", self)
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(
            self.status.textInteractionFlags() | Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self.open_button = QPushButton("Open folder", self)
        self.open_button.setToolTip("Show the folder of the report in the file manager")
        self.open_button.clicked.connect(self.open_written_folder)
        self.open_button.hide()
        form = QFormLayout()
        form.addRow("Month", self.month)
        form.addRow("Format", self.format)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.export_button = self.buttons.addButton("Export…", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.export)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.open_button)
        layout.addWidget(self.buttons)

    def export(self) -> None:
        """Ask for a file, then write the report in the background; errors are shown in the dialog, which stays open."""
        month = self.month.currentText()
        fmt = str(self.format.currentData())
        suggested = str(Path.home() / f"tokenwallet-{month}.{fmt}")
        chosen = self._choose_path(self, suggested, fmt)
        if not chosen:
            return
        path = Path(chosen)
        # The save dialog has already asked about replacing the name it returned, not about one
        # with the suffix added here.
        asked = True
        if path.suffix.lower() != f".{fmt}":
            path = path.with_name(path.name + f".{fmt}")
            asked = False
        self._write(month, fmt, path, overwrite=asked)

    def _write(self, month: str, fmt: str, path: Path, *, overwrite: bool) -> None:
        render_pdf = None
        if fmt == "pdf":
            from tokenwallet.ui.reports.pdf import render_pdf_bytes  # Qt draws into memory, on the worker

            render_pdf = render_pdf_bytes
        op = partial(reports.export_report, self._ctx, month, fmt, path, overwrite=overwrite, render_pdf=render_pdf)
        self.export_button.setEnabled(False)
        self.open_button.hide()
        self.status.setStyleSheet("")
        self.status.setText(f"Writing {path.name}…")
        self._bridge.run(op, partial(self._written, path), partial(self._failed, month, fmt, path), receiver=self)

    def _written(self, path: Path, _: object) -> None:
        self.export_button.setEnabled(True)
        self.export_button.setText("Export another…")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Close")
        self.written = path
        self.status.setStyleSheet("color: #2e7d32;")
        self.status.setText(f"Saved {path.name} in the folder\n{path.parent}")
        self.open_button.show()

    def open_written_folder(self) -> None:
        """Show the folder of the report just written in the file manager."""
        if self.written is None:
            return
        if not self._show_folder(self.written.parent):
            self.status.setText(f"The file manager could not be opened; the report is at {self.written}")

    def _failed(self, month: str, fmt: str, path: Path, error: TokenwalletError) -> None:
        self.export_button.setEnabled(True)
        self.status.setStyleSheet("color: #c62828;")
        if not isinstance(error, OutputExistsError):
            self.status.setText(f"Could not export: {error}")
        elif self._confirm_replace(self, path):
            self._write(month, fmt, path, overwrite=True)
        else:
            self.status.setText(f"Not exported: {path.name} already exists.")
