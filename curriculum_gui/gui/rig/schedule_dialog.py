"""The weekly schedule in a small table: subject, rig, the weekdays it runs (tick boxes) and its place in
the rig's day. Saved as a whole (all or nothing), or imported/exported as CSV (the same file as
``curriculum-gui schedule import/export``)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from ...core.errors import CurriculumGuiError
from ...core.native_format import atomic_write_text, read_bytes
from ...core.schedule import WEEKDAYS, ScheduleEntry, read_csv, to_csv
from ..subjects.dialogs import _Dialog

C_SUBJECT, C_RIG = 0, 1
C_DAYS = range(2, 9)
C_SLOT = 9


class ScheduleDialog(_Dialog):
    def __init__(self, workspace, parent: QWidget | None = None) -> None:
        super().__init__("Week schedule", "Save", parent)
        self.ws = workspace
        self.table = QTableWidget(0, 10)
        self.table.setHorizontalHeaderLabels(["Subject", "Rig", *WEEKDAYS, "Slot"])
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.setColumnWidth(C_SUBJECT, 120)
        self.table.setColumnWidth(C_RIG, 110)
        for column in C_DAYS:
            self.table.setColumnWidth(column, 46)
        header.setStretchLastSection(True)
        self.table.verticalHeader().hide()
        self.table.setSortingEnabled(False)
        add = QPushButton("&Add row")
        add.clicked.connect(lambda: self.add_row(ScheduleEntry("", "", "1111100")))
        remove = QPushButton("&Remove row")
        remove.clicked.connect(self.remove_row)
        load = QPushButton("&Import CSV…")
        load.clicked.connect(self.import_csv)
        save = QPushButton("E&xport CSV…")
        save.clicked.connect(self.export_csv)
        row = QHBoxLayout()
        for button in (add, remove, load, save):
            button.setAutoDefault(False)
            row.addWidget(button)
        row.addStretch(1)
        self.form.addRow(self.table)
        self.form.addRow(row)
        self.hint.setText("")
        try:
            entries = workspace.schedule()
        except CurriculumGuiError as exc:
            entries = []
            self.error = str(exc)
        for entry in entries:
            self.add_row(entry)
        self.resize(760, 520)
        self.finish()

    def add_row(self, entry: ScheduleEntry) -> None:
        r = self.table.rowCount()
        self.table.insertRow(r)
        self.table.setItem(r, C_SUBJECT, QTableWidgetItem(entry.subject))
        self.table.setItem(r, C_RIG, QTableWidgetItem(entry.rig))
        for i, column in enumerate(C_DAYS):
            item = QTableWidgetItem()
            item.setFlags(
                Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
            )
            item.setCheckState(Qt.CheckState.Checked if entry.weekdays[i] == "1" else Qt.CheckState.Unchecked)
            self.table.setItem(r, column, item)
        self.table.setItem(r, C_SLOT, QTableWidgetItem("" if entry.slot is None else str(entry.slot)))
        if not entry.subject:
            self.table.setCurrentCell(r, C_SUBJECT)
            self.table.editItem(self.table.item(r, C_SUBJECT))

    def remove_row(self) -> None:
        rows = sorted(
            {i.row() for i in self.table.selectedIndexes()} or {self.table.currentRow()}, reverse=True
        )
        for r in rows:
            if r >= 0:
                self.table.removeRow(r)

    def entries(self) -> list[ScheduleEntry]:
        """The table as schedule entries; ValueError naming the row of the first problem."""
        out = []
        for r in range(self.table.rowCount()):
            subject = (self.table.item(r, C_SUBJECT).text() if self.table.item(r, C_SUBJECT) else "").strip()
            rig = (self.table.item(r, C_RIG).text() if self.table.item(r, C_RIG) else "").strip()
            days = "".join(
                "1" if self.table.item(r, c).checkState() == Qt.CheckState.Checked else "0" for c in C_DAYS
            )
            slot_text = (self.table.item(r, C_SLOT).text() if self.table.item(r, C_SLOT) else "").strip()
            if not subject and not rig:
                continue
            if not subject or not rig:
                raise ValueError(f"row {r + 1}: give both a subject and a rig")
            if "1" not in days:
                raise ValueError(f"row {r + 1} ({subject}): tick at least one weekday")
            try:
                slot = int(slot_text) if slot_text else None
            except ValueError:
                raise ValueError(
                    f"row {r + 1} ({subject}): slot {slot_text!r} is not a whole number"
                ) from None
            out.append(ScheduleEntry(subject, rig, days, slot))
        return out

    def accept(self) -> None:
        """Save the whole schedule; on a problem the dialog stays open and says what and where."""
        try:
            self.ws.set_schedule(self.entries())
        except (ValueError, CurriculumGuiError) as exc:
            self.hint.setText(f"Not saved: {exc}")
            return
        super().accept()

    def import_csv(self, path: str | None = None) -> bool:
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self, "Import schedule", "", "CSV (*.csv);;All files (*)")
            if not path:
                return False
        try:
            entries = read_csv(read_bytes(path).decode("utf-8-sig"), path)
        except (UnicodeDecodeError, CurriculumGuiError) as exc:
            self.hint.setText(f"Not imported: {exc}")
            return False
        self.table.setRowCount(0)
        for entry in entries:
            self.add_row(entry)
        self.hint.setText(f"{len(entries)} entries read from {Path(path).name}: press Save to keep them.")
        return True

    def export_csv(self, path: str | None = None) -> bool:
        try:
            entries = self.entries()
        except ValueError as exc:
            self.hint.setText(f"Not exported: {exc}")
            return False
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Export schedule", "schedule.csv", "CSV (*.csv)")
            if not path:
                return False
        try:
            atomic_write_text(path, to_csv(entries))
        except CurriculumGuiError as exc:
            self.hint.setText(f"Not exported: {exc}")
            return False
        self.hint.setText(f"Exported {len(entries)} entries to {path}.")
        return True
