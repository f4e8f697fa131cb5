"""The person API's writes: add (merge by mobile phone, then email) and update."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from contactsource.limits import custom_fields_problem
from subscriptions.models import Person
from subscriptions.selectors import EVERYONE, PersonScope, person_find

WRITABLE = ("external_id", "mobile_phone", "email", "first_name", "last_name", "custom_fields")
_BLANK: dict[str, Any] = {
    "external_id": None,
    "mobile_phone": None,
    "email": "",
    "first_name": "",
    "last_name": "",
    "custom_fields": {},
}


class PersonNotInScopeError(Exception):
    """A scoped key added someone who is not (visibly) a person of its campaigns."""


class PersonConflictError(Exception):
    """The values belong to another person (a unique mobile phone or external id)."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__(str(errors))


def _check_unique(person: Person, values: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    others = Person.objects.exclude(pk=person.pk) if person.pk else Person.objects.all()
    for name, label in (("external_id", "external_id"), ("mobile_phone", "mobile phone")):
        value = values.get(name)
        if value and others.filter(**{name: value}).exists():
            errors[name] = [f"Another person already has this {label}."]
    if errors:
        raise PersonConflictError(errors)


def _apply(person: Person, values: dict[str, Any], *, merge_custom: bool) -> None:
    for name in WRITABLE:
        if name not in values:
            continue
        value = values[name]
        if name == "custom_fields" and merge_custom:
            merged = {**(person.custom_fields or {}), **value}
            value = {k: v for k, v in merged.items() if v is not None}
            # Each PATCH is within the limits; their sum must be too.
            if problem := custom_fields_problem(value):
                raise ValidationError({"custom_fields": f"After merging: {problem}"})
        setattr(person, name, value)


def _save(person: Person) -> None:
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError:
        # Lost a race for a unique value after the check above.
        raise PersonConflictError(
            {"non_field_errors": ["Another person took this mobile phone or external_id."]}
        ) from None


@transaction.atomic
def person_add(*, values: dict[str, Any], scope: PersonScope = EVERYONE) -> tuple[Person, bool]:
    """Merge into the person with this mobile phone (then email) or create one.

    Returns the person and whether it was created. Given values win over stored ones (the
    CRM is the authority on its people); custom fields merge key by key (null removes one).

    A scoped key merges only within its scope and creates no one: a person it created would be
    outside its own scope, and creating one beside a match it may not see would either split a
    mobile phone in two or reveal the match. So "no match in scope" is one answer, whether
    the person exists elsewhere or nowhere (docs/callbacks.md).
    """
    person = person_find(
        mobile_phone=values.get("mobile_phone"),
        email=values.get("email") or "",
        lock=True,
        scope=scope,
    )
    created = person is None
    if person is None and scope.campaign_ids is not None:
        raise PersonNotInScopeError
    if person is None:
        person = Person()
    _apply(person, values, merge_custom=True)
    _check_unique(person, values)
    _save(person)
    return person, created


@transaction.atomic
def person_update(*, person: Person, values: dict[str, Any], partial: bool) -> Person:
    """PATCH changes the given fields (custom fields merge); PUT replaces every field."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    if not partial:
        values = {**_BLANK, **values}
    _apply(person, values, merge_custom=partial)
    _check_unique(person, values)
    _save(person)
    return person
