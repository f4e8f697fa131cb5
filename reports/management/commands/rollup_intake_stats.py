"""Fold intake events into the hourly stats now (beat does it every minute), or rebuild them."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from reports.stats_rollup import intake_stats_rebuild, intake_stats_rollup


class Command(BaseCommand):
    help = "Update the hourly intake stats behind the admin's charts (--rebuild: from scratch)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--rebuild", action="store_true", help="Recount the whole log (after a backfill)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        groups = intake_stats_rebuild() if options["rebuild"] else intake_stats_rollup()
        self.stdout.write(f"{groups} hourly groups updated.")
