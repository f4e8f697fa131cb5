"""A seam for "this write may change what some sources' partners can post".

A campaign's fields are part of the API of every source whitelisted for it, so editing them must
record a change for those sources and notify them. But `campaigns` may not import `sources`
(STYLE.md), so campaign write paths call `api_changes_tracked(campaign_ids=...)` here, and the
sources app plugs its recorder in when Django starts (`SourcesConfig.ready`). The calls stay
explicit in each write path (no signal handlers); only the implementation is looked up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

Tracker = Callable[..., AbstractContextManager[Any]]

_tracker: Tracker | None = None


def api_changes_tracker_set(tracker: Tracker | None) -> None:
    """Install the recorder: `tracker(source_ids=..., campaign_ids=...)` -> a context manager."""
    global _tracker  # one process-wide hook, set once at start-up
    _tracker = tracker


@contextmanager
def api_changes_tracked(
    *, source_ids: Iterable[int] = (), campaign_ids: Iterable[int] = ()
) -> Iterator[None]:
    """Wrap a write: the affected sources' API is compared before and after it."""
    manager = (
        _tracker(source_ids=list(source_ids), campaign_ids=list(campaign_ids))
        if _tracker is not None
        else nullcontext()
    )
    with manager:
        yield
