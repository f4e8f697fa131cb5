"""Pause Python's cyclic garbage collector while a batch or an import chunk runs.

A 1,000-contact batch builds some 100,000 objects that live until its answer is sent. With the
collector on, the youngest collections keep finding them alive and promote them, and every
second batch or so that promotion sets off a full collection over every object of the process
(about 135,000 in a web worker): 35-45 ms of CPU per batch on average, a tenth of the batch's
Python time. Paused, those objects are freed by their reference counts when the batch ends,
as nearly all of them are; the few cycles wait for the next collection after it.

Web workers run several threads, and the collector is one per process: it is paused while at
least one batch runs, and resumed when the last one ends (never if something else had turned
it off).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_running = 0
_paused_by_us = False


@contextmanager
def gc_paused() -> Iterator[None]:
    global _running, _paused_by_us
    with _lock:
        _running += 1
        if _running == 1 and gc.isenabled():
            gc.disable()
            _paused_by_us = True
    try:
        yield
    finally:
        with _lock:
            _running -= 1
            if _running == 0 and _paused_by_us:
                _paused_by_us = False
                gc.enable()
