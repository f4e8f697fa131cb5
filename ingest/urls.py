"""The intake's routes under /source/… (the root URLconf mounts them, contactsource/urls.py).

The single-contact route's pattern is here, its view there: a GET on it is the campaign's page
of the partner docs (another app), so the root URLconf sends GET to partnerdocs and every other
method to `views.contact_dispatch`, and the intake never imports the docs.
"""

from __future__ import annotations

from django.urls import re_path

from ingest import views

# Ids are matched loosely so a bad id gets the intake's JSON answer, not an HTML 404.
CONTACT_ROUTE = r"^source/(?P<source_id>[^/]+)/campaign/(?P<campaign_id>[^/]+)(?:/contact)?/?$"

urlpatterns = [
    re_path(
        r"^source/(?P<source_id>[^/]+)/campaign/(?P<campaign_id>[^/]+)/contacts/?$",
        views.contacts_batch,
        name="contacts-batch",
    ),
]
