"""What `/` and `/api/v1/` answer: where to go next, instead of a 404 (part of the URLconf's
composition root: it names routes of every app, as urls.py does)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import get_resolver, reverse


def landing(request: HttpRequest) -> HttpResponse:
    """A small page with links: the admin, the API root and its docs, health."""
    links = [
        ("Admin", reverse("admin:index"), "Sources, campaigns, caps, the intake log."),
        ("API root", reverse("api-root"), "The management REST API's collections."),
        ("API docs", reverse("api-docs"), "Swagger UI for the management API."),
        ("Health", reverse("health"), "Database and cache checks."),
    ]
    return render(request, "landing.html", {"links": links})


def api_root(request: HttpRequest) -> JsonResponse:
    """GET /api/v1/: every collection of the management API, and where its schema lives."""
    _prefix, api = get_resolver().namespace_dict["api"]
    names = sorted(
        name for name in api.reverse_dict if isinstance(name, str) and name.endswith("-list")
    )
    collections = {
        name.removesuffix("-list"): request.build_absolute_uri(reverse(f"api:{name}"))
        for name in names
    }
    return JsonResponse(
        {
            "collections": collections,
            "schema": request.build_absolute_uri(reverse("api-schema")),
            "docs": request.build_absolute_uri(reverse("api-docs")),
            "authentication": "Authorization: Token <key> (see the API docs).",
        },
        json_dumps_params={"indent": 2},
    )
