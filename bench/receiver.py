"""A local CRM for the callback benchmark: answers 200 at once and counts what it got.

    python -m bench.receiver PORT

POST anything: 200, the body's `event_id` remembered. GET /stats: {"received": n, "unique": m}
(unique event ids, so a duplicate delivery shows as received > unique).
"""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_lock = threading.Lock()
_received = [0]
_events: set[str] = set()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real CRM behind a proxy would
    # Headers and body leave in two writes: without TCP_NODELAY the body waits for the client's
    # delayed ACK (~40 ms), which would cap the callback benchmark, not measure it.
    disable_nagle_algorithm = True

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        try:
            event_id = str(json.loads(body).get("event_id", ""))
        except (ValueError, AttributeError):
            event_id = ""
        with _lock:
            _received[0] += 1
            _events.add(event_id)
        self._answer(b'{"ok":true}')

    def do_GET(self) -> None:
        with _lock:
            stats = {"received": _received[0], "unique": len(_events)}
        self._answer(json.dumps(stats).encode())

    def _answer(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # no line per request


def main() -> None:
    port = int(sys.argv[1])
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
