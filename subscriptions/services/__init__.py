"""Writes for persons, subscriptions and CRM callbacks (one module per topic)."""

from __future__ import annotations

from subscriptions.services.delivery import (
    deliveries_replay,
    deliveries_send,
    deliveries_sweep,
    delivery_send,
    endpoint_disable,
    endpoint_enable,
)
from subscriptions.services.endpoints import (
    endpoint_api_key_issue,
    endpoint_api_key_revoke,
    endpoint_create,
)
from subscriptions.services.outbox import deliveries_enqueue
from subscriptions.services.persons import (
    PersonConflictError,
    PersonNotInScopeError,
    person_add,
    person_update,
)
from subscriptions.services.realtime import RealtimeDecision, RealtimeOffer, realtime_offer
from subscriptions.services.subscribing import (
    PersonData,
    contact_subscribe,
    subscription_opt_out,
)

__all__ = [
    "PersonConflictError",
    "PersonData",
    "PersonNotInScopeError",
    "RealtimeDecision",
    "RealtimeOffer",
    "contact_subscribe",
    "deliveries_enqueue",
    "deliveries_replay",
    "deliveries_send",
    "deliveries_sweep",
    "delivery_send",
    "endpoint_api_key_issue",
    "endpoint_api_key_revoke",
    "endpoint_create",
    "endpoint_disable",
    "endpoint_enable",
    "person_add",
    "person_update",
    "realtime_offer",
    "subscription_opt_out",
]
