"""The intake's phone check gives phonenumbers' own answer for every number, only faster:
the same numbers accepted and refused, the same E.164 and the same messages."""

from __future__ import annotations

import phonenumbers
import pytest
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from campaigns.fields import FieldSpec
from ingest.normalize import FieldValueError, NormalizeContext, _tel
from ingest.phones import phone_is_valid

TYPES = [value for name, value in vars(PhoneNumberType).items() if name.isupper()]


def variants(number: phonenumbers.PhoneNumber) -> list[phonenumbers.PhoneNumber]:
    """The number, and near misses: a digit fewer or more, other leading digits."""
    national = str(number.national_number)
    texts = [national, national[:-1], national + "7", "9" + national[1:], "1" + national[1:]]
    found = []
    for text in texts:
        if text:
            found.append(phonenumbers.PhoneNumber(number.country_code, int(text)))
    if number.italian_leading_zero:
        found[0].italian_leading_zero = True
    return found


def every_example() -> list[phonenumbers.PhoneNumber]:
    numbers = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for type_ in TYPES:
            example = phonenumbers.example_number_for_type(region, type_)
            if example is not None:
                numbers += variants(example)
    for code in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        example = phonenumbers.example_number_for_non_geo_entity(code)
        if example is not None:
            numbers += variants(example)
    # Calling codes no region has, and numbers of the wrong length for +1.
    numbers += [phonenumbers.PhoneNumber(999, 1234567), phonenumbers.PhoneNumber(0, 5)]
    numbers += [phonenumbers.PhoneNumber(1, n) for n in (2, 20255501, 202555010199, 8005550100)]
    return numbers


def test_it_answers_as_phonenumbers_for_every_regions_examples_and_near_misses():
    numbers = every_example()
    assert len(numbers) > 5000

    differ = [
        phonenumbers.format_number(n, PhoneNumberFormat.E164)
        for n in numbers
        if phone_is_valid(n) != phonenumbers.is_valid_number(n)
    ]

    assert differ == []
    assert 0 < sum(map(phone_is_valid, numbers)) < len(numbers)


SPEC = FieldSpec("phone", "Phone", "tel")
POSTED = [
    "+17272870426",
    "7272870426",
    "(727) 287-0426",
    "727.287.0426",
    "1 727 287 0426",
    "001 727 287 0426",
    "+1 727 287 0426 ext. 12",
    "727-287-0426 x99",
    "+1 416 555 0199",  # Canada, on a US campaign
    "+1 242 357 1234",  # the Bahamas
    "+1 800 356 9377",
    "1-800-FLOWERS",
    "+44 20 7946 0958",
    "020 7946 0958",
    "07400 123456",
    "+49 30 901820",
    "030 901820",
    "+33 1 23 45 67 89",
    "+7 912 345 67 89",
    "+7 727 123 4567",  # Kazakhstan shares +7
    "+39 06 6982",
    "+39 312 345 6789",
    "+882 3456 1234",
    "+800 1234 5678",
    "555-0100",
    "72728704",
    "727287042612",
    "+1 202 555 010",
    "+999 123 4567",
    "abc",
    "+",
    "12",
    "0000000000",
    "+1 (727) 287-0426 #5",
    "\u0667\u0662\u0667\u0662\u0668\u0667\u0660\u0664\u0662\u0666",  # Arabic-Indic
    "\uff0b\uff11\uff17\uff12\uff17\uff12\uff18\uff17\uff10\uff14\uff12\uff16",  # full width
    "+1727287042a",
    "+" + "1" * 40,
]


def tel_as_before(value: str, region: str) -> str:
    """The intake's phone field as it was written before phone_is_valid."""
    hint = (
        f"Phone is not a valid phone number for region {region}. "
        "Send E.164 (+17272870426) or a national number of that region."
    )
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return f"error: {hint}"
    if not phonenumbers.is_valid_number(number):
        return f"error: {hint}"
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


@pytest.mark.parametrize("region", ["US", "CA", "GB", "DE", "IT", "RU", "BS"])
def test_the_phone_field_stores_and_refuses_the_same_values_with_the_same_messages(region):
    ctx = NormalizeContext(phone_region=region, timezone="UTC", country=region)

    def now(value: str) -> str:
        try:
            return _tel(SPEC, value, ctx)
        except FieldValueError as exc:
            return f"error: {exc}"

    answers = {value: now(value) for value in POSTED}

    assert answers == {value: tel_as_before(value, region) for value in POSTED}
    assert any(a.startswith("+") for a in answers.values())
    assert any(a.startswith("error: ") for a in answers.values())
