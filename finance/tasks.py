"""Celery tasks: take ids, call one service."""

from __future__ import annotations

from celery import shared_task

from finance.services import cap_counters_prune


@shared_task(name="finance.tasks.cap_counters_prune", ignore_result=True)
def cap_counters_prune_task() -> None:
    # Rolling caps write a bucket row per minute-ish; without this their table only grows.
    cap_counters_prune()
