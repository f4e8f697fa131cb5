from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_marketer_group(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    from backoffice.marketer import marketer_group_sync

    marketer_group_sync(using=using)


class IngestConfig(AppConfig):
    name = "ingest"
    verbose_name = "Ingest"

    def ready(self) -> None:
        # Setup, not domain flow: keeps the "marketer" group's permissions in step with the
        # models after every migrate (see ingest/marketer.py for why not a data migration).
        post_migrate.connect(_sync_marketer_group, sender=self, dispatch_uid="marketer-group")
