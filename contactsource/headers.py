"""Response headers by area: no caching of personal data, a Content-Security-Policy on pages.

- `/api/` and every intake answer (`/source/…`): `Cache-Control: no-store` unless the view set
  its own, so no browser or shared cache keeps persons, contacts, events or exports.
- `/admin/` and the partner docs (`/source/…`): a Content-Security-Policy that their own assets
  pass. Scripts only from this origin (Chart.js is vendored under static/); the templates use
  `style` attributes and the docs page one `<style>` block, so inline styles are allowed (they
  cannot run code). Swagger UI and ReDoc (/api/docs/, /api/redoc/) run inline scripts and
  workers of their own and get no policy here.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

ADMIN_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# The docs pages run no JavaScript at all (DESIGN §8: they work without it).
DOCS_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'none'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def _policy(path: str) -> str | None:
    if path.startswith("/admin/"):
        return ADMIN_POLICY
    if path.startswith("/source/"):
        return DOCS_POLICY
    return None


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        path = request.path_info
        if path.startswith(("/api/", "/source/")) and "Cache-Control" not in response:
            response["Cache-Control"] = "no-store"
        policy = _policy(path)
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response
