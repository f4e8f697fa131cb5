"""A small CRM stand-in: receives callbacks, verifies their signatures, dedupes on event_id.

Used by `manage.py demo_receiver` (make run), the callbacks benchmark and the integration
test. It is also the reference for receivers: verify with `standardwebhooks`, answer 2xx
quickly, and treat a second copy of an event_id as already done.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass(frozen=True)
class Received:
    event_id: str
    event_type: str
    attempt: int
    webhook_id: str
    body: dict[str, Any]


@dataclass
class ReceiverState:
    fail_first: int = 0  # answer this many requests with fail_status before recovering
    fail_status: int = 500
    received: list[Received] = field(default_factory=list)
    failed: int = 0
    invalid: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def event_ids(self) -> set[str]:
        with self.lock:
            return {r.event_id for r in self.received}


def verify(body: bytes, headers: dict[str, str], secrets: Iterable[str]) -> dict[str, Any] | None:
    """The signed body, or None when no secret's signature matches (or it is too old)."""
    for secret in secrets:
        try:
            payload: dict[str, Any] = Webhook(secret).verify(body, headers)
        except WebhookVerificationError:
            continue
        return payload
    return None


class CallbackReceiver:
    def __init__(
        self,
        secrets: Callable[[], Iterable[str]],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        on_receive: Callable[[Received, bool], None] | None = None,
        fail_first: int = 0,
        fail_status: int = 500,
    ) -> None:
        self.secrets = secrets
        self.on_receive = on_receive
        self.state = ReceiverState(fail_first=fail_first, fail_status=fail_status)
        self.server = ThreadingHTTPServer((host, port), self._handler())
        self.server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/callbacks"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a real CRM would offer
            disable_nagle_algorithm = True  # answer at once, not after the client's ACK

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if len(body) < length:
                    # The sender went away mid-body (a worker killed while sending): there is
                    # no request to answer, as an HTTP server in front of a CRM would see it.
                    self.close_connection = True
                    return
                self._answer(receiver.handle(body, dict(self.headers.items())))

            def _answer(self, code: int) -> None:
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the request line carries nothing useful; on_receive reports instead

        return Handler

    def handle(self, body: bytes, headers: dict[str, str]) -> int:
        state = self.state
        with state.lock:
            if state.fail_first > 0:
                state.fail_first -= 1
                state.failed += 1
                return state.fail_status
        payload = verify(body, {k.lower(): v for k, v in headers.items()}, self.secrets())
        if payload is None:
            with state.lock:
                state.invalid += 1
            return 401
        received = Received(
            event_id=str(payload.get("event_id")),
            event_type=str(payload.get("event_type")),
            attempt=int(payload.get("delivery_attempt") or 0),
            webhook_id=headers.get("webhook-id", ""),
            body=payload,
        )
        with state.lock:
            duplicate = any(r.event_id == received.event_id for r in state.received)
            state.received.append(received)
        if self.on_receive is not None:
            self.on_receive(received, duplicate)
        return 204

    def start(self) -> CallbackReceiver:
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.server.serve_forever()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def describe(received: Received) -> str:
    """One log line without personal data (the body carries ids only, but stay explicit)."""
    subscription = received.body.get("subscription") or {}
    campaign = (subscription.get("subscription_list") or {}).get("id")
    return json.dumps(
        {
            "event_type": received.event_type,
            "event_id": received.event_id,
            "attempt": received.attempt,
            "campaign": campaign,
            "signature": "valid",
        }
    )
