from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contactsource.settings")


def _survive_broker_loss() -> None:
    """Keep a worker consuming after Redis went away and came back (kombu 5.7's Redis transport).

    When the connection drops, the consumer closes its channel, but that channel still gets
    used: closing it puts prefetched messages back, and tasks that finish afterwards ack on it.
    Both build a Redis client from the channel's connection, which is gone by then, and fail with
    AttributeError ('NoneType' object has no attribute 'hostname' / 'client'). Celery treats
    that as unrecoverable and the worker stops consuming for good, even once Redis is back.
    Raised as the connection error it is, Celery logs it and carries on with the new connection.
    Nothing is lost: Redis redelivers unacked messages after the visibility timeout, and the
    outbox sweeper re-sends every due delivery anyway (tests/test_reliability_faults.py stops
    Redis under a working worker).
    """
    import redis
    from kombu.transport import redis as kombu_redis

    channel: Any = kombu_redis.Channel  # the stubs do not list this private method
    original = channel._connparams

    def _connparams(self: Any, asynchronous: bool = False) -> Any:
        if self.connection is None or self.connection.client is None:
            raise redis.exceptions.ConnectionError("this channel's broker connection is closed")
        return original(self, asynchronous=asynchronous)

    channel._connparams = _connparams


_survive_broker_loss()

app = Celery("contactsource")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def _use_django_logging(loglevel: object = None, **kwargs: object) -> None:
    """Workers and beat log through settings.LOGGING (its PII filter included), not Celery's,
    at the level given on their command line (`--loglevel`), as Celery's own setup would."""
    import logging
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
    if isinstance(loglevel, int | str) and loglevel:
        logging.getLogger().setLevel(loglevel)
