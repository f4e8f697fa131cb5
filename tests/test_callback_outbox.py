"""Each subscription event writes one delivery per matching active endpoint, in its transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from unittest import mock

import pytest
from django.db import transaction

from subscriptions.models import CallbackDelivery, EventType
from subscriptions.services import PersonData, contact_subscribe, subscription_opt_out
from subscriptions.services.outbox import outbox_write
from tests.factories import CallbackEndpointFactory, CampaignFactory, SourceFactory

pytestmark = pytest.mark.django_db

AT = datetime(2026, 11, 22, 15, 42, 23, tzinfo=UTC)


def subscribe(campaign, source, **person):
    return contact_subscribe(
        contact_id=7,
        campaign_id=campaign.pk,
        source_id=source.pk,
        person=PersonData(**({"email": "ada@example.com"} | person)),
        at=AT,
    )


def test_it_writes_one_delivery_per_matching_active_endpoint():
    campaign, other, source = (
        CampaignFactory.create(),
        CampaignFactory.create(),
        SourceFactory.create(),
    )
    every = CallbackEndpointFactory.create()
    this_one = CallbackEndpointFactory.create(campaigns=[campaign, other])
    CallbackEndpointFactory.create(campaigns=[other])
    CallbackEndpointFactory.create(is_active=False)
    CallbackEndpointFactory.create(event_types=[EventType.SUBSCRIPTION_REMOVED])

    subscription = subscribe(campaign, source)

    deliveries = CallbackDelivery.objects.order_by("endpoint_id")
    assert [d.endpoint_id for d in deliveries] == [every.pk, this_one.pk]
    assert {d.event_id for d in deliveries} == {deliveries[0].event_id}
    for delivery in deliveries:
        assert delivery.subscription == subscription
        assert delivery.event_type == EventType.SUBSCRIPTION_ADDED
        assert delivery.event_date == AT
        assert delivery.contact_id == 7
        assert delivery.status == "pending"
        assert delivery.attempts == 0


def test_the_intakes_deliveries_are_left_to_the_dispatcher(django_capture_on_commit_callbacks):
    campaign, source = CampaignFactory.create(), SourceFactory.create()
    CallbackEndpointFactory.create()

    with (
        mock.patch("subscriptions.tasks.callbacks_deliver.apply_async") as apply_async,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        subscribe(campaign, source)

    # Nothing published from the intake's request: the rows wait, unsent, for the workers'
    # dispatcher (its NOTIFY and claim: tests/test_callback_dispatcher.py).
    assert apply_async.call_count == 0 and callbacks == []
    assert list(CallbackDelivery.objects.values_list("enqueued_at", flat=True)) == [None]


def test_other_writers_enqueue_the_deliveries_only_once_the_transaction_commits(
    django_capture_on_commit_callbacks,
):
    campaign, source = CampaignFactory.create(), SourceFactory.create()
    CallbackEndpointFactory.create()
    CallbackEndpointFactory.create()
    subscription = subscribe(campaign, source)
    CallbackDelivery.objects.all().delete()

    with mock.patch("subscriptions.tasks.callbacks_deliver.apply_async") as apply_async:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            outbox_write(
                subscription=subscription,
                person=subscription.person,
                event_type=EventType.SUBSCRIPTION_REMOVED,
                event_date=AT,
            )
        assert apply_async.call_count == 0
        for callback in callbacks:
            callback()

    ids = sorted(CallbackDelivery.objects.values_list("id", flat=True))
    # One task for the commit's deliveries.
    assert [sorted(c.args[0][0]) for c in apply_async.call_args_list] == [ids]


def test_a_rolled_back_event_leaves_no_delivery_behind():
    campaign, source = CampaignFactory.create(), SourceFactory.create()
    CallbackEndpointFactory.create()

    with pytest.raises(RuntimeError), transaction.atomic():
        subscribe(campaign, source)
        raise RuntimeError("the intake failed after subscribing")

    assert CallbackDelivery.objects.count() == 0


def test_an_opt_out_writes_subscription_removed_once():
    campaign, source = CampaignFactory.create(), SourceFactory.create()
    CallbackEndpointFactory.create()
    subscription = subscribe(campaign, source)

    changed = subscription_opt_out(subscription_id=subscription.pk, reason="disconnect", at=AT)
    again = subscription_opt_out(subscription_id=subscription.pk)

    assert changed[1] is True and again[1] is False
    removed = CallbackDelivery.objects.get(event_type=EventType.SUBSCRIPTION_REMOVED)
    assert removed.payload["opt_out_reason"] == "disconnect"
    assert removed.payload["opt_out_date"] == "2026-11-22T15:42:23Z"
    subscription.refresh_from_db()
    assert subscription.opt_out_reason == "disconnect"


def test_it_refuses_an_unknown_opt_out_reason():
    campaign, source = CampaignFactory.create(), SourceFactory.create()
    subscription = subscribe(campaign, source)

    with pytest.raises(ValueError):
        subscription_opt_out(subscription_id=subscription.pk, reason="bored")

    subscription.refresh_from_db()
    assert subscription.is_active


def test_a_person_back_after_an_opt_out_is_subscribed_again():
    campaign, source, second_source = (
        CampaignFactory.create(),
        SourceFactory.create(),
        SourceFactory.create(),
    )
    subscription = subscribe(campaign, source)
    subscription_opt_out(subscription_id=subscription.pk, at=AT)

    later = datetime(2026, 12, 1, tzinfo=UTC)
    again = contact_subscribe(
        contact_id=8,
        campaign_id=campaign.pk,
        source_id=second_source.pk,
        person=PersonData(email="ada@example.com"),
        at=later,
    )

    assert again.pk == subscription.pk
    assert again.is_active
    assert again.opt_in_date == later
    assert again.acquisition_source_id == second_source.pk
    assert again.opt_out_reason == ""


def test_many_deliveries_go_a_few_per_task(settings):
    from subscriptions.services import deliveries_enqueue

    settings.CALLBACK_TASK_BATCH = 3
    with mock.patch("subscriptions.tasks.callbacks_deliver.apply_async") as apply_async:
        sent = deliveries_enqueue([1, 2, 3, 4, 5, 6, 7])

    assert sent == 7
    assert [c.args[0][0] for c in apply_async.call_args_list] == [[1, 2, 3], [4, 5, 6], [7]]
