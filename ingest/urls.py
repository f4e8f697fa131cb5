from __future__ import annotations

from django.urls import re_path

from ingest import views

app_name = "ingest"

# Ids are matched loosely so a bad id gets the intake's JSON answer, not an HTML 404.
urlpatterns = [
    re_path(
        r"^source/(?P<source_id>[^/]+)/campaign/(?P<campaign_id>[^/]+)(?:/contact)?/?$",
        views.contact_dispatch,
        name="contact",
    ),
    re_path(
        r"^source/(?P<source_id>[^/]+)/campaign/(?P<campaign_id>[^/]+)/contacts/?$",
        views.contacts_batch,
        name="contacts-batch",
    ),
]
