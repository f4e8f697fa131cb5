"""The project's admin site: Django's admin plus the marketer's pages (dashboard, charts, caps).

Installed as `contactsource.admin_site.AdminConfig` in place of `django.contrib.admin`, so every
`@admin.register` in the apps lands on this site. Like `contactsource/urls.py`, this is the
composition root: it may import the apps' admin views (lazily, once URLs are built; the
import-linter contract in pyproject.toml ignores that one import). The rest of this module is
shared admin pieces the apps import (ChangeSetAdmin, PageExtrasAdmin, SecretLookupsRefusedMixin,
the https default).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig
from django.db import models
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver

# A URL typed without a scheme is https (Django 6's default, chosen now: callbacks carry PII).
HTTPS_URL_FIELDS: dict[type[models.Field], dict[str, Any]] = {
    models.URLField: {"assume_scheme": "https"}
}


class ChangeSetAdmin(admin.ModelAdmin):
    """An admin whose whole edit (the object and its inlines) is one change set for the partner
    docs' changelog: `change_set(object_id)` brackets a POST to an existing object's form."""

    def change_set(self, object_id: int) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method != "POST" or object_id is None or not object_id.isdigit():
            return super().changeform_view(request, object_id, form_url, extra_context)
        with self.change_set(int(object_id)):
            return super().changeform_view(request, object_id, form_url, extra_context)


class SecretLookupsRefusedMixin(admin.ModelAdmin):
    """Refuses changelist lookups on `secret_fields` (`?token_hash__startswith=ab` → 400).

    Django allows a lookup on any local field from the URL, so a user who may see the list
    could read a stored hash or secret one character at a time. Lookups across relations are
    already limited by Django to `list_filter`, which names no secret.
    """

    secret_fields: tuple[str, ...] = ()

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        if lookup.split(LOOKUP_SEP)[0] in self.secret_fields:
            return False
        return super().lookup_allowed(lookup, value, request)


# Links and panels that upper apps add to a lower app's change page, by model ("sources.source").
# A lower app never reaches up, not even by a template tag or a URL name (STYLE.md): the upper
# app contributes its piece as a template, as finance/admin.py adds its cap inlines.
PAGE_EXTRAS: dict[str, dict[str, list[str]]] = {}


def page_extras_add(model: str, *, links: str = "", panels: str = "") -> None:
    """Include `links` (list items among the object tools) and `panels` (below the tools) on
    `model`'s change page. They render with the change form's context (`original`, `perms`, …)
    plus `kind` ("source", "campaign") and `source`/`campaign`, the object's id or None."""
    extras = PAGE_EXTRAS.setdefault(model, {"links": [], "panels": []})
    for where, template in (("links", links), ("panels", panels)):
        if template and template not in extras[where]:
            extras[where].append(template)


class PageExtrasAdmin(admin.ModelAdmin):
    """A change page that includes what upper apps contributed with `page_extras_add`."""

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        extras = PAGE_EXTRAS.get(self.opts.label_lower, {})
        context = {
            **context,
            "page_links": extras.get("links", []),
            "page_panels": extras.get("panels", []),
        }
        return super().render_change_form(request, context, add, change, form_url, obj)


def https_formfield(db_field: models.Field, **kwargs: Any) -> Any:
    """A ModelForm's `Meta.formfield_callback` with the same https default."""
    kwargs = {**HTTPS_URL_FIELDS.get(type(db_field), {}), **kwargs}
    return db_field.formfield(**kwargs)


class ContactSourceAdminSite(admin.AdminSite):
    site_header = "Contact Source"
    site_title = "Contact Source admin"
    index_title = "Sources, campaigns and contacts"
    index_template = "admin/cs_index.html"

    def get_urls(self) -> list[URLResolver | URLPattern]:
        # Imported here: admin views import the apps' models, which are not ready at import time.
        from backoffice.admin_urls import site_urls

        return site_urls(self) + super().get_urls()


class AdminConfig(DjangoAdminConfig):
    default_site = "contactsource.admin_site.ContactSourceAdminSite"
