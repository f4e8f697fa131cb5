"""Admin for persons, subscriptions, CRM endpoints and their delivery log (thin: calls services)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html

from contactsource.admin_site import (
    HTTPS_URL_FIELDS,
    SecretLookupsRefusedMixin,
    https_formfield,
)
from subscriptions.authentication import ENDPOINT_SECRET_PERMISSION, PERSON_API_PERMISSION
from subscriptions.models import (
    CallbackDelivery,
    CallbackEndpoint,
    EventType,
    OptOutReason,
    Person,
    Subscription,
)
from subscriptions.services import (
    deliveries_replay,
    endpoint_api_key_issue,
    endpoint_api_key_revoke,
    endpoint_enable,
    subscription_opt_out,
)


class SubscriptionInline(admin.TabularInline):
    model = Subscription
    extra = 0
    can_delete = False
    fields = ("campaign", "acquisition_source", "opt_in_date", "opt_out_date", "opt_out_reason")
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ("public_id", "external_id", "first_name", "last_name", "created_at")
    search_fields = ("=public_id", "=external_id", "=mobile_phone", "email")
    readonly_fields = ("public_id", "created_at", "updated_at")
    inlines = [SubscriptionInline]


class OptedOutFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("active", "Subscribed"), ("opted_out", "Opted out")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "active":
            return queryset.filter(opt_out_date__isnull=True)
        if self.value() == "opted_out":
            return queryset.filter(opt_out_date__isnull=False)
        return queryset


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "person",
        "campaign",
        "acquisition_source",
        "opt_in_date",
        "opt_out_date",
        "opt_out_reason",
    )
    list_filter = (OptedOutFilter, "campaign", "opt_out_reason")
    list_select_related = ("person", "campaign", "acquisition_source")
    search_fields = ("=person__public_id", "=person__external_id", "=person__mobile_phone")
    readonly_fields = (
        "person",
        "campaign",
        "acquisition_source",
        "contact_id",
        "opt_in_date",
        "opt_out_date",
        "opt_out_reason",
    )
    actions = ["opt_out"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Opt out (reason: user_opt_out) and tell the CRMs")
    def opt_out(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> None:
        changed = sum(
            subscription_opt_out(subscription_id=pk, reason=OptOutReason.USER_OPT_OUT)[1]
            for pk in queryset.values_list("pk", flat=True)
        )
        messages.success(request, f"{changed} subscription(s) opted out.")


class CallbackEndpointForm(forms.ModelForm):
    event_types = forms.MultipleChoiceField(
        choices=EventType.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = CallbackEndpoint
        formfield_callback = https_formfield
        fields = (
            "name",
            "url",
            "is_active",
            "event_types",
            "campaigns",
            "secret",
            "headers",
            "is_primary",
        )


class EndpointStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("active", "Active"),
            ("auto_disabled", "Disabled automatically"),
            ("failing", "Failing"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "active":
            return queryset.filter(is_active=True)
        if self.value() == "auto_disabled":
            return queryset.filter(is_active=False, disabled_at__isnull=False)
        if self.value() == "failing":
            return queryset.filter(consecutive_failures__gt=0)
        return queryset


@admin.register(CallbackEndpoint)
class CallbackEndpointAdmin(SecretLookupsRefusedMixin, admin.ModelAdmin):
    formfield_overrides = HTTPS_URL_FIELDS
    secret_fields = ("secret", "api_key_hash")
    form = CallbackEndpointForm
    list_display = ("name", "url", "state", "consecutive_failures", "is_primary", "campaign_list")
    list_filter = (EndpointStateFilter, "is_primary", "campaigns")
    search_fields = ("name", "url")
    filter_horizontal = ("campaigns",)
    readonly_fields = (
        "consecutive_failures",
        "failing_since",
        "disabled_at",
        "disabled_reason",
        "has_api_key",
    )
    fieldsets = (
        (None, {"fields": ("name", "url", "is_active", "event_types", "campaigns")}),
        ("Signing and headers", {"fields": ("secret", "headers")}),
        ("Real-time campaigns", {"fields": ("is_primary",)}),
        ("Person API", {"fields": ("has_api_key",)}),
        (
            "Health",
            {
                "fields": (
                    "consecutive_failures",
                    "failing_since",
                    "disabled_at",
                    "disabled_reason",
                )
            },
        ),
    )
    actions = ["replay_dead", "enable", "issue_api_key", "revoke_api_key"]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        """The signing secret is shown, and editable, only with its permission (docs/admin.md):
        without it the field is not in the form at all, so a POST cannot set it either."""
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.has_perm(ENDPOINT_SECRET_PERMISSION):
            return fieldsets
        return [
            (name, {**opts, "fields": tuple(f for f in opts["fields"] if f != "secret")})
            for name, opts in fieldsets
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # With a key, the campaigns decide which persons it reaches (docs/callbacks.md).
        fields = tuple(super().get_readonly_fields(request, obj))
        if (
            obj is not None
            and obj.api_key_hash
            and not request.user.has_perm(PERSON_API_PERMISSION)
        ):
            return (*fields, "campaigns")
        return fields

    def has_person_api_permission(self, request: HttpRequest) -> bool:
        # A key reads persons: handing one out needs the person-API permission itself.
        return request.user.has_perms(
            ("subscriptions.change_callbackendpoint", PERSON_API_PERMISSION)
        )

    def save_model(
        self, request: HttpRequest, obj: CallbackEndpoint, form: Any, change: bool
    ) -> None:
        # Switched back on by hand: the automatic-disable record and failure streak start over.
        if change and obj.is_active and "is_active" in form.changed_data:
            obj.disabled_at, obj.disabled_reason = None, ""
            obj.consecutive_failures, obj.failing_since = 0, None
        super().save_model(request, obj, form, change)

    def get_queryset(self, request: HttpRequest) -> QuerySet[CallbackEndpoint]:
        return super().get_queryset(request).prefetch_related("campaigns")

    @admin.display(description="state")
    def state(self, obj: CallbackEndpoint) -> str:
        if obj.auto_disabled:
            return format_html(
                '<strong style="color:#ba2121">Disabled automatically</strong> {}: {}',
                obj.disabled_at.strftime("%Y-%m-%d %H:%M") if obj.disabled_at else "",
                obj.disabled_reason,
            )
        if not obj.is_active:
            return "Inactive"
        if obj.consecutive_failures:
            return format_html('<span style="color:#b36b00">Failing</span>')
        return "Active"

    @admin.display(description="campaigns")
    def campaign_list(self, obj: CallbackEndpoint) -> str:
        return ", ".join(c.name for c in obj.campaigns.all()) or "all"

    @admin.display(description="API key", boolean=True)
    def has_api_key(self, obj: CallbackEndpoint) -> bool:
        return bool(obj.api_key_hash)

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        disabled = CallbackEndpoint.objects.filter(is_active=False, disabled_at__isnull=False)
        for endpoint in disabled[:10]:
            messages.warning(
                request,
                f"Endpoint {endpoint.name} was disabled automatically: {endpoint.disabled_reason} "
                "Fix the receiver, then use “Enable” to resume its waiting callbacks.",
            )
        return super().changelist_view(request, extra_context)

    @admin.action(description="Replay all dead deliveries")
    def replay_dead(self, request: HttpRequest, queryset: QuerySet[CallbackEndpoint]) -> None:
        count = sum(
            deliveries_replay(endpoint_id=pk) for pk in queryset.values_list("pk", flat=True)
        )
        messages.success(request, f"{count} dead deliveries queued again.")

    @admin.action(description="Enable (reset failures, resume waiting deliveries)")
    def enable(self, request: HttpRequest, queryset: QuerySet[CallbackEndpoint]) -> None:
        for pk in queryset.values_list("pk", flat=True):
            endpoint_enable(endpoint_id=pk)
        messages.success(request, f"{queryset.count()} endpoint(s) enabled.")

    @admin.action(description="Issue a new person-API key (shown once)", permissions=["person_api"])
    def issue_api_key(self, request: HttpRequest, queryset: QuerySet[CallbackEndpoint]) -> None:
        for endpoint in queryset:
            key = endpoint_api_key_issue(endpoint_id=endpoint.pk)
            messages.warning(
                request,
                f"Person-API key for {endpoint.name}: {key} — copy it now, it is stored hashed "
                "and will not be shown again. Send it as 'Authorization: Token <key>'.",
            )

    @admin.action(description="Revoke the person-API key", permissions=["person_api"])
    def revoke_api_key(self, request: HttpRequest, queryset: QuerySet[CallbackEndpoint]) -> None:
        for pk in queryset.values_list("pk", flat=True):
            endpoint_api_key_revoke(endpoint_id=pk)
        messages.success(request, "API keys revoked.")


@admin.register(CallbackDelivery)
class CallbackDeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "created_at",
        "endpoint",
        "event_type",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
    )
    list_filter = ("status", "event_type", "endpoint")
    list_select_related = ("endpoint",)
    search_fields = ("=event_id", "=contact_id")
    date_hierarchy = "created_at"
    actions = ["replay"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_replay_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("subscriptions.change_callbackendpoint")

    @admin.action(description="Replay the selected deliveries now", permissions=["replay"])
    def replay(self, request: HttpRequest, queryset: QuerySet[CallbackDelivery]) -> None:
        count = deliveries_replay(delivery_ids=list(queryset.values_list("pk", flat=True)))
        messages.success(request, f"{count} deliveries queued again.")

    def get_queryset(self, request: HttpRequest) -> QuerySet[CallbackDelivery]:
        return super().get_queryset(request).defer("payload")
