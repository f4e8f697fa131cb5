"""Where a source's partner docs page is: a seam, as contactsource/api_changes.py is one.

The page belongs to partnerdocs, an app above sources (DESIGN §2), which plugs its route in
when Django starts (`PartnerdocsConfig.ready`). Sources link to the page (the admin's field, the
API-change notifications) without importing that app or reversing its URL names.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings

PathOf = Callable[[int], str]

_path_of: PathOf | None = None


def documentation_path_set(path_of: PathOf | None) -> None:
    """Install the route: `path_of(source_id)` -> the page's path, such as "/source/12"."""
    global _path_of  # one process-wide hook, set once at start-up
    _path_of = path_of


def documentation_path(source_id: int) -> str:
    if _path_of is None:
        raise RuntimeError("No app serves the partner docs pages (partnerdocs is not installed).")
    return _path_of(source_id)


def documentation_url(source_id: int) -> str:
    """The page's absolute URL, as partners are sent it."""
    return f"{settings.PUBLIC_BASE_URL}{documentation_path(source_id)}"
