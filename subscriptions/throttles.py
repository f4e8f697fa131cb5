"""The person API's throttle for CRMs: counted per callback endpoint, whose key is not a user."""

from __future__ import annotations

from rest_framework.request import Request

from contactsource.throttles import WindowThrottle
from subscriptions.models import CallbackEndpoint


class EndpointKeyThrottle(WindowThrottle):
    """`API_THROTTLE_ENDPOINT_KEY` requests per endpoint, whichever process answers them."""

    scope = "endpoint_key"

    def principal(self, request: Request) -> str | None:
        if isinstance(request.auth, CallbackEndpoint):
            return f"e{request.auth.pk}"
        return None
