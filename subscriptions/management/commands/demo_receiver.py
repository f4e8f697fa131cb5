"""`make run`'s stand-in CRM: prints each verified callback (ids only, never personal data)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from subscriptions.models import CallbackEndpoint
from subscriptions.receiver import CallbackReceiver, Received, describe


def _secrets() -> list[str]:
    # Read on every request so an endpoint created or edited in the admin works at once.
    close_old_connections()
    return list(CallbackEndpoint.objects.values_list("secret", flat=True))


class Command(BaseCommand):
    help = "Receive subscription callbacks locally, verify their signatures and print them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8001)

    def handle(self, *args: Any, host: str, port: int, **options: Any) -> None:
        def report(received: Received, duplicate: bool) -> None:
            note = " (duplicate: already handled, ignored)" if duplicate else ""
            self.stdout.write(f"callback {describe(received)}{note}")

        receiver = CallbackReceiver(_secrets, host=host, port=port, on_receive=report)
        self.stdout.write(f"Demo CRM receiver listening on {receiver.url}")
        try:
            receiver.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            receiver.server.server_close()
