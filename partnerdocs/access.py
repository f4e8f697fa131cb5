"""Who may read a source's documentation page: a partner with its token, or staff.

A valid token entered in the form opens a docs session: the cookie (path-scoped to the source)
holds only a random reference; the shared cache holds, under the reference's hash, the source
and the token sealed with a key derived from the reference. So neither the browser's cookie
nor the cache alone holds the token, yet the page can show it in its examples. The token is
re-checked against the source's current hashes on every request, so rotating it ends the
session once the old token's grace period ends; the session also ends after
DOCS_SESSION_SECONDS. Tokens are never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone

from contactsource.auth_failures import AuthFailures
from ingest.services import source_token_valid
from sources.models import Source

logger = logging.getLogger(__name__)

# Wrong tokens in the form (and in openapi.json's token header), per address and per source.
DOCS_FAILURES = AuthFailures("docs")
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


def _session_key(reference: str) -> str:
    # The cache never sees the reference itself, only its hash.
    return "docs-session:" + hashlib.sha256(reference.encode()).hexdigest()


def _pad(reference: str, length: int) -> bytes:
    """A one-time key stream from the reference (HMAC-SHA256 in counter mode): every session
    has its own random 256-bit reference, so a stream is never used twice."""
    blocks = (length + 31) // 32
    key = reference.encode()
    return b"".join(hmac.digest(key, b"docs-token:%d" % i, "sha256") for i in range(blocks))


def _seal(reference: str, token: str) -> str:
    data = token.encode("utf-8", "surrogatepass")
    return bytes(a ^ b for a, b in zip(data, _pad(reference, len(data)), strict=False)).hex()


def _unseal(reference: str, sealed: str) -> str:
    try:
        data = bytes.fromhex(sealed)
        plain = bytes(a ^ b for a, b in zip(data, _pad(reference, len(data)), strict=False))
        return plain.decode("utf-8", "surrogatepass")
    except (ValueError, UnicodeDecodeError):
        return ""


def _session_token(request: HttpRequest, source: Source) -> str:
    """The token behind this source's docs cookie, or "" (no cookie, expired, other source)."""
    reference = request.COOKIES.get(cookie_name(source), "")
    if not reference or len(reference) > 100:
        return ""
    try:
        record = cache.get(_session_key(reference))
    except Exception:
        # The cache is down: the partner sees the token form, not an error page.
        logger.warning("docs session not read: cache unavailable")
        return ""
    if not isinstance(record, dict) or record.get("source") != source.pk:
        return ""
    return _unseal(reference, str(record.get("sealed", "")))


def header_token(request: HttpRequest) -> str:
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
    candidates = [header_token(request)] if allow_header else []
    candidates.append(_session_token(request, source))
    for token in candidates:
        if token and source_token_valid(source, token, now):
            return DocsViewer(token=token, staff=is_docs_staff(request))
    if is_docs_staff(request):
        return DocsViewer(token=None, staff=True)
    return None


@dataclass(frozen=True)
class HeaderAccess:
    """What a request that may carry the token in a header (the page, openapi.json) may see."""

    viewer: DocsViewer | None
    retry_after: int | None = None  # too many wrong tokens: answer 429 with Retry-After
    wrong_header: bool = False  # a token header was sent, and it opens nothing


def docs_header_access(request: HttpRequest, source: Source) -> HeaderAccess:
    """The one rule for a token sent in a header: an address over its limit is refused before
    the token is compared; a wrong header token (with no valid docs session beside it) counts
    like a wrong token in the form, per address and per source (DOCS_FAILURES)."""
    header = header_token(request)
    address = request.META.get("REMOTE_ADDR") or ""
    if header and (retry_after := DOCS_FAILURES.blocked(address)) is not None:
        return HeaderAccess(None, retry_after=retry_after)
    viewer = docs_viewer(request, source, allow_header=True)
    if viewer is None and header:
        retry_after = DOCS_FAILURES.failed(address, source.pk)
        return HeaderAccess(None, retry_after=retry_after, wrong_header=True)
    return HeaderAccess(viewer)


def docs_token_accepted(source: Source, token: str) -> bool:
    return bool(token) and source_token_valid(source, token, timezone.now())


def docs_cookie_set(
    request: HttpRequest, response: HttpResponse, source: Source, token: str
) -> None:
    """Open a docs session for a token just checked valid: the cookie holds its reference."""
    reference = secrets.token_urlsafe(32)
    seconds = settings.DOCS_SESSION_SECONDS
    record = {"source": source.pk, "sealed": _seal(reference, token)}
    cache.set(_session_key(reference), record, timeout=seconds)
    response.set_cookie(
        cookie_name(source),
        reference,
        max_age=seconds,
        path=cookie_path(source),
        secure=request.is_secure(),
        httponly=True,
        samesite="Lax",
    )


def docs_cookie_delete(request: HttpRequest, response: HttpResponse, source: Source) -> None:
    """End the docs session: the server forgets it too, so a copied cookie stops working."""
    reference = request.COOKIES.get(cookie_name(source), "")
    if reference and len(reference) <= 100:
        cache.delete(_session_key(reference))
    response.delete_cookie(cookie_name(source), path=cookie_path(source), samesite="Lax")
