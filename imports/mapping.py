"""Which field each CSV column feeds: a first guess from the header, and the mapping's checks."""

from __future__ import annotations

import re
from collections.abc import Mapping

from campaigns.fields import FieldSpec

# Header spellings seen in vendors' exports, after _squash (lower case, letters and digits only).
ALIASES: dict[str, tuple[str, ...]] = {
    "firstname": ("first", "fname", "givenname", "forename"),
    "lastname": ("last", "lname", "surname", "familyname"),
    "email": ("emailaddress", "mail", "emailaddr"),
    "phone": ("phonenumber", "telephone", "tel", "homephone", "workphone"),
    "mobile": ("mobilephone", "cell", "cellphone", "mobilenumber", "cellnumber", "mdn"),
    "address1": ("address", "street", "streetaddress", "addressline1"),
    "address2": ("addressline2", "apt", "suite"),
    "zipcode": ("zip", "postalcode", "postcode", "zippostalcode"),
    "state": ("province", "region", "stateprovince"),
    "external_id": ("id", "leadid", "externalid"),
    "ip": ("ipaddress",),
}


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def mapping_guess(columns: list[str], specs: Mapping[str, FieldSpec]) -> dict[str, str]:
    """Map a column to a field when its header names the field's key, label or a known alias.

    Keys of the result are column indexes as strings (JSON object keys); each field is used
    at most once, by the first column that names it.
    """
    names: dict[str, str] = {}
    for key, spec in specs.items():
        names.setdefault(_squash(key), key)
        names.setdefault(_squash(spec.label), key)
    for key, aliases in ALIASES.items():
        if key in specs:
            for alias in aliases:
                names.setdefault(alias, key)
    guess: dict[str, str] = {}
    used: set[str] = set()
    for index, column in enumerate(columns):
        found = names.get(_squash(column))
        if found and found not in used:
            guess[str(index)] = found
            used.add(found)
    return guess


def mapping_problems(mapping: Mapping[str, str], specs: Mapping[str, FieldSpec]) -> list[str]:
    """Why a mapping cannot run: a field fed twice, an unknown field, a required one missing."""
    problems: list[str] = []
    seen: dict[str, int] = {}
    for key in mapping.values():
        if not key:
            continue
        if key not in specs:
            problems.append(f"'{key}' is not a field of this campaign.")
        seen[key] = seen.get(key, 0) + 1
    problems += [
        f"{specs[key].label} ({key}) is mapped from {count} columns; pick one."
        for key, count in seen.items()
        if count > 1 and key in specs
    ]
    problems += [
        f"{spec.label} ({key}) is required by the campaign: map a column to it."
        for key, spec in specs.items()
        if spec.required and key not in seen
    ]
    return problems
