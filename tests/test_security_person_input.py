"""Bad input in the person API answers 400 (or 404 for a path that cannot exist), never a 500.

NUL bytes (PostgreSQL refuses them in text and jsonb), lone surrogates, nesting deeper than the
intake allows, and custom_fields over their limits (contactsource/limits.py).
"""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from contactsource.limits import (
    MAX_CUSTOM_FIELDS,
    MAX_CUSTOM_FIELDS_BYTES,
    MAX_JSON_DEPTH,
    MAX_KEY_LENGTH,
    MAX_LONG_TEXT,
)
from subscriptions.models import Person
from subscriptions.services import endpoint_api_key_issue
from tests.factories import CallbackEndpointFactory, PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api() -> APIClient:
    client = APIClient()
    key = endpoint_api_key_issue(endpoint_id=CallbackEndpointFactory.create().pk)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def person() -> Person:
    person: Person = PersonFactory.create(external_id="crm-1", custom_fields={"plan": "gold"})
    return person


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"k": value}
    return value


def _send(api: APIClient, method: str, person: Person, body: dict[str, Any]) -> Any:
    """POST adds (with an email so it may), PUT and PATCH change the person."""
    if method == "post":
        return api.post("/api/v1/persons/", {"email": "ada@example.com", **body}, format="json")
    url = f"/api/v1/persons/{person.public_id}/"
    return getattr(api, method)(url, body, format="json")


def test_it_answers_404_for_an_external_id_with_a_nul_byte(api: APIClient, person: Person) -> None:
    # No external_id can contain NUL (they are refused on the way in), so no person matches.
    response = api.get("/api/v1/persons/external/crm%00-1/")

    assert response.status_code == 404


@pytest.mark.parametrize("method", ["patch", "put"])
def test_it_answers_404_for_an_update_by_external_id_with_a_nul_byte(
    api: APIClient, person: Person, method: str
) -> None:
    response = getattr(api, method)(
        "/api/v1/persons/external/crm%00-1/", {"first_name": "Ada"}, format="json"
    )

    assert response.status_code == 404


@pytest.mark.parametrize("method", ["post", "put", "patch"])
@pytest.mark.parametrize(
    ("custom_fields", "where"),
    [
        ({"pl\x00an": "gold"}, "key"),
        ({"plan": "go\x00ld"}, "plan"),
        ({"plan": {"tier": ["a", "b\x00"]}}, "plan.tier[1]"),
        ({"plan": {"ti\x00er": 1}}, "plan"),
    ],
)
def test_it_refuses_a_nul_byte_in_custom_fields_naming_where(
    api: APIClient, person: Person, method: str, custom_fields: dict[str, Any], where: str
) -> None:
    response = _send(api, method, person, {"custom_fields": custom_fields})

    assert response.status_code == 400, response.content
    message = " ".join(response.json()["custom_fields"])
    assert "NUL" in message
    assert where in message
    person.refresh_from_db()
    assert person.custom_fields == {"plan": "gold"}


@pytest.mark.parametrize("method", ["post", "put", "patch"])
@pytest.mark.parametrize("field", ["external_id", "first_name", "last_name", "email", "mobile"])
def test_it_refuses_a_nul_byte_in_any_string_field_naming_it(
    api: APIClient, person: Person, method: str, field: str
) -> None:
    response = _send(api, method, person, {field: "ab\x00c"})

    assert response.status_code == 400, response.content
    assert field in response.json()


@pytest.mark.parametrize("method", ["post", "put", "patch"])
def test_it_refuses_a_nul_byte_in_the_nested_mobile_number(
    api: APIClient, person: Person, method: str
) -> None:
    response = _send(api, method, person, {"mobile_phone": {"mdn": "+1727\x002870426"}})

    assert response.status_code == 400, response.content
    assert "mobile_phone" in response.json()


@pytest.mark.parametrize("method", ["post", "put", "patch"])
def test_it_refuses_a_lone_surrogate_in_custom_fields(
    api: APIClient, person: Person, method: str
) -> None:
    body = '{"email": "ada@example.com", "custom_fields": {"plan": "\\ud800"}}'
    url = "/api/v1/persons/" if method == "post" else f"/api/v1/persons/{person.public_id}/"

    response = getattr(api, method)(url, body, content_type="application/json")

    assert response.status_code == 400, response.content
    assert "custom_fields" in response.json()


@pytest.mark.parametrize("method", ["post", "put", "patch"])
@pytest.mark.parametrize("field", ["external_id", "first_name", "last_name"])
def test_it_refuses_a_lone_surrogate_in_a_string_field_naming_it(
    api: APIClient, person: Person, method: str, field: str
) -> None:
    body = f'{{"email": "ada@example.com", "{field}": "ab\\ud800"}}'
    url = "/api/v1/persons/" if method == "post" else f"/api/v1/persons/{person.public_id}/"

    response = getattr(api, method)(url, body, content_type="application/json")

    assert response.status_code == 400, response.content
    assert "Surrogate" in response.json()[field][0]


@pytest.mark.parametrize("method", ["post", "put", "patch"])
@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH - 1, 1000])
def test_it_refuses_custom_fields_nested_deeper_than_the_intake_allows(
    api: APIClient, person: Person, method: str, depth: int
) -> None:
    # The request body adds one level: this is one too many. Written out by hand, as
    # json.dumps gives up near 1,000 levels.
    nested = '{"k":' * depth + '"leaf"' + "}" * depth
    body = f'{{"email": "ada@example.com", "custom_fields": {nested}}}'
    url = "/api/v1/persons/" if method == "post" else f"/api/v1/persons/{person.public_id}/"

    response = getattr(api, method)(url, body, content_type="application/json")

    assert response.status_code == 400, response.content
    # Past Python's own recursion limit the body cannot be parsed to say which field it is.
    errors = response.json()
    message = errors["detail"] if depth == 1000 else " ".join(errors["custom_fields"])
    assert f"{MAX_JSON_DEPTH} levels" in message


def test_it_accepts_custom_fields_nested_as_deep_as_the_intake_allows(
    api: APIClient, person: Person
) -> None:
    custom_fields = _nested(MAX_JSON_DEPTH - 2)

    response = api.patch(
        f"/api/v1/persons/{person.public_id}/", {"custom_fields": custom_fields}, format="json"
    )

    assert response.status_code == 200, response.content
    person.refresh_from_db()
    assert person.custom_fields["k"] == custom_fields["k"]


@pytest.mark.parametrize("method", ["post", "put", "patch"])
@pytest.mark.parametrize(
    ("custom_fields", "limit"),
    [
        ({f"k{i}": i for i in range(MAX_CUSTOM_FIELDS + 1)}, f"{MAX_CUSTOM_FIELDS} keys"),
        ({"k" * (MAX_KEY_LENGTH + 1): 1}, f"{MAX_KEY_LENGTH} characters"),
        ({"plan": "x" * (MAX_LONG_TEXT + 1)}, f"{MAX_LONG_TEXT:,} characters"),
        ({"plan": {"notes": ["x" * (MAX_LONG_TEXT + 1)]}}, f"{MAX_LONG_TEXT:,} characters"),
        (
            {f"k{i}": "x" * MAX_LONG_TEXT for i in range(MAX_CUSTOM_FIELDS_BYTES // 2000 + 1)},
            f"{MAX_CUSTOM_FIELDS_BYTES // 1024} KB",
        ),
        ({"plan": {str(i): i for i in range(50_000)}}, f"{MAX_CUSTOM_FIELDS_BYTES // 1024} KB"),
    ],
    ids=["keys", "key-length", "value-length", "nested-value-length", "size", "50k-nested"],
)
def test_it_refuses_custom_fields_over_their_limits_saying_the_limit(
    api: APIClient, person: Person, method: str, custom_fields: dict[str, Any], limit: str
) -> None:
    response = _send(api, method, person, {"custom_fields": custom_fields})

    assert response.status_code == 400, response.content
    assert limit in " ".join(response.json()["custom_fields"])
    person.refresh_from_db()
    assert person.custom_fields == {"plan": "gold"}


def test_it_refuses_the_fifty_thousand_key_custom_fields_of_the_finding(api: APIClient) -> None:
    custom_fields = {f"field_{i:05d}": "value " * 15 for i in range(50_000)}

    response = api.post(
        "/api/v1/persons/",
        {"email": "ada@example.com", "custom_fields": custom_fields},
        format="json",
    )

    assert response.status_code == 400
    assert f"{MAX_CUSTOM_FIELDS} keys" in " ".join(response.json()["custom_fields"])
    assert not Person.objects.exists()


def test_it_refuses_patches_that_add_up_to_more_keys_than_the_limit(
    api: APIClient, person: Person
) -> None:
    url = f"/api/v1/persons/{person.public_id}/"
    first = {f"a{i}": i for i in range(MAX_CUSTOM_FIELDS - 1)}
    assert api.patch(url, {"custom_fields": first}, format="json").status_code == 200

    response = api.patch(url, {"custom_fields": {"b1": 1, "b2": 2}}, format="json")

    assert response.status_code == 400
    assert f"{MAX_CUSTOM_FIELDS} keys" in " ".join(response.json()["custom_fields"])
    person.refresh_from_db()
    assert len(person.custom_fields) == MAX_CUSTOM_FIELDS


def test_it_accepts_custom_fields_at_their_limits(api: APIClient, person: Person) -> None:
    custom_fields: dict[str, Any] = {f"k{i}": i for i in range(MAX_CUSTOM_FIELDS - 1)}
    custom_fields["k" * MAX_KEY_LENGTH] = "x" * MAX_LONG_TEXT

    response = api.put(
        f"/api/v1/persons/{person.public_id}/", {"custom_fields": custom_fields}, format="json"
    )

    assert response.status_code == 200, response.content
    person.refresh_from_db()
    assert person.custom_fields == custom_fields
