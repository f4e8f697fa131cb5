"""A campaign's field specs, cached per process and checked against the database on every post.

The intake's first query (the whitelist entry with its source and campaign) also returns a digest
of the campaign's field rows, computed by PostgreSQL (`md5` over every column of every row), so
any change to a field, by a service, the admin or a raw UPDATE, changes the digest and the next
post reloads the specs. A hit saves a query and building the specs (about a tenth of the intake's
CPU time: docs/benchmarks.md).
"""

from __future__ import annotations

from django.db.models.expressions import RawSQL

from campaigns.fields import FieldSpec, field_specs_for
from campaigns.models import Campaign

# Correlated with the entry query's own table (Django aliases it by its table name).
FIELDS_DIGEST_SQL = (
    "SELECT coalesce(md5(string_agg(f::text, ',' ORDER BY f.id)), '') "
    "FROM campaigns_campaignfield f WHERE f.campaign_id = sources_sourcecampaign.campaign_id"
)

# campaign id -> (digest, specs). One entry per campaign: bounded by the number of campaigns.
_cache: dict[int, tuple[str, dict[str, FieldSpec]]] = {}


def fields_digest_annotation() -> dict[str, RawSQL]:
    """Annotations for the entry query: the digest of the campaign's fields."""
    return {"fields_digest": RawSQL(FIELDS_DIGEST_SQL, ())}  # noqa: S611 (constant SQL)


def campaign_field_specs(campaign: Campaign, digest: str | None) -> dict[str, FieldSpec]:
    """The specs for this campaign's fields as they are now. Callers must not mutate them."""
    if digest is None:
        return field_specs_for(campaign.fields.all())
    hit = _cache.get(campaign.pk)
    if hit is not None and hit[0] == digest:
        return hit[1]
    specs = field_specs_for(campaign.fields.all())
    # Fields edited between the entry query and this one: stored under the older digest, so the
    # next post sees a different digest and reloads. Never stale for more than one post.
    _cache[campaign.pk] = (digest, specs)
    return specs
