"""Who may read a source's documentation page: a partner with its token, or staff.

The token entered in the form is kept in a cookie signed for that one source (path-scoped to it).
It is re-checked against the source's current hashes on every request, so rotating the token
locks the cookie out once the old token's grace period ends. Tokens are never logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone

from ingest.services import source_token_valid
from sources.models import Source

COOKIE_MAX_AGE = timedelta(days=30)
PLACEHOLDER_TOKEN = "YOUR_TOKEN"  # noqa: S105 (shown to staff: tokens are stored hashed)


@dataclass(frozen=True)
class DocsViewer:
    token: str | None  # the real token when the partner entered it; None for staff
    staff: bool

    @property
    def shown_token(self) -> str:
        return self.token or PLACEHOLDER_TOKEN


def docs_source_get(source_ref: str) -> Source | None:
    """The source named in the URL, or None for anything unknown (never an exception)."""
    if not source_ref.isdigit() or len(source_ref) > 18:
        return None
    return Source.objects.filter(pk=int(source_ref)).first()


def is_docs_staff(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_authenticated and user.is_staff and user.has_perm("sources.view_source"))


def docs_visible(request: HttpRequest, source: Source | None) -> bool:
    """Partners see nothing of a source whose documentation is off; staff may preview it."""
    if source is None:
        return False
    return source.documentation_enabled or is_docs_staff(request)


def cookie_name(source: Source) -> str:
    return f"cs_docs_{source.pk}"


def cookie_path(source: Source) -> str:
    return reverse("ingest:docs-source", args=[source.pk])


def _salt(source: Source) -> str:
    # Per source: a cookie signed for one source is worthless for another.
    return f"ingest.docs.source.{source.pk}"


def _header_token(request: HttpRequest) -> str:
    """For machine clients of openapi.json: the intake's headers (never the query string)."""
    authorization = request.headers.get("Authorization", "")
    scheme, _, credentials = authorization.strip().partition(" ")
    bearer = credentials.strip() if scheme.lower() == "bearer" else ""
    return (
        request.headers.get("token") or request.headers.get("X-Auth-Token") or bearer or ""
    ).strip()


def docs_viewer(
    request: HttpRequest, source: Source, *, allow_header: bool = False
) -> DocsViewer | None:
    """The viewer, or None when only the token form may be shown."""
    now = timezone.now()
    candidates = [_header_token(request)] if allow_header else []
    candidates.append(
        request.get_signed_cookie(
            cookie_name(source),
            default="",
            salt=_salt(source),
            max_age=COOKIE_MAX_AGE,
        )
        or ""
    )
    for token in candidates:
        if token and source_token_valid(source, token, now):
            return DocsViewer(token=token, staff=is_docs_staff(request))
    if is_docs_staff(request):
        return DocsViewer(token=None, staff=True)
    return None


def docs_token_accepted(source: Source, token: str) -> bool:
    return bool(token) and source_token_valid(source, token, timezone.now())


def docs_cookie_set(
    request: HttpRequest, response: HttpResponse, source: Source, token: str
) -> None:
    response.set_signed_cookie(
        cookie_name(source),
        token,
        salt=_salt(source),
        max_age=int(COOKIE_MAX_AGE.total_seconds()),
        path=cookie_path(source),
        secure=request.is_secure(),
        httponly=True,
        samesite="Lax",
    )


def docs_cookie_delete(response: HttpResponse, source: Source) -> None:
    response.delete_cookie(cookie_name(source), path=cookie_path(source), samesite="Lax")
