"""GET /source/<sid>/returns.csv: the source's returned contacts of the last 30 days, gated
like its docs page (DESIGN §14; the section itself is feedback's `source_returns` tag)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.views.decorators.http import require_safe

from contactsource.csvexport import stream_csv
from feedback.selectors import source_returns_recent
from partnerdocs.access import docs_header_access, docs_source_get, docs_visible


@require_safe
def docs_returns_csv(request: HttpRequest, source_id: str) -> HttpResponseBase:
    source = docs_source_get(source_id)
    if source is None or not docs_visible(request, source):
        return HttpResponse("Not found.", status=404, content_type="text/plain")
    access = docs_header_access(request, source)  # wrong tokens count as on the page
    if access.retry_after is not None:
        refused = HttpResponse(
            "Too many wrong tokens were tried from your address or for this source. "
            "Wait for the seconds in Retry-After, then try again.",
            status=429,
            content_type="text/plain",
        )
        refused["Retry-After"] = str(access.retry_after)
        return refused
    if access.viewer is None:
        return HttpResponse(
            "Send this source's token in the token header, or open its docs page.",
            status=401,
            content_type="text/plain",
        )
    rows = (
        [r.contact_id, r.campaign_id, r.decided_at.isoformat() if r.decided_at else "", r.reason]
        for r in source_returns_recent(source_id=source.pk)
    )
    response = stream_csv(
        f"source-{source.pk}-returns.csv",
        ["contact_id", "campaign_id", "returned_at", "reason"],
        rows,
    )
    # As the page: never cached by others nor indexed.
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "same-origin"
    return response
