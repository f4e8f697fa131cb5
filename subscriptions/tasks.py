"""Celery tasks: take ids, call one service. Retries live in the outbox row, not in Celery."""

from __future__ import annotations

from celery import shared_task

from subscriptions.services.delivery import deliveries_sweep, delivery_send


@shared_task(name="subscriptions.tasks.callback_deliver", ignore_result=True, acks_late=True)
def callback_deliver(delivery_id: int) -> None:
    # No Celery retry: a failed attempt sets the row's next_attempt_at and the sweeper sends it
    # again, which survives a broker restart where an in-memory countdown would not.
    delivery_send(delivery_id=delivery_id)


@shared_task(name="subscriptions.tasks.callbacks_sweep", ignore_result=True)
def callbacks_sweep() -> None:
    deliveries_sweep()
