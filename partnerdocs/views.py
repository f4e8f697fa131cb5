"""The partner docs: GET /source/<sid>[/campaign/<cid>], its token form and openapi.json.

Unknown sources and sources whose documentation is off answer the same plain 404, so the page
reveals nothing; staff may still preview a source whose documentation is off.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST, require_safe

from contactsource.models import PublishState
from partnerdocs import content as docs_content
from partnerdocs.access import (
    DOCS_FAILURES,
    DocsViewer,
    cookie_path,
    docs_cookie_delete,
    docs_cookie_set,
    docs_header_access,
    docs_source_get,
    docs_token_accepted,
    docs_visible,
)
from partnerdocs.examples import curl_batch
from partnerdocs.openapi import source_openapi
from sources.models import Source, SourceCampaign
from sources.selectors import source_changes_recent, source_documented_entries

NOT_FOUND_JSON = {"detail": "Not found."}
TOO_MANY_TOKENS = (
    "Too many wrong tokens were tried from your address or for this source. "
    "Wait for the seconds in Retry-After, then try again."
)


def _private(response: HttpResponse) -> HttpResponse:
    """The page may hold a token: never cached by others, indexed, or sent on as a referrer.

    same-origin, not no-referrer: with no-referrer browsers send `Origin: null` on the token
    form's POST, which Django's CSRF check rightly refuses.
    """
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "same-origin"
    return response


def _not_found(request: HttpRequest) -> HttpResponse:
    return _private(render(request, "docs/not_found.html", status=404))


def _login_page(
    request: HttpRequest, source: Source, *, status: int = 200, error: str = "", next_url: str = ""
) -> HttpResponse:
    context = {
        "source_id": source.pk,
        "action": reverse("ingest:docs-login", args=[source.pk]),
        "next": next_url or request.path,
        "error": error,
        "session_hours": max(1, settings.DOCS_SESSION_SECONDS // 3600),
    }
    return _private(render(request, "docs/login.html", context, status=status))


def _too_many_tries(
    request: HttpRequest, source: Source, retry_after: int, next_url: str
) -> HttpResponse:
    minutes = max(1, (retry_after + 59) // 60)
    error = (
        "Too many wrong tokens were tried from your address or for this source. "
        f"Please wait {minutes} minute{'s' if minutes != 1 else ''}, then try again."
    )
    response = _login_page(request, source, status=429, error=error, next_url=next_url)
    response["Retry-After"] = str(retry_after)
    return response


def _campaign_id(ref: str) -> int:
    return int(ref) if ref.isdigit() and len(ref) < 19 else -1


def _page(request: HttpRequest, source_ref: str, campaign_ref: str | None) -> HttpResponse:
    source = docs_source_get(source_ref)
    if source is None or not docs_visible(request, source):
        return _not_found(request)
    # Scripts send the token in a header (DESIGN §8); browsers get the form and a cookie.
    access = docs_header_access(request, source)
    if access.retry_after is not None:
        return _too_many_tries(request, source, access.retry_after, request.path)
    viewer = access.viewer
    if viewer is None:
        if not access.wrong_header:
            return _login_page(request, source)
        error = "The token sent in the request headers is not valid for this source."
        return _login_page(request, source, status=403, error=error)
    entries = list(source_documented_entries(source=source))
    only = _campaign_id(campaign_ref) if campaign_ref is not None else None
    if only is not None and all(entry.campaign_id != only for entry in entries):
        return _not_found(request)
    context = _context(source, viewer, entries, only)
    return _private(render(request, "docs/page.html", context))


def _context(
    source: Source, viewer: DocsViewer, entries: list[SourceCampaign], only: int | None
) -> dict[str, object]:
    campaigns = docs_content.docs_campaigns(entries, source, viewer.shown_token, only)
    first = campaigns[0] if campaigns else None
    nav = [
        (
            e.campaign_id,
            e.campaign.name,
            docs_content.absolute(reverse("ingest:contact", args=[source.pk, e.campaign_id])),
        )
        for e in entries
    ]
    return {
        "source": source,
        "viewer": viewer,
        "token": viewer.shown_token,
        "campaigns": campaigns,
        "nav": nav,
        "focus": first if only is not None else None,
        "first": first,
        "source_url": docs_content.absolute(reverse("ingest:docs-source", args=[source.pk])),
        "openapi_url": docs_content.absolute(reverse("ingest:docs-openapi", args=[source.pk])),
        "login_url": reverse("ingest:docs-login", args=[source.pk]),
        "published": source.publish_state(timezone.now()) == PublishState.PUBLISHED,
        "errors": docs_content.error_rows(),
        "batch_errors": docs_content.error_rows(batch=True),
        "responses": docs_content.response_examples(source, first) if first else [],
        "types": docs_content.type_rows(campaigns),
        "changes": list(source_changes_recent(source=source)),
        "notify": docs_content.notification_info(source),
        "batch_example": curl_batch(first.batch_url, viewer.shown_token, [first.json_payload])
        if first
        else "",
        "batch_limit": settings.INTAKE_MAX_BATCH_ITEMS,
        "body_limit": settings.INTAKE_MAX_BODY_BYTES,
        "batch_body_limit": settings.INTAKE_MAX_BATCH_BODY_BYTES,
        "grace_hours": settings.TOKEN_ROTATION_GRACE_SECONDS // 3600,
    }


@require_safe
def docs_source(request: HttpRequest, source_id: str) -> HttpResponse:
    """GET /source/<sid>: every documented campaign of the source."""
    return _page(request, source_id, None)


def docs_campaign(request: HttpRequest, source_id: str, campaign_id: str) -> HttpResponse:
    """GET /source/<sid>/campaign/<cid> (the intake's URL): one campaign of the source."""
    return _page(request, source_id, campaign_id)


def _safe_next(value: str, source: Source) -> str:
    """Only back to this source's own pages (no open redirect)."""
    home = cookie_path(source)
    pattern = rf"^{re.escape(home)}(/campaign/\d{{1,18}}(/contact)?)?/?$"
    return value if re.match(pattern, value or "") else home


@csrf_protect
@require_POST
def docs_login(request: HttpRequest, source_id: str) -> HttpResponse:
    """POST the token form: a valid token opens a docs session for this source only.

    Wrong tokens are counted per address and per source: over the limit the form answers 429
    with Retry-After (an address before its token is even compared)."""
    source = docs_source_get(source_id)
    if source is None or not docs_visible(request, source):
        return _not_found(request)
    target = _safe_next(request.POST.get("next", ""), source)
    if request.POST.get("forget"):
        response = _private(HttpResponseRedirect(target, status=303))
        docs_cookie_delete(request, response, source)
        return response
    address = request.META.get("REMOTE_ADDR") or ""
    retry_after = DOCS_FAILURES.blocked(address)
    if retry_after is not None:
        return _too_many_tries(request, source, retry_after, target)
    token = (request.POST.get("token") or "").strip()
    if not docs_token_accepted(source, token):
        retry_after = DOCS_FAILURES.failed(address, source.pk)
        if retry_after is not None:
            return _too_many_tries(request, source, retry_after, target)
        return _login_page(
            request,
            source,
            status=403,
            error="This token is not valid for this source.",
            next_url=target,
        )
    response = _private(HttpResponseRedirect(target, status=303))
    docs_cookie_set(request, response, source, token)
    return response


@require_safe
def docs_openapi(request: HttpRequest, source_id: str) -> HttpResponse:
    """GET /source/<sid>/openapi.json, gated like the page (or by the token header)."""
    source = docs_source_get(source_id)
    if source is None or not docs_visible(request, source):
        return _private(JsonResponse(NOT_FOUND_JSON, status=404))
    access = docs_header_access(request, source)  # wrong tokens count as on the page
    if access.retry_after is not None:
        response = JsonResponse({"detail": TOO_MANY_TOKENS}, status=429)
        response["Retry-After"] = str(access.retry_after)
        return _private(response)
    viewer = access.viewer
    if viewer is None:
        response = JsonResponse(
            {"detail": "Send this source's token in the token header, or open its docs page."},
            status=401,
        )
        response["WWW-Authenticate"] = 'Bearer realm="source documentation"'
        return _private(response)
    entries = list(source_documented_entries(source=source))
    campaigns = docs_content.docs_campaigns(entries, source, viewer.shown_token)
    version = f"1.{source.changes.count()}"
    document = source_openapi(source, campaigns, version=version)
    return _private(JsonResponse(document, json_dumps_params={"indent": 2}))
