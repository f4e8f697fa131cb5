"""The partners' documentation pages: per source, its campaigns' fields, examples and errors,
and a per-source OpenAPI document (DESIGN §8). Reads sources, campaigns and the intake's rules."""

from __future__ import annotations

from django.apps import AppConfig


class PartnerdocsConfig(AppConfig):
    name = "partnerdocs"
    verbose_name = "Partner documentation"

    def ready(self) -> None:
        from django.urls import reverse

        from sources.documentation import documentation_path_set

        # Sources link to their page (admin, change notifications) without importing this app.
        documentation_path_set(lambda source_id: reverse("ingest:docs-source", args=[source_id]))
