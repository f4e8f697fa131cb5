from __future__ import annotations

from django.urls import path

from reports.apis import StatsView

urlpatterns = [path("stats/", StatsView.as_view(), name="stats")]
