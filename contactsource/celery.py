from __future__ import annotations

import os

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contactsource.settings")

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
