"""The loopback CRM (subscriptions.receiver) answers only whole requests: a body cut short by
a sender that died (the fault tests kill workers mid-send) is no callback, valid or invalid."""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

from subscriptions.receiver import CallbackReceiver


def test_a_body_cut_short_is_neither_received_nor_counted_invalid():
    receiver = CallbackReceiver(lambda: ["whsec_" + "A" * 32]).start()
    try:
        url = urlsplit(receiver.url)
        with socket.create_connection((url.hostname, url.port)) as sock:
            sock.sendall(
                b"POST " + (url.path or "/").encode() + b" HTTP/1.1\r\nHost: x\r\n"
                b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
                b'{"event_id"'
            )
            sock.shutdown(socket.SHUT_WR)  # gone mid-body
            sock.settimeout(5)
            answer = sock.recv(1024)
        time.sleep(0.2)
        assert answer == b""  # no answer to a request that never arrived whole
        assert receiver.state.invalid == 0
        assert receiver.state.received == []
    finally:
        receiver.stop()
