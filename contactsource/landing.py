"""What `/` and `/api/v1/` answer: where to go next, instead of a 404 (part of the URLconf's
composition root: it names routes of every app, as urls.py does)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import get_resolver, reverse
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


def landing(request: HttpRequest) -> HttpResponse:
    """A small page with links: the admin, the API root and its docs, health."""
    links = [
        ("Admin", reverse("admin:index"), "Sources, campaigns, caps, the intake log."),
        ("API root", reverse("api-root"), "The management REST API's collections."),
        ("API docs", reverse("api-docs"), "Swagger UI for the management API."),
        ("Health", reverse("health"), "Database and cache checks."),
    ]
    return render(request, "landing.html", {"links": links})


class ApiRootView(APIView):
    """GET /api/v1/: every collection of the management API, and where its schema lives.

    Behind the API's own authentication, as every other /api/v1/ route (staff only: it lists
    what exists, not what the user may read)."""

    permission_classes = [IsAdminUser]

    @extend_schema(exclude=True)
    def get(self, request: Request) -> Response:
        _prefix, api = get_resolver().namespace_dict["api"]
        names = sorted(
            name for name in api.reverse_dict if isinstance(name, str) and name.endswith("-list")
        )
        collections = {
            name.removesuffix("-list"): request.build_absolute_uri(reverse(f"api:{name}"))
            for name in names
        }
        return Response(
            {
                "collections": collections,
                "schema": request.build_absolute_uri(reverse("api-schema")),
                "docs": request.build_absolute_uri(reverse("api-docs")),
            }
        )
