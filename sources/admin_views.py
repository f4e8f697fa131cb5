"""Admin pages for a source's token: shown once on creation and on rotation, never stored.

The token is rendered straight into the response (marked no-store by the admin), not put in
the session's messages, so it never rests anywhere but in the partner's hands.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse

from sources.models import Source
from sources.services import source_rotate_token

MAX_GRACE_HOURS = 24 * 30


class TokenRotateForm(forms.Form):
    grace_hours = forms.IntegerField(
        label="Keep the old token working for (hours)",
        min_value=0,
        max_value=MAX_GRACE_HOURS,
        help_text="Time for the partner to switch to the new token; 0 ends the old one now.",
    )


def token_page(
    request: HttpRequest, tokens: list[tuple[Source, str]], *, rotated: bool, grace_hours: int = 0
) -> TemplateResponse:
    context = {
        **admin.site.each_context(request),
        "title": "Rotated token" if rotated else "New source token",
        "opts": Source._meta,
        "tokens": tokens,
        "rotated": rotated,
        "grace_hours": grace_hours,
    }
    response = TemplateResponse(request, "admin/sources/source/token.html", context)
    response["Cache-Control"] = "no-store"
    return response


def rotate_token_view(request: HttpRequest, object_id: str) -> HttpResponse:
    if not request.user.has_perm("sources.change_source"):
        raise PermissionDenied
    source = get_object_or_404(Source, pk=object_id)
    default_hours = settings.TOKEN_ROTATION_GRACE_SECONDS // 3600
    form = TokenRotateForm(request.POST or None, initial={"grace_hours": default_hours})
    if request.method == "POST" and form.is_valid():
        hours = form.cleaned_data["grace_hours"]
        token = source_rotate_token(source=source, grace_seconds=hours * 3600)
        return token_page(request, [(source, token)], rotated=True, grace_hours=hours)
    context = {
        **admin.site.each_context(request),
        "title": f"Rotate the token of {source.name}",
        "opts": Source._meta,
        "original": source,
        "form": form,
    }
    return TemplateResponse(request, "admin/sources/source/rotate_token.html", context)
