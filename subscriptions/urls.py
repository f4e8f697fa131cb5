"""The person API, mounted under /api/v1/ (the callbacks' `url` values point here)."""

from __future__ import annotations

from django.urls import path

from subscriptions import apis

app_name = "subscriptions"

urlpatterns = [
    path("persons/", apis.PersonAddApi.as_view(), name="person-add"),
    path(
        "persons/external/<str:external_id>/",
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
