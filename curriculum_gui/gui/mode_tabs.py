"""The window's modes (Curriculum editor, Subjects, Rig) as tabs whose hidden pages never widen it.

A tab widget is at least as large as its largest page's minimum, shown or not: the Rig tab's rows (about
1,200 pixels) then left the editor's inspector some 70 pixels on a 1280-pixel screen. Here only the
current page's minimum counts (the others' size policy is Ignored while hidden, their own one restored
when shown).
"""

from __future__ import annotations

from PySide6.QtWidgets import QSizePolicy, QTabWidget, QWidget

_IGNORED = QSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)


class ModeTabs(QTabWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._policies: dict[QWidget, QSizePolicy] = {}  # each page's own size policy
        self.currentChanged.connect(self._fit)

    def tabInserted(self, index: int) -> None:
        super().tabInserted(index)
        self._fit()

    def tabRemoved(self, index: int) -> None:
        super().tabRemoved(index)
        pages = {self.widget(i) for i in range(self.count())}
        for page in [p for p in self._policies if p not in pages]:
            page.setSizePolicy(self._policies.pop(page))  # taken out: as it was
        self._fit()

    def _fit(self, *_: object) -> None:
        current = self.currentWidget()
        for i in range(self.count()):
            page = self.widget(i)
            own = self._policies.setdefault(page, page.sizePolicy())
            page.setSizePolicy(own if page is current else _IGNORED)
