"""The intake's first query, compiled once per process: the whitelist entry with its source, its
campaign and the digests of the campaign's fields, caps and callback endpoints; a prepared statement
(contactsource.prepared), so PostgreSQL plans it once per connection.

The ORM builds the SQL once (the same queryset as before, so the same columns, joins and
digests); every post then runs that text with its two ids and builds the three instances the way
Django's ModelIterable does. Building the query in the ORM on every post cost more CPU than
anything else left in an accepted post.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models.query import get_related_populators

from contactsource.prepared import prepared_cursor
from ingest.fieldspecs import ThreadDigestCache, fields_digest_annotation
from ingest.hotcache import hot_digests_annotation
from sources.models import SourceCampaign

# Stand-ins for the two ids while the ORM compiles; found in the params and replaced per post.
_SOURCE, _CAMPAIGN = -7_000_001, -7_000_002


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    source_at: int
    campaign_at: int
    compiler: Any
    converters: dict[int, Any]
    init_list: list[str]
    fields_start: int
    fields_end: int
    populators: list[Any]
    annotations: dict[str, int]


# Per thread, as Django's connections are (the compiler keeps the one it compiled for).
_local = threading.local()


def _compile(wrapper: Any) -> _Compiled:
    queryset = (
        SourceCampaign.objects.select_related("source", "campaign")
        .annotate(**fields_digest_annotation(), **hot_digests_annotation())
        .filter(source_id=_SOURCE, campaign_id=_CAMPAIGN)
        .order_by()[:1]
    )
    compiler = queryset.query.get_compiler(connection=wrapper)
    sql, params = compiler.as_sql()
    select, klass_info = compiler.select, compiler.klass_info
    assert klass_info is not None
    start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
    return _Compiled(
        sql=sql,
        params=tuple(params),
        source_at=list(params).index(_SOURCE),
        campaign_at=list(params).index(_CAMPAIGN),
        compiler=compiler,
        converters=compiler.get_converters([s[0] for s in select]),
        init_list=[s[0].target.attname for s in select[start:end]],
        fields_start=start,
        fields_end=end,
        # django-stubs describe a later Django (a fetch_mode argument); 5.2 takes three.
        populators=get_related_populators(klass_info, select, wrapper.alias),  # type: ignore[call-arg]
        annotations=dict(compiler.annotation_col_map or {}),
    )


def _get() -> _Compiled:
    wrapper = connections[DEFAULT_DB_ALIAS]
    compiled: _Compiled | None = getattr(_local, "compiled", None)
    if compiled is None or compiled.compiler.connection is not wrapper:
        compiled = _local.compiled = _compile(wrapper)
    return compiled


def entry_read(*, source_id: int, campaign_id: int) -> SourceCampaign | None:
    """The entry with `source` and `campaign` loaded and the digests as attributes, or None."""
    c = _get()
    params = list(c.params)
    params[c.source_at], params[c.campaign_at] = source_id, campaign_id
    with prepared_cursor() as cursor:
        cursor.execute(c.sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    # The same row as this thread's last post to this entry (every column, the digests
    # included): the same objects, which the intake only reads (building them was about 5 % of
    # a post's Python).
    return _entries.get((source_id, campaign_id), row, lambda: _entry_build(c, row))


# Entries kept per request thread: every entry a busy web process serves, within reason.
_entries: ThreadDigestCache[tuple[int, int], SourceCampaign] = ThreadDigestCache(size=256)


def _entry_build(c: _Compiled, row: tuple[Any, ...]) -> SourceCampaign:
    if c.converters:
        row = next(iter(c.compiler.apply_converters([row], c.converters)))
    entry = SourceCampaign.from_db(
        connection.alias, c.init_list, tuple(row[c.fields_start : c.fields_end])
    )
    for populator in c.populators:
        populator.populate(row, entry)
    for name, position in c.annotations.items():
        setattr(entry, name, row[position])
    return entry
