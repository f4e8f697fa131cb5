"""Keep the loaded application out of the cyclic garbage collector's full collections.

A web worker holds some 140,000 objects once Django, the apps and the URL configuration are
loaded: modules, classes, functions, settings, the resolver. They live as long as the process.
Each full (oldest-generation) collection walked all of them: 100-190 ms of a worker with the
GIL held, every 10-30 s under load, while every other request of that worker waited. It was
the single post's p99 at half load (docs/benchmarks.md, session 7).

`freeze_loaded()` is called once the WSGI application is built: it loads the URL
configuration (which imports every view), collects what loading left as garbage, and moves
every surviving object to the collector's permanent generation (`gc.freeze()`). Collections
then walk only the objects made since. Reference counting frees frozen objects as before; only
a reference cycle among them is never reclaimed, and none is made after loading on purpose.
"""

from __future__ import annotations

import gc

from django.urls import get_resolver


def freeze_loaded() -> int:
    """Load the URL configuration, collect, freeze: returns how many objects were frozen."""
    get_resolver().url_patterns  # noqa: B018 - imports every view module
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
