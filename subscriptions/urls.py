"""The person API, mounted under /api/v1/ (the callbacks' `url` values point here)."""

from __future__ import annotations

from django.urls import path, register_converter
from django.urls.converters import StringConverter

from subscriptions import apis

app_name = "subscriptions"


class ExternalIdConverter(StringConverter):
    """A path segment without NUL: no stored external_id has one (the API refuses it), and
    PostgreSQL would refuse the lookup, so such a path is a 404, like any unknown id."""

    regex = "[^/\\x00]+"


register_converter(ExternalIdConverter, "external_id")

urlpatterns = [
    path("persons/", apis.PersonAddApi.as_view(), name="person-add"),
    path(
        "persons/external/<external_id:external_id>/",
        apis.PersonDetailApi.as_view(),
        name="person-detail-external",
    ),
    path("persons/<uuid:person_id>/", apis.PersonDetailApi.as_view(), name="person-detail"),
    path(
        "persons/<uuid:person_id>/subscriptions/",
        apis.PersonSubscriptionListApi.as_view(),
        name="person-subscription-list",
    ),
    path(
        "persons/<uuid:person_id>/subscriptions/<int:campaign_id>/",
        apis.PersonSubscriptionDetailApi.as_view(),
        name="person-subscription-detail",
    ),
]
