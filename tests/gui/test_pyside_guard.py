"""Guard against the PySide6 6.12.0 bug that drops a reference to None on every empty QVariant.

On CPython 3.11 that bug aborts the interpreter after a few thousand ordinary calls (`none_dealloc`).
The dependency pin keeps 6.12.0 out; this test fails loudly if a release with the bug is ever installed.
"""

import sys

from PySide6.QtGui import QStandardItemModel


def test_empty_qvariant_does_not_drop_none_references(qapp) -> None:
    model = QStandardItemModel(2, 2)
    index = model.index(0, 0)
    assert model.data(index) is None
    before = sys.getrefcount(None)
    for _ in range(100):
        model.data(index)
    after = sys.getrefcount(None)
    # Immortal or not, the count must not fall; the buggy release loses exactly one per call.
    assert after >= before - 5, f"None lost {before - after} references over 100 calls"
