"""Site-wide marketer pages, added to the admin site's URLs by ContactSourceAdminSite."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.admin import AdminSite
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseRedirectBase
from django.urls import URLPattern, path

from finance.admin_views import caps_dashboard_view
from reports.admin_views.charts import IntakeChartView, QualityChartView
from reports.admin_views.dashboard import dashboard_view

# Admin pages whose model moved to another app (and so under another URL): old links, bookmarks
# and forms still open there.
MOVED_PAGES = {"ingest/contactimport/": "imports/contactimport/"}


class MovedRedirect(HttpResponseRedirectBase):
    # 308, not 301: a form posted to the old address is posted again to the new one.
    status_code = 308


def _moved_view(old: str, new: str) -> Callable[..., HttpResponse]:
    def moved(request: HttpRequest, rest: str = "") -> HttpResponse:
        full = request.get_full_path()
        target = full.replace(f"/{old}", f"/{new}", 1)
        return MovedRedirect(target)

    return moved


def site_urls(site: AdminSite) -> list[URLPattern]:
    # admin_view: staff only (others go to the login page), never cached, CSRF-protected.
    return [
        path("dashboard/", site.admin_view(dashboard_view), name="dashboard"),
        path("charts/intake/", site.admin_view(IntakeChartView.as_view()), name="chart-intake"),
        path("charts/quality/", site.admin_view(QualityChartView.as_view()), name="chart-quality"),
        path("caps/", site.admin_view(caps_dashboard_view), name="caps"),
        *(
            path(f"{old}{rest}", site.admin_view(_moved_view(old, new)))
            for old, new in MOVED_PAGES.items()
            for rest in ("", "<path:rest>")
        ),
    ]
