"""Site-wide marketer pages, added to the admin site's URLs by ContactSourceAdminSite."""

from __future__ import annotations

from django.contrib.admin import AdminSite
from django.urls import URLPattern, path

from finance.admin_views import caps_dashboard_view
from reports.admin_views.charts import IntakeChartView
from reports.admin_views.dashboard import dashboard_view


def site_urls(site: AdminSite) -> list[URLPattern]:
    # admin_view: staff only (others go to the login page), never cached, CSRF-protected.
    return [
        path("dashboard/", site.admin_view(dashboard_view), name="dashboard"),
        path("charts/intake/", site.admin_view(IntakeChartView.as_view()), name="chart-intake"),
        path("caps/", site.admin_view(caps_dashboard_view), name="caps"),
    ]
