"""The timeline's "Return the selected contacts" action: the contact list's action on the
contacts of the ticked events (reason chosen beside it, the feedback service's rules, refusals
shown per contact), for users with `feedback.add_contactreturn`."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from feedback.models import ContactReturn, ReturnPolicy
from ingest.models import IntakeEvent
from tests.factories import CampaignFieldFactory, SourceCampaignFactory
from tests.feedback_helpers import charged_contact, contact_post, entry_make, ledger_total

pytestmark = pytest.mark.django_db

URL = "/admin/ingest/intakeevent/"


def event_of(contact_id: int) -> int:
    return IntakeEvent.objects.get(contact_id=contact_id).pk


def run(client, events: list, reason: str = "fraud", query: str = "", **extra):
    return client.post(
        f"{URL}{query}",
        {
            "action": "return_contacts",
            "_selected_action": events,
            "return_reason": reason,
            "index": "0",
            **extra,
        },
        follow=True,
    )


def page_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_the_timeline_offers_the_return_action_beside_its_reasons(marketer_client):
    entry = entry_make()
    contact_id = charged_contact(entry)
    invalid = contact_post(entry, email="not-an-email")

    page = marketer_client.get(URL).content.decode()

    assert '<option value="return_contacts">Return the selected contacts</option>' in page
    assert 'name="return_reason"' in page and '<option value="fraud">fraud</option>' in page
    assert f'name="_selected_action" value="{event_of(contact_id)}"' in page
    # An event that stored no contact has nothing to select.
    invalid_event = IntakeEvent.objects.get(request_id=invalid["id"]).pk
    assert f'name="_selected_action" value="{invalid_event}"' not in page
    assert '<option value="delete_selected"' not in page


def test_it_returns_the_contacts_of_the_selected_events_and_lists_each_refusal(marketer_client):
    entry = entry_make()
    strict = SourceCampaignFactory.create(source=entry.source)
    CampaignFieldFactory.create(campaign=strict.campaign, key="email", type="email")
    ReturnPolicy.objects.create(campaign=strict.campaign, reasons=["duplicate"])
    returned = [charged_contact(entry) for _ in range(2)]
    refused = charged_contact(strict)
    events = [event_of(contact_id) for contact_id in [*returned, refused]]

    response = run(marketer_client, events, query=f"?source={entry.source_id}")

    assert response.redirect_chain == [(f"{URL}?source={entry.source_id}", 302)]
    assert page_messages(response) == [
        f"Unknown return reason 'fraud' for campaign {strict.campaign_id}; allowed: duplicate.",
        "2 contact(s) returned.",
    ]
    assert set(ContactReturn.objects.values_list("contact_id", "status")) == {
        (returned[0], "approved"),
        (returned[1], "approved"),
    }
    assert [ledger_total(contact_id) for contact_id in returned] == [0, 0]
    assert ledger_total(refused) > 0


def test_returning_a_contact_again_from_the_timeline_changes_nothing(marketer_client):
    contact_id = charged_contact(entry_make())
    run(marketer_client, [event_of(contact_id)])

    response = run(marketer_client, [event_of(contact_id)], reason="other")

    assert page_messages(response) == ["0 contact(s) returned."]
    assert ContactReturn.objects.get().reason == "fraud"


def test_it_asks_for_the_reason_and_returns_nothing_without_one(marketer_client):
    contact_id = charged_contact(entry_make())

    response = run(marketer_client, [event_of(contact_id)], reason="")

    assert page_messages(response) == ["Choose the return reason beside the action."]
    assert not ContactReturn.objects.exists()


def test_an_event_without_a_contact_is_named_in_the_refusals(marketer_client):
    invalid = contact_post(entry_make(), email="not-an-email")
    event = IntakeEvent.objects.get(request_id=invalid["id"]).pk

    response = run(marketer_client, [event])

    assert page_messages(response) == [f"Event {event} stored no contact: nothing to return."]


def test_ids_that_are_not_numbers_get_a_message_not_an_error(marketer_client):
    response = run(marketer_client, ["12x", "'; drop"])

    assert response.status_code == 200
    assert page_messages(response) == [
        "Select events from the timeline: event ids are whole numbers."
    ]


def staff_client(*codenames: str) -> Client:
    user = User.objects.create_user(f"staff-{'-'.join(codenames)}", password="x", is_staff=True)
    for codename in codenames:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    client = Client()
    client.force_login(user)
    return client


def test_only_users_who_may_see_the_timeline_and_return_contacts_get_the_action():
    contact_id = charged_contact(entry_make())
    event = event_of(contact_id)
    viewer = staff_client("view_intakeevent")
    returner = staff_client("add_contactreturn")
    both = staff_client("view_intakeevent", "add_contactreturn")

    viewer_page = viewer.get(URL).content.decode()
    assert "return_contacts" not in viewer_page and "_selected_action" not in viewer_page
    assert run(viewer, [event]).status_code == 200  # "No action selected."
    assert run(returner, [event]).status_code == 403  # the timeline is not theirs to see
    assert not ContactReturn.objects.exists()
    assert page_messages(run(both, [event])) == ["1 contact(s) returned."]
    assert ContactReturn.objects.get().contact_id == contact_id
