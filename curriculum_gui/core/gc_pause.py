"""Python's cycle collector paused while a job builds many objects that form no cycles.

A replay builds hundreds of thousands of tuples, dicts and lists and keeps them until it ends; every
allocation threshold it crosses starts a collection that walks them all again (0.7 s of a 2.3 s replay
of 1,000 subjects x 100 sessions). Reference counting still frees what they drop as they go; cycles made
meanwhile, if any, are collected once the collector runs again.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the collector for the block (nested or in several threads: it runs again once the block
    that paused it ends)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
