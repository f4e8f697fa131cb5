from __future__ import annotations

from django.apps import AppConfig


class SourcesConfig(AppConfig):
    name = "sources"
    verbose_name = "Sources"

    def ready(self) -> None:
        from contactsource.api_changes import api_changes_tracker_set
        from sources.services import source_api_changes_tracked

        # Campaign write paths report field edits here (campaigns may not import sources).
        api_changes_tracker_set(source_api_changes_tracked)
