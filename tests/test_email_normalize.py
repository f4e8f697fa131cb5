"""The email shortcut answers exactly what email-validator answers, address by address."""

from __future__ import annotations

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.normalize import email_normalize

ATEXT = "abcXYZ019!#$%&'*+/=?^_`{|}~-."
DOMAIN_CHARS = "abcXYZ019-._"


def reference(value: str) -> str | None:
    try:
        return str(validate_email(value, check_deliverability=False).normalized)
    except EmailNotValidError:
        return None


def ours(value: str) -> str | None:
    try:
        return email_normalize(value)
    except EmailNotValidError:
        return None


addresses = st.one_of(
    st.emails().map(str),
    st.builds(
        lambda local, domain, tld: f"{local}@{domain}.{tld}",
        st.text(ATEXT, min_size=0, max_size=70),
        st.text(DOMAIN_CHARS, min_size=0, max_size=70),
        st.sampled_from(["com", "CoM", "test", "local", "c", "123", "xn--p1ai", "例え"]),
    ),
    st.text(max_size=40),
)


@settings(max_examples=3000, deadline=None)
@given(addresses)
def test_the_shortcut_agrees_with_email_validator(value):
    assert ours(value) == reference(value)


@pytest.mark.parametrize(
    "value",
    [
        "Ab.C+x@Bench.Example.COM",
        "a..b@x.com",
        ".a@x.com",
        "a.@x.com",
        "a@localhost",
        "a@x.test",
        "a@-x.com",
        "a" * 64 + "@example.com",
        "a" * 65 + "@example.com",
        "a" * 64 + "@" + ("b" * 60 + ".") * 3 + "com",
        "a" * 60 + "@" + ("b" * 62 + ".") * 3 + "com",
        "ü@example.com",
        "a@ü.example.com",
        '"quoted"@example.com',
        "a@b@example.com",
        " a@example.com",
        "a@example.com ",
    ],
)
def test_edge_cases_agree(value):
    assert ours(value) == reference(value)


def test_an_invalid_domain_is_not_cached_as_valid():
    assert ours("a@bad..example.com") is None
    assert ours("b@bad..example.com") is None
    assert ours("c@good.example.com") == "c@good.example.com"
