"""Celery tasks: take ids, call one service. Retries live in the outbox row, not in Celery."""

from __future__ import annotations

from celery import shared_task

from subscriptions.services.delivery import deliveries_send, deliveries_sweep


@shared_task(name="subscriptions.tasks.callbacks_deliver", ignore_result=True, acks_late=True)
def callbacks_deliver(delivery_ids: list[int]) -> None:
    # A few ids per task (one commit's, or a chunk of a sweep) spread Celery's per-message cost.
    # No Celery retry: a failed attempt sets the row's next_attempt_at and the sweeper sends it
    # again, which survives a broker restart where an in-memory countdown would not.
    deliveries_send(delivery_ids=delivery_ids)


@shared_task(name="subscriptions.tasks.callbacks_sweep", ignore_result=True)
def callbacks_sweep() -> None:
    deliveries_sweep()
