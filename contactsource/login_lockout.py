"""Admin login lockout with django-axes: the backend that checks it, and the 429 page.

Axes counts failed logins per username and address in the shared cache (settings: AXES_*);
past the limit that pair is refused for the cool-off, even with the right password.
"""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse


class LoginLockoutBackend(AxesStandaloneBackend):
    """Axes' check, for logins that come with a request (the admin's form, DRF's auth).

    An authentication without a request (the test client's `login()`, a shell) is not a login
    over HTTP, so there is no address to count and nothing to lock; Axes would raise instead.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any = None
) -> HttpResponse:
    """429 with Retry-After: the cool-off restarts with every attempt made while locked out."""
    cool_off = get_cool_off(request)
    seconds = int(cool_off.total_seconds()) if cool_off else 0
    context = {
        **admin.site.each_context(request),
        "title": "Too many failed logins",
        "minutes": max(1, seconds // 60),
    }
    response = TemplateResponse(request, "admin/cs/login_locked.html", context, status=429)
    if seconds:
        response["Retry-After"] = str(seconds)
    response.render()
    return response
