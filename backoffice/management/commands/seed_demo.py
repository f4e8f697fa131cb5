"""Demo data for `make run`: an admin user, a campaign with fields, a source and its curl line."""

from __future__ import annotations

import json
import os
import secrets
import shlex
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from campaigns.models import Campaign
from campaigns.services import campaign_create
from sources.models import Source
from sources.services import source_campaign_set, source_create, source_rotate_token
from subscriptions.models import CallbackEndpoint
from subscriptions.services import endpoint_create

DEMO_USER = "demo"
DEMO_ENDPOINT = "Demo CRM (local receiver)"
DEMO_PASSWORD = "demo-password"  # noqa: S105 (a local demo account, printed on purpose)
DEMO_FIELDS: list[dict[str, Any]] = [
    {"key": "email", "label": "Email", "type": "email", "required": True},
    {"key": "phone", "label": "Phone", "type": "tel", "required": True},
    {"key": "firstname", "label": "First name", "type": "text"},
    {"key": "zipcode", "label": "Zip code", "type": "zipcode", "example": "33602"},
    {"key": "vehicle_year", "label": "Vehicle year", "type": "number", "example": "2019"},
    {"key": "homeowner", "label": "Owns a home", "type": "boolean", "example": "yes"},
]


class Command(BaseCommand):
    help = "Create (or refresh) demo data and print the admin login and a ready curl command."
    demo_receiver_url = ""

    def handle(self, *args: Any, **options: Any) -> None:
        user_model = get_user_model()
        user, _ = user_model.objects.get_or_create(
            username=DEMO_USER, defaults={"is_staff": True, "is_superuser": True}
        )
        user.set_password(DEMO_PASSWORD)
        user.save()
        campaign = Campaign.objects.filter(name="Demo auto insurance").first() or campaign_create(
            name="Demo auto insurance",
            description="Demo campaign created by make run.",
            revenue=Decimal("6.00"),
            fields=DEMO_FIELDS,
        )
        source = Source.objects.filter(name="Demo vendor").first()
        if source is None:
            source, token = source_create(
                name="Demo vendor", public_description="Demo vendor created by make run."
            )
        else:
            # Tokens are stored hashed, so each run issues a fresh one to print.
            token = source_rotate_token(source=source, grace_seconds=0)
        source_campaign_set(source=source, campaign_id=campaign.pk, cost=Decimal("2.50"))
        self._demo_endpoint()
        self._print(source, campaign, token)

    def _demo_endpoint(self) -> None:
        """Callbacks go to `manage.py demo_receiver` (Procfile.dev), which prints each one."""
        url = f"http://127.0.0.1:{os.environ.get('RECEIVER_PORT', '8001')}/callbacks"
        endpoint = CallbackEndpoint.objects.filter(name=DEMO_ENDPOINT).first()
        if endpoint is None:
            endpoint_create(name=DEMO_ENDPOINT, url=url)
        else:
            CallbackEndpoint.objects.filter(pk=endpoint.pk).update(
                url=url, is_active=True, disabled_at=None, disabled_reason=""
            )
        self.demo_receiver_url = url

    def _print(self, source: Source, campaign: Campaign, token: str) -> None:
        base = settings.PUBLIC_BASE_URL
        suffix = secrets.token_hex(3)
        body = (
            f'{{"firstname": "Ada", "email": "ada.{suffix}@example.com", '
            f'"phone": "727-287-{int(suffix, 16) % 10000:04d}", "zipcode": "33602"}}'
        )
        route = f"{base}/source/{source.pk}/campaign/{campaign.pk}"
        batch = json.dumps(
            {
                "contacts": [
                    {
                        "firstname": name,
                        "email": f"{name.lower()}.{suffix}@example.com",
                        "phone": f"727-288-{(int(suffix, 16) + n) % 10000:04d}",
                        "zipcode": "33602",
                    }
                    for n, name in enumerate(["Grace", "Alan"])
                ]
            }
        )
        curl = _curl(f"{route}/contact", token, body)
        curl_batch = _curl(f"{route}/contacts", token, batch)
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "Contact Source is starting.",
                    f"  Admin:    {base}/admin/   user: {DEMO_USER}   password: {DEMO_PASSWORD}",
                    f"  Source {source.pk} ({source.name}), "
                    f"campaign {campaign.pk} ({campaign.name})",
                    f"  Partner docs: {base}/source/{source.pk}   (the token is in the curl line)",
                    "  Post a contact (the same line again answers 409 duplicate):",
                    "",
                    f"    {curl}",
                    "",
                    "  Post a batch (up to 1,000 contacts; one result per item, in order):",
                    "",
                    f"    {curl_batch}",
                    "",
                    f"  Its subscription callback is signed and sent to {self.demo_receiver_url};",
                    "  the 'receiver' lines below print each verified delivery.",
                    "",
                ]
            )
        )


def _curl(url: str, token: str, body: str) -> str:
    return " ".join(
        [
            "curl -sS -X POST",
            shlex.quote(url),
            "-H",
            shlex.quote(f"token: {token}"),
            "-H 'Content-Type: application/json'",
            "-d",
            shlex.quote(body),
        ]
    )
