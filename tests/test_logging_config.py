"""Each log line is written once, by the masked root handler."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from django.test import Client


@pytest.fixture
def every_stream() -> Iterator[io.StringIO]:
    """Every stream handler a django.request line can reach, all writing into one buffer."""
    stream = io.StringIO()
    swapped: list[tuple[logging.StreamHandler[io.StringIO], object]] = []
    logger: logging.Logger | None = logging.getLogger("django.request")
    while logger is not None:
        for handler in logger.handlers:
            # pytest's own capturing handlers are not part of the configuration.
            if isinstance(handler, logging.StreamHandler) and not type(
                handler
            ).__module__.startswith("_pytest"):
                swapped.append((handler, handler.setStream(stream)))
        logger = logger.parent if logger.propagate else None
    try:
        yield stream
    finally:
        for handler, previous in swapped:
            handler.setStream(previous)  # type: ignore[arg-type]


@pytest.mark.django_db
def test_a_request_warning_is_logged_once_with_debug_on(
    client: Client, settings: object, every_stream: io.StringIO
) -> None:
    settings.DEBUG = True  # type: ignore[attr-defined]  # make run's setting

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert every_stream.getvalue().count("Not Found: /no-such-page/") == 1
