"""`phonenumbers.is_valid_number`, without checking a shared calling code's number twice.

For a calling code that several regions share (+1: the US, Canada and the Caribbean; +7, +44,
…), `is_valid_number` first finds the number's region by trying each region's patterns in
turn (`region_code_for_number`), then checks the number against that region's patterns again
(`is_valid_number_for_region`): the same `_number_type_helper` call twice, about half of the
check's time. `phone_is_valid` returns as soon as the first one says yes, and otherwise takes
the library's own path, so its answer is the library's for every number
(tests/test_phone_is_valid.py compares them over every region's example numbers and more).

It reads phonenumbers' metadata through names that are not its public API; they have been
stable for years, and the test above fails if an upgrade changes them.
"""

from __future__ import annotations

import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumber, PhoneNumberType
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE, _number_type_helper
from phonenumbers.re_util import re_compile


def phone_is_valid(number: PhoneNumber) -> bool:
    """Exactly `phonenumbers.is_valid_number(number)`."""
    code = number.country_code
    regions = COUNTRY_CODE_TO_REGION_CODE.get(code) if code is not None else None
    if regions is None or len(regions) == 1:
        return bool(phonenumbers.is_valid_number(number))
    national = phonenumbers.national_significant_number(number)
    # _region_code_for_number_from_list, step by step.
    for region in regions:
        metadata = PhoneMetadata.metadata_for_region(region.upper(), None)
        if metadata is None:
            continue
        if metadata.leading_digits is not None:
            if re_compile(metadata.leading_digits).match(national):
                return bool(phonenumbers.is_valid_number_for_region(number, region))
        elif _number_type_helper(national, metadata) != PhoneNumberType.UNKNOWN:
            # is_valid_number_for_region(number, region) would now check the calling code
            # and run this same _number_type_helper call again: true once the code matches.
            if metadata.country_code == code:
                return True
            return bool(phonenumbers.is_valid_number_for_region(number, region))
    return False  # no region: is_valid_number_for_region(number, None) is False
