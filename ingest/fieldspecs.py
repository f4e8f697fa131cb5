"""A campaign's field specs, cached per process and checked against the database on every post.

The intake's first query (the whitelist entry with its source and campaign) also returns a digest
of the campaign's field rows, computed by PostgreSQL (`md5` over every column of every row), so
any change to a field, by a service, the admin or a raw UPDATE, changes the digest and the next
post reloads the specs. A hit saves a query and building the specs (about a tenth of the intake's
CPU time: docs/benchmarks.md).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.db.models.expressions import RawSQL

from campaigns.fields import FieldSpec, field_specs_for
from campaigns.models import Campaign

# Correlated with the entry query's own table (Django aliases it by its table name).
FIELDS_DIGEST_SQL = (
    "SELECT coalesce(md5(string_agg(f::text, ',' ORDER BY f.id)), '') "
    "FROM campaigns_campaignfield f WHERE f.campaign_id = sources_sourcecampaign.campaign_id"
)

K = TypeVar("K")
V = TypeVar("V")


class DigestCache(Generic[K, V]):
    """Values per key (a campaign), kept while the database's digest of their rows is the same.

    `get` loads on a miss and keeps the value under the digest the entry query returned: rows
    edited between that query and the load are kept under the older digest, so the next post
    sees another digest and reloads. Never stale for more than one post. One entry per key:
    bounded by the number of campaigns."""

    every: list[DigestCache[Any, Any]] = []  # each cache made, for digest_caches_clear()

    def __init__(self) -> None:
        self._entries: dict[K, tuple[Any, V]] = {}
        DigestCache.every.append(self)

    def get(self, key: K, digest: Any, load: Callable[[], V]) -> V:
        entries = self._kept()
        hit = entries.get(key)
        if hit is not None and hit[0] == digest:
            return hit[1]
        value = load()
        if hit is None:
            self._room(entries)
        entries[key] = (digest, value)
        return value

    def _kept(self) -> dict[K, tuple[Any, V]]:
        return self._entries

    def _room(self, entries: dict[K, tuple[Any, V]]) -> None:
        """Before a new key goes in (here: no bound)."""

    def clear(self) -> None:
        self._kept().clear()


class ThreadDigestCache(DigestCache[K, V]):
    """A DigestCache per request thread, for values a post uses as they are (model instances),
    which no two threads may share; at most `size` keys per thread, the longest kept dropped
    first. The digest may be any value compared with ==: the entry read keeps its objects
    under the whole row they were built from. `clear` forgets the calling thread's values."""

    def __init__(self, size: int) -> None:  # no shared entries: no DigestCache.__init__
        self.size = size
        self._local = threading.local()
        DigestCache.every.append(self)

    def _kept(self) -> dict[K, tuple[Any, V]]:
        entries: dict[K, tuple[Any, V]] | None = getattr(self._local, "entries", None)
        if entries is None:
            entries = self._local.entries = {}
        return entries

    def _room(self, entries: dict[K, tuple[Any, V]]) -> None:
        if len(entries) >= self.size:
            del entries[next(iter(entries))]  # the longest kept


def digest_caches_clear() -> None:
    """Forget every cached value (a test that counts the loads; a process whose database was
    replaced under it, where a campaign id may come back with other rows)."""
    for cache in DigestCache.every:
        cache.clear()


_specs: DigestCache[int, dict[str, FieldSpec]] = DigestCache()


def fields_digest_annotation() -> dict[str, RawSQL]:
    """Annotations for the entry query: the digest of the campaign's fields."""
    return {"fields_digest": RawSQL(FIELDS_DIGEST_SQL, ())}  # noqa: S611 (constant SQL)


def campaign_field_specs(campaign: Campaign, digest: str | None) -> dict[str, FieldSpec]:
    """The specs for this campaign's fields as they are now. Callers must not mutate them."""
    if digest is None:
        return field_specs_for(campaign.fields.all())
    return _specs.get(campaign.pk, digest, lambda: field_specs_for(campaign.fields.all()))
