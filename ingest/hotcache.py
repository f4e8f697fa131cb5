"""A campaign's caps and callback endpoints, cached per process behind a digest (as its fields).

The intake's first query (the whitelist entry with its source and campaign) also returns a
digest of the campaign's cap rows and one of the callback endpoints' routing (id, active,
event types, campaigns), computed by PostgreSQL. Any change, by a service, the admin or a raw
UPDATE, changes the digest and the next post reloads; a hit saves a query each on every
accepted post (docs/benchmarks.md, 2026-12-06 "fewer round trips").
"""

from __future__ import annotations

from typing import Any

from django.db.models.expressions import RawSQL

from finance.models import Cap
from finance.selectors import cap_applies
from ingest.fieldspecs import DigestCache, ThreadDigestCache
from subscriptions.models import EventType
from subscriptions.selectors import endpoints_for

# Correlated with the entry query's own table (Django aliases it by its table name). Every cap
# of the campaign, active or not: any edit changes its row text (updated_at at least).
CAPS_DIGEST_SQL = (
    "SELECT coalesce(md5(string_agg(c::text, ',' ORDER BY c.id)), '') "
    "FROM finance_cap c WHERE c.campaign_id = sources_sourcecampaign.campaign_id"
)
# Only what routes an event: an endpoint's failure counters change often and route nothing.
ENDPOINTS_DIGEST_SQL = (
    "SELECT coalesce(md5(string_agg(concat_ws(':', e.id, e.is_active, e.event_types::text, "
    "(SELECT string_agg(ec.campaign_id::text, ',' ORDER BY ec.campaign_id) "
    "FROM subscriptions_callbackendpoint_campaigns ec WHERE ec.callbackendpoint_id = e.id)), "
    "',' ORDER BY e.id)), '') FROM subscriptions_callbackendpoint e"
)

_CAP_COLUMNS = tuple(f.attname for f in Cap._meta.concrete_fields)

_caps: DigestCache[int, list[dict[str, Any]]] = DigestCache()
_endpoints: DigestCache[int, list[int]] = DigestCache()


def hot_digests_annotation() -> dict[str, RawSQL]:
    """Annotations for the entry query: the digests of the campaign's caps and the endpoints."""
    return {
        "caps_digest": RawSQL(CAPS_DIGEST_SQL, ()),  # noqa: S611 (constant SQL)
        "endpoints_digest": RawSQL(ENDPOINTS_DIGEST_SQL, ()),  # noqa: S611 (constant SQL)
    }


def _cap_rows(campaign_id: int, digest: str) -> list[dict[str, Any]]:
    return _caps.get(
        campaign_id,
        digest,
        lambda: list(
            Cap.objects.filter(campaign_id=campaign_id, is_active=True)
            .order_by("pk")
            .values(*_CAP_COLUMNS)
        ),
    )


def caps_cached(*, campaign_id: int, source_id: int, utm_source: str, digest: str) -> list[Cap]:
    """The active caps this contact counts against, in lock order (by id), as
    finance.selectors.caps_applicable, from the cache.

    A thread's posts to one campaign get the same Cap objects again while the digest holds
    (building them was about 1.5 % of a post's Python): callers only read them. Per thread,
    so no object is shared between request threads; the list itself is new on each call."""
    key = (campaign_id, source_id, utm_source)
    return list(
        _built.get(key, digest, lambda: _caps_build(campaign_id, source_id, utm_source, digest))
    )


# Cap lists kept per request thread (by campaign, source and utm_source).
_built: ThreadDigestCache[tuple[int, int, str], list[Cap]] = ThreadDigestCache(size=256)


def _caps_build(campaign_id: int, source_id: int, utm_source: str, digest: str) -> list[Cap]:
    caps = []
    for row in _cap_rows(campaign_id, digest):
        cap = Cap(**row)
        if not cap_applies(cap, source_id=source_id, utm_source=utm_source):
            continue
        cap._state.adding = False
        cap._state.db = "default"
        caps.append(cap)
    return caps


def endpoints_cached(*, campaign_id: int, digest: str) -> list[int]:
    """The ids of the active endpoints taking subscription_added for this campaign (cached)."""
    return _endpoints.get(
        campaign_id,
        digest,
        lambda: [
            e.pk
            for e in endpoints_for(campaign_id=campaign_id, event_type=EventType.SUBSCRIPTION_ADDED)
        ],
    )
