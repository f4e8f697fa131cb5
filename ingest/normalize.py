"""Turn posted values into clean, typed values, one field type at a time.

Each normaliser returns the stored value or raises FieldValueError with a message that says what
is allowed. Messages never echo emails or phone numbers back (they end up in logs).
"""

from __future__ import annotations

import difflib
import functools
import ipaddress
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
import pycountry
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from email_validator import EmailNotValidError, validate_email

from campaigns.fields import FieldSpec
from campaigns.types import FieldType
from contactsource.limits import MAX_LONG_TEXT
from ingest.errors import REQUIRED_FIELDS
from ingest.phones import phone_is_valid

MAX_TEXT = 255
LONG_TEXT_KEYS = frozenset({"user_agent", "url", "referer"})
TRUE_WORDS = frozenset({"true", "1", "yes", "on"})
FALSE_WORDS = frozenset({"false", "0", "no", "off"})
COUNTRY_ALIASES = {"uk": "GB", "usa": "US", "u.s.": "US", "u.s.a.": "US", "america": "US"}
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%Y/%m/%d", "%m-%d-%Y")
DATETIME_FORMATS = ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S")
_url_validator = URLValidator(schemes=["http", "https"])


class FieldValueError(ValueError):
    pass


@dataclass(frozen=True)
class NormalizeContext:
    phone_region: str
    timezone: str
    country: str  # the contact's country if it gave a valid one, else the campaign's region


def _text(spec: FieldSpec, value: str, ctx: NormalizeContext) -> str:
    limit = MAX_LONG_TEXT if spec.key in LONG_TEXT_KEYS else MAX_TEXT
    if len(value) > limit:
        raise FieldValueError(f"{spec.label} is longer than {limit} characters.")
    return value


# An RFC 5322 dot-atom local part in ASCII: what nearly every lead has, and what email-validator
# returns unchanged. Such an address is its local part, an @ and the domain's normal form.
_DOT_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_LOCAL_MAX, _ADDRESS_MAX = 64, 254


@functools.lru_cache(maxsize=4096)
def _email_domain(domain: str) -> str:
    """The domain's normal form, as email-validator gives it (raises EmailNotValidError)."""
    return str(validate_email(f"x@{domain}", check_deliverability=False).domain)


def email_normalize(value: str) -> str:
    """email-validator's normalised address, without a DNS check (nothing slow on the hot
    path). The common shape takes a shortcut that reuses the domain's result: the domain's
    checks were most of the cost, and a batch's leads share a few domains. Anything else, and
    anything the shortcut would refuse, goes through email-validator whole, for its message.
    Raises EmailNotValidError."""
    local, at, domain = value.rpartition("@")
    if at and len(local) <= _LOCAL_MAX and domain.isascii() and _DOT_ATOM.fullmatch(local):
        try:
            address = f"{local}@{_email_domain(domain)}"
        except EmailNotValidError:
            address = ""
        if address and len(address) <= _ADDRESS_MAX:
            return address
    return str(validate_email(value, check_deliverability=False).normalized)


def _email(spec: FieldSpec, value: str, ctx: NormalizeContext) -> str:
    try:
        return email_normalize(value)
    except EmailNotValidError as exc:
        raise FieldValueError(f"{spec.label} is not a valid email address: {exc}") from None


def _tel_hint(spec: FieldSpec, ctx: NormalizeContext) -> str:
    return (
        f"{spec.label} is not a valid phone number for region {ctx.phone_region}. "
        "Send E.164 (+17272870426) or a national number of that region."
    )


def _tel(spec: FieldSpec, value: str, ctx: NormalizeContext) -> str:
    try:
        number = phonenumbers.parse(value, ctx.phone_region)
    except phonenumbers.NumberParseException:
        raise FieldValueError(_tel_hint(spec, ctx)) from None
    if not phone_is_valid(number):
        raise FieldValueError(_tel_hint(spec, ctx))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _number(spec: FieldSpec, value: str, ctx: NormalizeContext) -> int | float:
    try:
        number = Decimal(value)
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite() or len(value) > 40:
        raise FieldValueError(f"{spec.label} must be a number such as 42 or 13.75.")
    if number == number.to_integral_value() and abs(number) < 2**53:
        return int(number)
    as_float = float(number)
    if not math.isfinite(as_float):
        # 1e999 is a finite Decimal but an infinite float, which JSON (and PostgreSQL) refuse.
        raise FieldValueError(f"{spec.label} is too large a number.")
    return as_float


def _boolean(spec: FieldSpec, value: str, ctx: NormalizeContext) -> bool:
    word = value.lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise FieldValueError(f"{spec.label} must be one of true/false, 1/0, yes/no, on/off.")


def _parse_date(value: str) -> date | None:
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


def _date(spec: FieldSpec, value: str, ctx: NormalizeContext) -> str:
    parsed = _parse_date(value)
    if parsed is None:
        raise FieldValueError(f"{spec.label} must be a date such as 2010-03-15 or 03/15/2010.")
    return parsed.isoformat()


def _datetime(spec: FieldSpec, value: str, ctx: NormalizeContext) -> str:
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        for fmt in DATETIME_FORMATS:
            try:
                parsed = datetime.strptime(value, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        raise FieldValueError(
            f"{spec.label} must be a date and time such as 2010-03-15T12:15:32Z "
            "or 03/15/2010 12:15:32."
        )
    if parsed.tzinfo is None:
        # A time without a zone is read in the campaign's timezone.
        parsed = parsed.replace(tzinfo=ZoneInfo(ctx.timezone))
    return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _match_choice(spec: FieldSpec, value: str) -> str:
    for choice in spec.choices:
        if choice.lower() == value.lower():
            return choice
    allowed = ", ".join(spec.choices) if spec.choices else "(none configured)"
    raise FieldValueError(f"{spec.label} must be one of: {allowed}.")


def _select(spec: FieldSpec, value: str, ctx: NormalizeContext) -> str:
    return _match_choice(spec, value)


def _multiselect(spec: FieldSpec, value: str | list[str], ctx: NormalizeContext) -> list[str]:
    parts = value if isinstance(value, list) else value.split("|")
    picked = [_match_choice(spec, part.strip()) for part in parts if part.strip()]
    if not picked:
        raise FieldValueError(f"{spec.label} must list one or more values separated by |.")
    return list(dict.fromkeys(picked))


def _url(spec: FieldSpec, value: str, ctx: NormalizeContext) -> str:
    if len(value) > MAX_LONG_TEXT:
        raise FieldValueError(f"{spec.label} is longer than {MAX_LONG_TEXT} characters.")
    try:
        _url_validator(value)
    except ValidationError:
        raise FieldValueError(
            f"{spec.label} must be an http or https URL such as https://example.com/page."
        ) from None
    return value


def country_code(value: str) -> str | None:
    alias = COUNTRY_ALIASES.get(value.lower())
    if alias:
        return alias
    found = None
    if len(value) == 2:
        found = pycountry.countries.get(alpha_2=value.upper())
    elif len(value) == 3:
        found = pycountry.countries.get(alpha_3=value.upper())
    if found is None:
        try:
            found = pycountry.countries.lookup(value)
        except LookupError:
            return None
    return str(found.alpha_2)


def _country(spec: FieldSpec, value: str, ctx: NormalizeContext) -> str:
    code = country_code(value)
    if code is None:
        raise FieldValueError(
            f"{spec.label} must be a country name or ISO code such as US, USA or United States."
        )
    return code


def _region(spec: FieldSpec, value: str, ctx: NormalizeContext) -> str:
    code = value.upper().removeprefix(f"{ctx.country}-")
    found = pycountry.subdivisions.get(code=f"{ctx.country}-{code}")
    if found is None:
        lowered = value.lower()
        for sub in pycountry.subdivisions.get(country_code=ctx.country) or ():
            if sub.name.lower() == lowered:
                found = sub
                break
    if found is None:
        raise FieldValueError(
            f"{spec.label} must be a region of {ctx.country}, "
            "as a code or name (e.g. FL or Florida)."
        )
    return str(found.code).split("-", 1)[1]


_ZIP_PATTERNS = {
    "US": (re.compile(r"^(\d{5})(?:-?(\d{4}))?$"), "12345 or 12345-6789"),
    "CA": (re.compile(r"^([A-Za-z]\d[A-Za-z]) ?(\d[A-Za-z]\d)$"), "A1A 1A1"),
}
_ZIP_GENERIC = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 \-]{1,9}$")


def _zipcode(spec: FieldSpec, value: str, ctx: NormalizeContext) -> str:
    pattern = _ZIP_PATTERNS.get(ctx.country)
    if pattern is not None:
        match = pattern[0].match(value)
        if match is None:
            raise FieldValueError(f"{spec.label} must look like {pattern[1]} for {ctx.country}.")
        parts = [p for p in match.groups() if p]
        joiner = "-" if ctx.country == "US" else " "
        return joiner.join(parts).upper()
    if not _ZIP_GENERIC.match(value):
        raise FieldValueError(f"{spec.label} must be 2 to 10 letters, digits, spaces or dashes.")
    return value.upper()


def _ip(spec: FieldSpec, value: str, ctx: NormalizeContext) -> str:
    # Proxies send "client, proxy1, proxy2": the first address is the person's.
    for part in value.split(","):
        try:
            return str(ipaddress.ip_address(part.strip()))
        except ValueError:
            continue
    raise FieldValueError(f"{spec.label} must be an IPv4 or IPv6 address such as 203.0.113.7.")


NORMALIZERS: dict[str, Callable[[FieldSpec, Any, NormalizeContext], Any]] = {
    FieldType.TEXT: _text,
    FieldType.EMAIL: _email,
    FieldType.TEL: _tel,
    FieldType.NUMBER: _number,
    FieldType.BOOLEAN: _boolean,
    FieldType.DATE: _date,
    FieldType.DATETIME: _datetime,
    FieldType.SELECT: _select,
    FieldType.MULTISELECT: _multiselect,
    FieldType.URL: _url,
    FieldType.COUNTRY: _country,
    FieldType.REGION: _region,
    FieldType.ZIPCODE: _zipcode,
    FieldType.IP: _ip,
}

REQUIRED_MESSAGE = REQUIRED_FIELDS.message  # "{label} is required."


@dataclass
class NormalizedFields:
    values: dict[str, Any] = field(default_factory=dict)
    soft_errors: dict[str, str] = field(default_factory=dict)
    required_errors: dict[str, str] = field(default_factory=dict)


def _suggest(key: str, specs: Mapping[str, FieldSpec]) -> str:
    close = difflib.get_close_matches(key, list(specs), n=1, cutoff=0.6)
    if close:
        match = specs[close[0]]
        return (
            "This field is not supported and was ignored. "
            f"Did you mean '{match.key}' ({match.label})?"
        )
    return "This field is not supported for this campaign and was ignored."


def _context(
    raw: Mapping[str, Any], specs: Mapping[str, FieldSpec], phone_region: str, timezone: str
) -> NormalizeContext:
    country = phone_region
    posted = raw.get("country")
    if isinstance(posted, str) and "country" in specs:
        country = country_code(posted) or phone_region
    return NormalizeContext(phone_region=phone_region, timezone=timezone, country=country)


def normalize_fields(
    raw: Mapping[str, Any],
    specs: Mapping[str, FieldSpec],
    *,
    phone_region: str,
    timezone: str,
) -> NormalizedFields:
    """Clean every posted field; collect soft errors (dropped) and required-field failures."""
    result = NormalizedFields()
    ctx = _context(raw, specs, phone_region, timezone)
    for key, value in raw.items():
        spec = specs.get(key)
        if spec is None:
            result.soft_errors[key] = _suggest(key, specs)
            continue
        if isinstance(value, list) and spec.type != FieldType.MULTISELECT:
            result.soft_errors[key] = (
                f"{spec.label} takes a single value; it was sent {len(value)} times and the last "
                "one was used."
            )
            value = value[-1]
        try:
            result.values[key] = NORMALIZERS[spec.type](spec, value, ctx)
        except FieldValueError as exc:
            target = result.required_errors if spec.required else result.soft_errors
            suffix = "" if spec.required else " It was not stored."
            target[key] = f"{exc}{suffix}"
    for key, spec in specs.items():
        if spec.required and key not in result.values and key not in result.required_errors:
            result.required_errors[key] = REQUIRED_MESSAGE.format(label=spec.label)
    return result
