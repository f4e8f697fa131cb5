"""The outbox dispatcher's life inside a Celery worker: started when the worker is ready,
stopped when it shuts down (subscriptions.services.dispatch)."""

from __future__ import annotations

from typing import Any

from celery.signals import worker_ready, worker_shutdown
from django.conf import settings

_running: list[Any] = []


def _start(**_kwargs: Any) -> None:
    from subscriptions.services.dispatch import Dispatcher

    if not settings.CALLBACK_DISPATCHER or _running:
        return
    dispatcher = Dispatcher(poll=settings.CALLBACK_DISPATCH_POLL_SECONDS)
    dispatcher.start()
    _running.append(dispatcher)


def _stop(**_kwargs: Any) -> None:
    while _running:
        _running.pop().stop(timeout=settings.CALLBACK_DISPATCH_POLL_SECONDS + 5)


def connect() -> None:
    worker_ready.connect(_start, weak=False, dispatch_uid="callbacks-dispatcher-start")
    worker_shutdown.connect(_stop, weak=False, dispatch_uid="callbacks-dispatcher-stop")
