"""Feedback API: a CRM (its endpoint key) or a marketer returns a contact or reports its
conversion; marketers review returns, edit campaigns' return settings and read source quality.
Views are thin: every rule lives in feedback/services.py."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.authentication import (
    BaseAuthentication,
    SessionAuthentication,
    TokenAuthentication,
)
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contactsource.api import ReadOnlyViewSet
from feedback.models import ContactReturn
from feedback.selectors import conversion_of, return_of
from feedback.serializers import (
    ConversionInputSerializer,
    ConversionSerializer,
    RejectInputSerializer,
    ReturnInputSerializer,
    ReturnSerializer,
)
from feedback.services import (
    DecisionRefused,
    FeedbackRefused,
    NotInScope,
    conversion_report,
    feedback_scope_check,
    return_approve,
    return_reject,
    return_request,
)
from ingest.models import Contact
from subscriptions.authentication import EndpointKeyAuthentication
from subscriptions.models import CallbackEndpoint

if TYPE_CHECKING:
    from rest_framework.permissions import _PermissionClass

TAG = ["feedback"]
# The 400 and 404 bodies are one of several shapes (a refusal, field errors, a parse error), so
# the schema says "an object" and names the refusal's shape in words.
REFUSED = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="Refused by the rules: {code, detail, and the facts: allowed_reasons, deadline, "
    "window, contact_status} (code one of never_charged, returns_closed, unknown_reason, "
    "window_closed, not_accepted); or field errors {field: [messages]}; or {detail}.",
)
NOT_FOUND = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="No such contact ({detail}), or, for an endpoint key, not one of its campaigns' "
    "contacts ({code: not_in_scope, detail, allowed_campaigns}).",
)


class EndpointOrPermission(BasePermission):
    """An endpoint's API key, or a user holding the view's `user_permission` on writes (its
    `view_…` sibling on reads)."""

    message = "This API needs an endpoint API key or a user with the feedback permission."

    def has_permission(self, request: Request, view: Any) -> bool:
        if isinstance(request.auth, CallbackEndpoint):
            return True
        user = request.user
        perm: str = view.user_permission
        if request.method in ("GET", "HEAD", "OPTIONS"):
            app_label, codename = perm.split(".")
            perm = f"{app_label}.view_{codename.split('_', 1)[1]}"
        return bool(user and user.is_authenticated and user.has_perm(perm))


class ContactFeedbackView(APIView):
    authentication_classes: Sequence[type[BaseAuthentication]] = [
        EndpointKeyAuthentication,
        TokenAuthentication,
        SessionAuthentication,
    ]
    permission_classes: Sequence[_PermissionClass] = [EndpointOrPermission]
    user_permission = ""

    def endpoint(self) -> CallbackEndpoint | None:
        auth = self.request.auth
        return auth if isinstance(auth, CallbackEndpoint) else None

    def contact(self, contact_id: int) -> Contact:
        contact = Contact.objects.filter(pk=contact_id).first()
        if contact is None:
            raise Http404("No contact with this id.")
        return contact

    def read(
        self,
        contact_id: int,
        find: Callable[..., Any],
        serializer: type[serializers.Serializer[Any]],
        missing: str,
    ) -> Response:
        """A GET: the contact's feedback row, if the caller may see the contact and it has one."""
        contact = self.contact(contact_id)
        try:
            feedback_scope_check(contact=contact, endpoint=self.endpoint())
        except NotInScope as exc:
            return _refused(exc)
        row = find(contact_id=contact.pk)
        if row is None:
            raise Http404(missing)
        return Response(serializer(row).data)


def _refused(exc: FeedbackRefused) -> Response:
    code = status.HTTP_404_NOT_FOUND if isinstance(exc, NotInScope) else 400
    return Response(exc.as_dict(), status=code)


class ContactReturnApi(ContactFeedbackView):
    user_permission = "feedback.add_contactreturn"

    @extend_schema(
        tags=TAG,
        operation_id="contacts_return_get",
        responses={200: ReturnSerializer, 404: NOT_FOUND},
        summary="Get a contact's return",
    )
    def get(self, request: Request, contact_id: int) -> Response:
        return self.read(
            contact_id, return_of, ReturnSerializer, "This contact has not been returned."
        )

    @extend_schema(
        tags=TAG,
        operation_id="contacts_return",
        request=ReturnInputSerializer,
        responses={
            201: ReturnSerializer,
            200: OpenApiResponse(
                ReturnSerializer, description="Already returned: the first return, unchanged."
            ),
            400: REFUSED,
            404: NOT_FOUND,
        },
        summary="Return a contact",
        description="Return an accepted contact within its campaign's return window, with one "
        "of its reasons. Approved at once (status approved: its cost and revenue are reversed) "
        "or held for review (status pending), as the campaign says. 201 for a new return; 200 "
        "with the first return if the contact was already returned (nothing changes). By a "
        "CRM with its endpoint key (its campaigns' contacts) or a user with the "
        "feedback.add_contactreturn permission.",
    )
    def post(self, request: Request, contact_id: int) -> Response:
        contact = self.contact(contact_id)
        serializer = ReturnInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            ret, created = return_request(
                contact=contact,
                reason=serializer.validated_data["reason"],
                note=serializer.validated_data["note"],
                endpoint=self.endpoint(),
                user=request.user,
            )
        except FeedbackRefused as exc:
            return _refused(exc)
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(ReturnSerializer(ret).data, status=code)


class ContactConversionApi(ContactFeedbackView):
    user_permission = "feedback.add_conversion"

    @extend_schema(
        tags=TAG,
        operation_id="contacts_conversion_get",
        responses={200: ConversionSerializer, 404: NOT_FOUND},
        summary="Get a contact's conversion",
    )
    def get(self, request: Request, contact_id: int) -> Response:
        return self.read(
            contact_id,
            conversion_of,
            ConversionSerializer,
            "No conversion was reported for this contact.",
        )

    @extend_schema(
        tags=TAG,
        operation_id="contacts_conversion",
        request=ConversionInputSerializer,
        responses={
            201: ConversionSerializer,
            200: OpenApiResponse(
                ConversionSerializer, description="Replaced the earlier report of this contact."
            ),
            400: REFUSED,
            404: NOT_FOUND,
        },
        summary="Report a contact's conversion",
        description="Record that an accepted contact converted, with an optional value and "
        "date (default now). Feedback only: no money moves. Reported again, the later report "
        "replaces the earlier (200).",
    )
    def post(self, request: Request, contact_id: int) -> Response:
        contact = self.contact(contact_id)
        serializer = ConversionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            conversion, created = conversion_report(
                contact=contact,
                value=serializer.validated_data.get("value"),
                converted_at=serializer.validated_data.get("converted_at"),
                endpoint=self.endpoint(),
                user=request.user,
            )
        except FeedbackRefused as exc:
            return _refused(exc)
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(ConversionSerializer(conversion).data, status=code)


DECISION_REFUSED = OpenApiResponse(
    description="Not waiting for review, or no rejection reason: {detail}."
)


@extend_schema_view(
    list=extend_schema(summary="List returns", tags=TAG),
    retrieve=extend_schema(summary="Get a return", tags=TAG),
)
class ContactReturnViewSet(ReadOnlyViewSet):
    queryset = ContactReturn.objects.all()
    serializer_class = ReturnSerializer
    filterset_fields = ["status", "source", "campaign", "reason"]
    ordering_fields = ["id", "created_at"]
    action_permissions = {
        "approve": ["feedback.change_contactreturn"],
        "reject": ["feedback.change_contactreturn"],
    }

    @extend_schema(
        tags=TAG,
        request=None,
        responses={200: ReturnSerializer, 400: DECISION_REFUSED},
        summary="Approve a return waiting for review",
        description="Reverses the contact's cost and revenue and tells the source.",
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        ret = self.get_object()
        try:
            ret = return_approve(return_id=ret.pk, user=request.user)
        except DecisionRefused as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(ReturnSerializer(ret).data)

    @extend_schema(
        tags=TAG,
        request=RejectInputSerializer,
        responses={200: ReturnSerializer, 400: DECISION_REFUSED},
        summary="Reject a return waiting for review",
    )
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        ret = self.get_object()
        serializer = RejectInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            ret = return_reject(
                return_id=ret.pk, reason=serializer.validated_data["reason"], user=request.user
            )
        except DecisionRefused as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(ReturnSerializer(ret).data)
