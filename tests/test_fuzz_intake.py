"""Bad input never breaks the intake: random bodies, headers, encodings and field values.

Whatever arrives, the answer is a client error or a normal outcome (never a 500) and exactly one
IntakeEvent is written for it. Hypothesis drives Django's test client through the real view.
"""

from __future__ import annotations

import json
import string
from typing import Any
from urllib.parse import quote_from_bytes

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.models import IntakeEvent
from sources.models import SourceCampaign
from tests.factories import CampaignFieldFactory, SourceCampaignFactory

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# One field of every type, so random values reach every normaliser.
TYPED_FIELDS = [
    ("email", "email", {}),
    ("phone", "tel", {}),
    ("mobile", "tel", {}),
    ("firstname", "text", {}),
    ("zipcode", "zipcode", {}),
    ("country", "country", {}),
    ("state", "region", {}),
    ("ip", "ip", {}),
    ("url", "url", {}),
    ("age", "number", {}),
    ("opted_in", "boolean", {}),
    ("born_on", "date", {}),
    ("called_at", "datetime", {}),
    ("plan", "select", {"choices": ["basic", "pro"]}),
    ("colors", "multiselect", {"choices": ["red", "blue"]}),
]
FIELD_KEYS = [key for key, _, _ in TYPED_FIELDS]
CONTROL = ["token", "test", "sourceid", "campaignid", "utm_source", "Email ", " PHONE"]


@pytest.fixture
def fuzz_entry(db: None) -> SourceCampaign:
    entry: SourceCampaign = SourceCampaignFactory.create(scrub_rate=30)
    for key, type_, extra in TYPED_FIELDS:
        CampaignFieldFactory(campaign=entry.campaign, key=key, type=type_, **extra)
    return entry


def _post(
    client: Client, entry: SourceCampaign, body: bytes, content_type: str, **headers: str
) -> int:
    before = IntakeEvent.objects.count()
    response = client.generic(
        "POST",
        f"/source/{entry.source_id}/campaign/{entry.campaign_id}/contact",
        body,
        content_type=content_type,
        headers=headers,
    )
    assert response.status_code != 500, response.content[:500]
    assert response.status_code < 500, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    assert IntakeEvent.objects.count() == before + 1
    return response.status_code


scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
    | st.sampled_from(
        ["", " ", "+17272870426", "7272870426", "a@b.co", "x@@y", "2024-02-30", "1e999", "NaN"]
    )
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
field_keys = st.sampled_from(FIELD_KEYS + CONTROL) | st.text(max_size=20)


@FUZZ
@given(fields=st.dictionaries(field_keys, json_values, max_size=12))
def test_it_never_answers_500_to_random_json_fields(
    fuzz_entry: SourceCampaign, fields: dict[str, Any]
) -> None:
    body = json.dumps(fields, allow_nan=True).encode()
    _post(Client(), fuzz_entry, body, "application/json", token=fuzz_entry.source.token)  # type: ignore[attr-defined]


@FUZZ
@given(
    pairs=st.lists(
        st.tuples(
            st.binary(max_size=12) | st.sampled_from(FIELD_KEYS).map(str.encode),
            st.binary(max_size=40),
        ),
        max_size=10,
    ),
    charset=st.sampled_from(
        ["", "; charset=utf-8", "; charset=latin-1", "; charset=nope", "; charset=utf-16"]
    ),
)
def test_it_never_answers_500_to_random_form_bodies(
    fuzz_entry: SourceCampaign, pairs: list[tuple[bytes, bytes]], charset: str
) -> None:
    body = "&".join(f"{quote_from_bytes(k)}={quote_from_bytes(v)}" for k, v in pairs).encode()
    token = fuzz_entry.source.token  # type: ignore[attr-defined]
    _post(Client(), fuzz_entry, body, "application/x-www-form-urlencoded" + charset, token=token)


header_text = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=255, exclude_characters="\x7f"),
    max_size=60,
)


@FUZZ
@given(
    body=st.binary(max_size=300),
    content_type=st.sampled_from(
        [
            "application/json",
            "application/json; charset=utf-16",
            "application/vnd.api+json",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=xyz",
            "multipart/form-data",
            "text/plain",
            "",
        ]
    )
    | header_text,
    headers=st.dictionaries(
        st.sampled_from(
            ["token", "X-Auth-Token", "Authorization", "X-Test", "verbose", "Idempotency-Key"]
        ),
        header_text | st.sampled_from(["Basic Og==", "Basic !!!", "Bearer ", "Basic dTpw"]),
        max_size=4,
    ),
)
def test_it_never_answers_500_to_random_bytes_and_headers(
    fuzz_entry: SourceCampaign, body: bytes, content_type: str, headers: dict[str, str]
) -> None:
    _post(Client(), fuzz_entry, body, content_type, **headers)


@FUZZ
@given(
    source_ref=st.text(
        alphabet=string.printable.replace("/", "").replace("?", "").replace("#", ""),
        min_size=1,
        max_size=25,
    ),
    campaign_ref=st.sampled_from(["1", "0", "99999999999999999999", "-1", "x"]),
)
def test_it_never_answers_500_to_random_ids(
    fuzz_entry: SourceCampaign, source_ref: str, campaign_ref: str
) -> None:
    before = IntakeEvent.objects.count()
    response = Client().post(
        f"/source/{quote_from_bytes(source_ref.encode())}/campaign/{campaign_ref}/contact",
        json.dumps({"email": "a@example.com"}),
        content_type="application/json",
        headers={"token": "whatever"},
    )
    if response.status_code == 404 and not response["Content-Type"].startswith("application/json"):
        # The route did not match at all (e.g. an id with a space): Django's 404, no intake.
        assert IntakeEvent.objects.count() == before
        return
    assert response.status_code < 500
    assert IntakeEvent.objects.count() == before + 1


def _deep(depth: int) -> bytes:
    return b'{"email": ' + b"[" * depth + b"]" * depth + b"}"


EDGE_BODIES = {
    "deeply nested JSON": (_deep(100_000), "application/json"),
    "nested just past the limit": (_deep(25), "application/json"),
    "huge JSON under the limit": (
        json.dumps({"email": "a@example.com", "notes": "x" * 1_000_000}).encode(),
        "application/json",
    ),
    "huge JSON over the limit": (
        json.dumps({"email": "a@example.com", "notes": "x" * 1_100_000}).encode(),
        "application/json",
    ),
    "many keys": (json.dumps({f"k{i}": i for i in range(20_000)}).encode(), "application/json"),
    "huge integer": (
        b'{"email": "a@example.com", "age": ' + b"9" * 5000 + b"}",
        "application/json",
    ),
    "a number too large for a float": (
        b'{"email": "a@example.com", "age": "1e999"}',
        "application/json",
    ),
    "NaN and Infinity": (
        b'{"age": NaN, "zipcode": Infinity, "email": -Infinity}',
        "application/json",
    ),
    "invalid UTF-8 in a string": (b'{"email": "a\xff\xfe@example.com"}', "application/json"),
    "lone surrogate escape": (
        b'{"firstname": "\\ud800", "email": "a@example.com"}',
        "application/json",
    ),
    "NUL in key and value": (
        b'{"first\\u0000name": "a\\u0000b", "email": "a@example.com"}',
        "application/json",
    ),
    "UTF-8 BOM": (b'\xef\xbb\xbf{"email": "a@example.com"}', "application/json"),
    "UTF-16 body": ('{"email": "a@example.com"}'.encode("utf-16"), "application/json"),
    "JSON array": (b'[{"email": "a@example.com"}]', "application/json"),
    "JSON string": (b'"email"', "application/json"),
    "truncated JSON": (b'{"email": "a@exa', "application/json"),
    "form with invalid UTF-8": (
        b"email=a%FF%FE%40example.com&phone=%C3%28",
        "application/x-www-form-urlencoded",
    ),
    "form with unknown charset": (
        b"email=a%40example.com",
        "application/x-www-form-urlencoded; charset=klingon",
    ),
    "form with ten thousand keys": (
        "&".join(f"k{i}=v" for i in range(10_000)).encode(),
        "application/x-www-form-urlencoded",
    ),
    "multipart without boundary": (b"--x\r\n\r\n", "multipart/form-data"),
    "multipart with broken parts": (
        b'--xyz\r\nContent-Disposition: form-data; name="email"\r\n\r\na@example.com\r\n--xy',
        "multipart/form-data; boundary=xyz",
    ),
    "multipart with a file": (
        b'--xyz\r\nContent-Disposition: form-data; name="f"; filename="a.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\nhello\r\n--xyz--\r\n",
        "multipart/form-data; boundary=xyz",
    ),
    "XML": (b"<contact><email>a@example.com</email></contact>", "application/xml"),
}


@pytest.mark.parametrize("name", list(EDGE_BODIES))
def test_it_never_answers_500_to_hostile_bodies(fuzz_entry: SourceCampaign, name: str) -> None:
    body, content_type = EDGE_BODIES[name]
    status = _post(Client(), fuzz_entry, body, content_type, token=fuzz_entry.source.token)  # type: ignore[attr-defined]
    assert 200 <= status < 500


def test_it_refuses_a_body_whose_length_header_is_a_lie(fuzz_entry: SourceCampaign) -> None:
    before = IntakeEvent.objects.count()
    response = Client().generic(
        "POST",
        f"/source/{fuzz_entry.source_id}/campaign/{fuzz_entry.campaign_id}/contact",
        b'{"email": "a@example.com"}',
        content_type="application/json",
        headers={"token": fuzz_entry.source.token},  # type: ignore[attr-defined]
        CONTENT_LENGTH="99999999999",
    )
    assert response.status_code == 413
    assert IntakeEvent.objects.count() == before + 1
