"""Person API shapes (the platform's: `mobile_phone.mdn`, `custom_fields`)."""

from __future__ import annotations

from typing import Any

import phonenumbers
from django.conf import settings
from email_validator import EmailNotValidError, validate_email
from rest_framework import serializers

from contactsource.limits import (
    MAX_CUSTOM_FIELDS,
    MAX_CUSTOM_FIELDS_BYTES,
    MAX_JSON_DEPTH,
    MAX_KEY_LENGTH,
    MAX_LONG_TEXT,
    custom_fields_problem,
)
from subscriptions.models import OptOutReason, Person, Subscription
from subscriptions.payloads import person_body, subscription_payload

# Keys of the answer a CRM may send back unchanged (ignored, not refused).
READ_ONLY_KEYS = frozenset({"id", "url", "created_at", "updated_at"})


def normalize_mdn(value: str) -> str:
    """E.164 from any format phonenumbers reads, national numbers in the configured region."""
    try:
        number = phonenumbers.parse(value, settings.PERSON_API_PHONE_REGION)
    except phonenumbers.NumberParseException:
        raise serializers.ValidationError("Enter a phone number such as +15551234567.") from None
    if not phonenumbers.is_valid_number(number):
        raise serializers.ValidationError("This is not a valid phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class CustomFieldsField(serializers.DictField):
    """A JSON object within the limits of contactsource/limits.py, storable as it is."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        value: dict[str, Any] = super().to_internal_value(data)
        if problem := custom_fields_problem(value):
            raise serializers.ValidationError(problem)
        return value


class PersonMobilePhoneSerializer(serializers.Serializer):
    mdn = serializers.CharField(max_length=32, help_text="The mobile number, E.164 preferred.")


class PersonInputSerializer(serializers.Serializer):
    external_id = serializers.CharField(
        max_length=255, required=False, allow_null=True, allow_blank=True
    )
    mobile_phone = PersonMobilePhoneSerializer(required=False, allow_null=True)
    mobile = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        help_text="A flat alternative to mobile_phone.mdn.",
    )
    email = serializers.CharField(max_length=320, required=False, allow_null=True, allow_blank=True)
    first_name = serializers.CharField(max_length=255, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=255, required=False, allow_blank=True)
    custom_fields = CustomFieldsField(
        required=False,
        help_text=f"Your own keys (at most {MAX_CUSTOM_FIELDS}, each up to {MAX_KEY_LENGTH} "
        f"characters) and JSON values: strings up to {MAX_LONG_TEXT:,} characters, "
        f"{MAX_CUSTOM_FIELDS_BYTES // 1024} KB in all, nesting at most {MAX_JSON_DEPTH} levels "
        "counting the body.",
    )

    def __init__(self, *args: Any, require_identity: bool = False, **kwargs: Any) -> None:
        self.require_identity = require_identity
        super().__init__(*args, **kwargs)

    def validate_email(self, value: str | None) -> str:
        if not value:
            return ""
        try:
            return validate_email(value, check_deliverability=False).normalized
        except EmailNotValidError:
            raise serializers.ValidationError("Enter a valid email address.") from None

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(self.initial_data) - set(self.fields) - READ_ONLY_KEYS)
        if unknown:
            raise serializers.ValidationError({key: ["Unknown field."] for key in unknown})
        values: dict[str, Any] = {}
        nested = attrs.pop("mobile_phone", None)
        flat = attrs.pop("mobile", "")
        for key in ("mobile_phone", "mobile"):
            if key not in self.initial_data:
                continue
            mdn = (nested or {}).get("mdn") if key == "mobile_phone" else flat
            try:
                values["mobile_phone"] = normalize_mdn(mdn) if mdn else None
            except serializers.ValidationError as exc:
                raise serializers.ValidationError({key: exc.detail}) from None
            break
        if "external_id" in attrs:
            values["external_id"] = (attrs.pop("external_id") or "").strip() or None
        values.update(attrs)
        if self.require_identity and not (values.get("mobile_phone") or values.get("email")):
            raise serializers.ValidationError(
                {"mobile_phone": ["Give mobile_phone (or mobile) or email to add a person."]}
            )
        return values


class PersonOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    external_id = serializers.CharField(allow_null=True)
    mobile_phone = PersonMobilePhoneSerializer(allow_null=True)
    email = serializers.CharField(allow_null=True)
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    custom_fields = serializers.DictField()
    url = serializers.CharField()
    created_at = serializers.CharField()
    updated_at = serializers.CharField()

    def to_representation(self, instance: Person) -> dict[str, Any]:
        return person_body(instance)


class PersonApiRefSerializer(serializers.Serializer):
    id = serializers.CharField()
    url = serializers.CharField()


class PersonApiPersonRefSerializer(PersonApiRefSerializer):
    external_id = serializers.CharField(allow_null=True)


class PersonSubscriptionOutputSerializer(serializers.Serializer):
    """The callbacks' "subscription" object, with the opt-out keys always present."""

    person = PersonApiPersonRefSerializer()
    subscription_list = PersonApiRefSerializer()
    opt_in_date = serializers.CharField()
    opt_out_date = serializers.CharField(allow_null=True)
    opt_out_reason = serializers.ChoiceField(choices=OptOutReason.choices, allow_null=True)
    acquisition_campaign = PersonApiRefSerializer(allow_null=True)
    url = serializers.CharField()

    def to_representation(self, instance: Subscription) -> dict[str, Any]:
        return subscription_payload(instance, instance.person, include_opt_out=True)


class PersonOptOutInputSerializer(serializers.Serializer):
    opt_out_reason = serializers.ChoiceField(
        choices=OptOutReason.choices, required=False, default=OptOutReason.USER_OPT_OUT
    )
