"""Demo data for `make run`: an admin user, two campaigns, two sources, a cap, a scrub rate, a
real-time entry, a few days of history, and the vendor's curl lines.

The vendor's token is kept in var/demo_token (created on the first run; tokens are stored
hashed, so the file is how a later run can print it again): a second `make run` prints the
same, still working, lines. A run that has to issue a new token (the database was reset) says so.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import shlex
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from campaigns.models import Campaign
from campaigns.services import campaign_create
from contactsource.tokens import token_matches
from finance.models import Cap
from finance.services import cap_save
from ingest.models import IntakeEvent
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


SOLAR_FIELDS: list[dict[str, Any]] = [
    {"key": "email", "label": "Email", "type": "email", "required": True},
    {"key": "firstname", "label": "First name", "type": "text", "required": True},
    {
        "key": "roof",
        "label": "Roof type",
        "type": "select",
        "choices": ["tile", "metal", "shingle"],
        "required": True,
    },
    {"key": "monthly_bill", "label": "Monthly power bill", "type": "number", "example": "140"},
]
HISTORY_EVENTS = 400
HISTORY_DAYS = 5


class Command(BaseCommand):
    help = "Create (or refresh) demo data and print the admin login and a ready curl command."
    demo_receiver_url = ""
    token_note = ""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--token-file",
            default=str(Path(settings.BASE_DIR) / "var" / "demo_token"),
            help="Where the demo vendor's token is kept between runs.",
        )

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
        solar = Campaign.objects.filter(name="Demo home solar").first() or campaign_create(
            name="Demo home solar",
            description="Second demo campaign: a select field (any letter case) and a number.",
            revenue=Decimal("9.00"),
            fields=SOLAR_FIELDS,
        )
        source, token = self._vendor(Path(options["token_file"]))
        source_campaign_set(source=source, campaign_id=campaign.pk, cost=Decimal("2.50"))
        source_campaign_set(source=source, campaign_id=solar.pk, cost=Decimal("3.00"))
        partner = Source.objects.filter(name="Demo partner network").first()
        if partner is None:
            partner, _token = source_create(
                name="Demo partner network", public_description="Second demo source."
            )
        # A fifth of the partner's solar leads are scrubbed (kept for the buyer, not charged),
        # and each is offered in real time to the demo receiver, which decides before the answer.
        source_campaign_set(
            source=partner,
            campaign_id=solar.pk,
            cost=Decimal("2.00"),
            scrub_rate=20,
            real_time=True,
        )
        if not Cap.objects.filter(campaign=campaign, source=source).exists():
            cap_save(cap=Cap(campaign=campaign, source=source, limit=Decimal("50"), duration="P1D"))
        self._history()
        self._demo_endpoint()
        self._print(source, campaign, token)

    def _vendor(self, token_file: Path) -> tuple[Source, str]:
        """The demo vendor and its token: the one in `token_file` while it still matches."""
        source = Source.objects.filter(name="Demo vendor").first()
        kept = token_file.read_text().strip() if token_file.is_file() else ""
        if source is not None and kept and token_matches(kept, source.token_hash):
            return source, kept
        if source is None:
            source, token = source_create(
                name="Demo vendor", public_description="Demo vendor created by make run."
            )
        else:
            token = source_rotate_token(source=source, grace_seconds=0)
        if kept:
            self.token_note = (
                f"  NOTE: the demo token changed (the database no longer matched {token_file});"
                " earlier curl lines now answer 401."
            )
        token_file.parent.mkdir(parents=True, exist_ok=True)
        token_file.write_text(token + "\n")
        token_file.chmod(0o600)
        return source, token

    def _history(self) -> None:
        """A few days of past intake events, once, so the dashboard and charts are not empty."""
        if IntakeEvent.objects.exists():
            return
        call_command(
            "generate_events",
            count=HISTORY_EVENTS,
            days=HISTORY_DAYS,
            stdout=io.StringIO(),
        )

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
                    *([self.token_note] if self.token_note else []),
                    f"  Admin:    {base}/admin/   user: {DEMO_USER}   password: {DEMO_PASSWORD}",
                    f"  Source {source.pk} ({source.name}), "
                    f"campaign {campaign.pk} ({campaign.name})",
                    f"  Partner docs: {base}/source/{source.pk}   (the token is in the curl line;"
                    " a script sends it in the token header)",
                    "  Also: a second campaign (Demo home solar), a second source with a scrub rate"
                    " and a real-time entry, a daily cap",
                    f"  and {HISTORY_DAYS} days of history. Caps: {base}/admin/caps/",
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
