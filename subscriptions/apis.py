"""The person API for CRMs (DESIGN §7): one small view per route, each calling one service."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.authentication import (
    BaseAuthentication,
    SessionAuthentication,
    TokenAuthentication,
)
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from subscriptions.authentication import (
    EndpointKeyAuthentication,
    PersonApiPermission,
    person_api_scope,
)
from subscriptions.models import Person, Subscription
from subscriptions.selectors import (
    PersonScope,
    person_get,
    person_get_by_external_id,
    person_subscription,
    person_subscriptions,
)
from subscriptions.serializers import (
    PersonInputSerializer,
    PersonOptOutInputSerializer,
    PersonOutputSerializer,
    PersonSubscriptionOutputSerializer,
)
from subscriptions.services import (
    PersonConflictError,
    PersonNotInScopeError,
    person_add,
    person_update,
    subscription_opt_out,
)

if TYPE_CHECKING:
    from rest_framework.permissions import _PermissionClass

TAG = ["persons"]
BAD_BODY = OpenApiResponse(description="Field errors: {field: [messages]}.")
NOT_IN_SCOPE = (
    "No person of this key's campaigns has this mobile phone or email. Persons join through "
    "the campaigns' intake (subscription_added tells you); then add or update them here."
)


class PersonApiMixin:
    authentication_classes: Sequence[type[BaseAuthentication]] = [
        EndpointKeyAuthentication,
        TokenAuthentication,
        SessionAuthentication,
    ]
    permission_classes: Sequence[_PermissionClass] = [PersonApiPermission]


def _person_or_404(
    scope: PersonScope, person_id: Any = None, external_id: str | None = None
) -> Person:
    """The person, if the caller's scope reaches them; anyone else is simply not found."""
    person = (
        person_get_by_external_id(external_id=external_id, scope=scope)
        if external_id is not None
        else person_get(public_id=person_id, scope=scope)
    )
    if person is None:
        raise Http404("No person with this id.")
    return person


def _conflict(exc: PersonConflictError) -> Response:
    return Response(exc.errors, status=status.HTTP_400_BAD_REQUEST)


class PersonAddApi(PersonApiMixin, APIView):
    @extend_schema(
        tags=TAG,
        operation_id="persons_add",
        request=PersonInputSerializer,
        responses={
            201: PersonOutputSerializer,
            200: PersonOutputSerializer,
            400: BAD_BODY,
            404: OpenApiResponse(description="A scoped key: no person of its campaigns matches."),
        },
        description="Add a person, or merge into the one with this mobile phone (then email): "
        "201 when created, 200 when merged. An endpoint key limited to some campaigns only "
        "merges into their persons and creates no one: 404 when none matches.",
    )
    def post(self, request: Request) -> Response:
        serializer = PersonInputSerializer(data=request.data, require_identity=True)
        serializer.is_valid(raise_exception=True)
        try:
            person, created = person_add(
                values=serializer.validated_data, scope=person_api_scope(request)
            )
        except PersonConflictError as exc:
            return _conflict(exc)
        except PersonNotInScopeError:
            raise Http404(NOT_IN_SCOPE) from None
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(PersonOutputSerializer(person).data, status=code)


class PersonDetailApi(PersonApiMixin, APIView):
    """By our id (`/persons/<id>/`) or the CRM's (`/persons/external/<external_id>/`)."""

    def _person(self, kwargs: dict[str, Any]) -> Person:
        scope = person_api_scope(self.request)
        return _person_or_404(scope, kwargs.get("person_id"), kwargs.get("external_id"))

    @extend_schema(tags=TAG, summary="Get a person", responses={200: PersonOutputSerializer})
    def get(self, request: Request, **kwargs: Any) -> Response:
        return Response(PersonOutputSerializer(self._person(kwargs)).data)

    def _update(self, request: Request, kwargs: dict[str, Any], *, partial: bool) -> Response:
        person = self._person(kwargs)
        serializer = PersonInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            person = person_update(person=person, values=serializer.validated_data, partial=partial)
        except PersonConflictError as exc:
            return _conflict(exc)
        return Response(PersonOutputSerializer(person).data)

    @extend_schema(
        tags=TAG,
        request=PersonInputSerializer,
        responses={200: PersonOutputSerializer, 400: BAD_BODY},
        description="Replace the person's fields (omitted ones are cleared).",
    )
    def put(self, request: Request, **kwargs: Any) -> Response:
        return self._update(request, kwargs, partial=False)

    @extend_schema(
        tags=TAG,
        request=PersonInputSerializer,
        responses={200: PersonOutputSerializer, 400: BAD_BODY},
        description="Change the given fields; custom_fields merge key by key (null removes).",
    )
    def patch(self, request: Request, **kwargs: Any) -> Response:
        return self._update(request, kwargs, partial=True)


class PersonSubscriptionListApi(PersonApiMixin, ListAPIView):
    serializer_class = PersonSubscriptionOutputSerializer

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request
            return Subscription.objects.none()
        scope = person_api_scope(self.request)
        person = _person_or_404(scope, self.kwargs["person_id"])
        return person_subscriptions(person=person, scope=scope).select_related("person")

    @extend_schema(tags=TAG, summary="List a person's subscriptions")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class PersonSubscriptionDetailApi(PersonApiMixin, APIView):
    def _subscription(self, person_id: Any, campaign_id: int) -> Subscription:
        scope = person_api_scope(self.request)
        person = _person_or_404(scope, person_id)
        subscription = person_subscription(person=person, campaign_id=campaign_id, scope=scope)
        if subscription is None:
            raise Http404("This person has no subscription to this campaign.")
        subscription.person = person
        return subscription

    @extend_schema(
        tags=TAG,
        summary="Get a person's subscription to a campaign",
        responses={200: PersonSubscriptionOutputSerializer},
    )
    def get(self, request: Request, person_id: Any, campaign_id: int) -> Response:
        subscription = self._subscription(person_id, campaign_id)
        return Response(PersonSubscriptionOutputSerializer(subscription).data)

    @extend_schema(
        tags=TAG,
        request=PersonOptOutInputSerializer,
        responses={200: PersonSubscriptionOutputSerializer, 400: BAD_BODY},
        description="Opt out (default reason user_opt_out); sends subscription_removed once.",
    )
    def delete(self, request: Request, person_id: Any, campaign_id: int) -> Response:
        subscription = self._subscription(person_id, campaign_id)
        serializer = PersonOptOutInputSerializer(data=request.data or {})
        serializer.is_valid(raise_exception=True)
        subscription, _changed = subscription_opt_out(
            subscription_id=subscription.pk, reason=serializer.validated_data["opt_out_reason"]
        )
        return Response(PersonSubscriptionOutputSerializer(subscription).data)
