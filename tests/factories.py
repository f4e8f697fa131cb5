from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from campaigns.models import Campaign, CampaignField
from contactsource.tokens import token_hash
from finance.models import Cap
from ingest.models import IntakeEvent
from sources.models import Source, SourceCampaign
from subscriptions.models import CallbackEndpoint, Person

DEFAULT_TOKEN = "test-token-0123456789abcdef"


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"Campaign {n}")
    revenue = Decimal("5.00")
    phone_region = "US"
    timezone = "America/New_York"


class CampaignFieldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CampaignField

    campaign = factory.SubFactory(CampaignFactory)
    key = factory.Sequence(lambda n: f"custom_{n}")
    label = factory.LazyAttribute(lambda o: o.key.replace("_", " ").title())
    type = "text"


class SourceFactory(factory.django.DjangoModelFactory):
    """A source whose plain token is available as `source.token` (tests only)."""

    class Meta:
        model = Source
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Source {n}")
    token_hash = token_hash(DEFAULT_TOKEN)
    verbose_key = "verbose-key-1"

    @factory.post_generation
    def token(obj: Source, create: bool, extracted: Any, **kwargs: Any) -> None:
        plain = extracted or DEFAULT_TOKEN
        if extracted:
            obj.token_hash = token_hash(plain)
            if create:
                obj.save(update_fields=["token_hash"])
        obj.token = plain  # type: ignore[attr-defined]


class SourceCampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SourceCampaign

    source = factory.SubFactory(SourceFactory)
    campaign = factory.SubFactory(CampaignFactory)
    cost = Decimal("2.50")
    scrub_rate = 0


class CapFactory(factory.django.DjangoModelFactory):
    """A quantity cap of 10 per calendar day on a campaign (pass `source` for a source's cap)."""

    class Meta:
        model = Cap

    campaign = factory.SubFactory(CampaignFactory)
    source = None
    kind = "quantity"
    limit = Decimal("10")
    scope = "campaign"
    duration = "day"


class PersonFactory(factory.django.DjangoModelFactory[Person]):
    class Meta:
        model = Person

    mobile_phone = factory.Sequence(lambda n: f"+1727555{n % 10000:04d}")
    email = factory.Sequence(lambda n: f"person{n}@example.com")
    first_name = "Ada"


class CallbackEndpointFactory(factory.django.DjangoModelFactory[CallbackEndpoint]):
    """An endpoint for every campaign and both events (pass `campaigns=[...]` to narrow it)."""

    class Meta:
        model = CallbackEndpoint
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"CRM {n}")
    url = factory.Sequence(lambda n: f"http://crm{n}.test/callbacks")

    @factory.post_generation
    def campaigns(obj: CallbackEndpoint, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            obj.campaigns.set(extracted)


class IntakeEventFactory(factory.django.DjangoModelFactory[IntakeEvent]):
    """An accepted intake event of a whitelist entry, now (pass status, created_at, ... to vary)."""

    class Meta:
        model = IntakeEvent
        exclude = ("entry",)

    entry = factory.SubFactory(SourceCampaignFactory)
    request_id = factory.LazyFunction(uuid.uuid4)
    source = factory.LazyAttribute(lambda o: o.entry.source)
    campaign = factory.LazyAttribute(lambda o: o.entry.campaign)
    status = "accepted"
    http_status = factory.LazyAttribute(
        lambda o: 200 if o.status in ("accepted", "scrubbed") else 422
    )
    cost = factory.LazyAttribute(lambda o: o.entry.cost if o.status == "accepted" else None)
    revenue = factory.LazyAttribute(
        lambda o: o.entry.campaign.revenue if o.status == "accepted" else None
    )
    email = factory.Sequence(lambda n: f"lead{n}@example.com")
    created_at = factory.LazyFunction(timezone.now)
