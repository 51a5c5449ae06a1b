"""fetch's HTTP GET against hostile servers on 127.0.0.1: one deadline for the whole exchange, bounded waits,
no redirect into a private network, and pictures that claim absurd sizes."""
from __future__ import annotations

import socket
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

import pytest

from generator.net import download
from generator.net.download import MAX_RETRY_AFTER, FetchError, Limits, get, retry_after_seconds


@contextmanager
def raw_server(handle) -> Iterator[int]:
    """A TCP server on 127.0.0.1 whose every connection is ``handle(connection)``, in a thread of its own."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                continue
            threading.Thread(target=_guarded, args=(handle, connection), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        listener.close()


def _guarded(handle, connection: socket.socket) -> None:
    try:
        connection.recv(65536)
        handle(connection)
    except OSError:
        pass
    finally:
        connection.close()


def trickle(data: bytes, every: float = 0.3):
    def handle(connection: socket.socket) -> None:
        for byte in data:
            connection.sendall(bytes([byte]))
            time.sleep(every)
    return handle


@pytest.mark.parametrize("stage", ["status line", "headers", "chunk sizes"])
def test_the_deadline_covers_the_whole_exchange(stage):
    head = b"HTTP/1.1 200 OK\r\n"
    replies = {
        "status line": head + b"Content-Length: 2\r\n\r\nok",
        "headers": head + b"X-Slow: " + b"a" * 200 + b"\r\n\r\n",
        "chunk sizes": head + b"Transfer-Encoding: chunked\r\n\r\n" + b"0" * 100,
    }
    fast, slow = (head, replies[stage][len(head):]) if stage != "status line" else (b"", replies[stage])

    def handle(connection: socket.socket) -> None:
        connection.sendall(fast)
        trickle(slow)(connection)

    with raw_server(handle) as port:
        started = time.monotonic()
        with pytest.raises(FetchError, match="timed out"):
            get(f"http://127.0.0.1:{port}/feed", limits=Limits(connect_timeout=1.0, total_timeout=1.5))
        assert time.monotonic() - started < 3.0


def test_a_body_read_until_close_that_the_deadline_cuts_is_no_success():
    def handle(connection: socket.socket) -> None:
        connection.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/xml\r\n\r\n<rss>")
        trickle(b"x" * 50)(connection)

    with raw_server(handle) as port, pytest.raises(FetchError, match="timed out"):
        get(f"http://127.0.0.1:{port}/feed", limits=Limits(connect_timeout=1.0, total_timeout=1.0))


def test_a_fast_answer_is_read_whole():
    def handle(connection: socket.socket) -> None:
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/xml\r\n\r\n<rss>")

    with raw_server(handle) as port:
        assert get(f"http://127.0.0.1:{port}/feed", limits=Limits(total_timeout=2.0)).body == b"<rss>"


def redirect_to(location: str):
    def handle(connection: socket.socket) -> None:
        connection.sendall(f"HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n".encode())
    return handle


@pytest.mark.parametrize("target", ["http://127.0.0.1:{port}/x", "http://10.0.0.7/", "http://[::1]:{port}/",
                                    "http://169.254.169.254/latest/meta-data/", "http://192.168.1.1/"])
def test_a_redirect_from_a_public_address_into_a_private_one_is_refused(monkeypatch, target):
    real = download.private_host
    # localhost counts as "public" here
    monkeypatch.setattr(download, "private_host", lambda host: host != "localhost" and real(host))
    with raw_server(lambda connection: None) as landing, raw_server(redirect_to(target.format(port=landing))) as port:
        with pytest.raises(FetchError, match="private address"):
            get(f"http://localhost:{port}/feed", limits=Limits(total_timeout=3.0))


def test_a_feed_on_a_private_address_may_redirect_within_it():
    def answer(connection: socket.socket) -> None:
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    with raw_server(answer) as landing, raw_server(redirect_to(f"http://127.0.0.1:{landing}/x")) as port:
        assert get(f"http://127.0.0.1:{port}/feed", limits=Limits(total_timeout=3.0)).body == b"ok"


@pytest.mark.parametrize("value", ["99999999999999999999", "9" * 400])
def test_an_absurd_retry_after_is_capped(value):
    assert retry_after_seconds(value) == MAX_RETRY_AFTER


def test_a_retry_after_date_far_ahead_is_capped():
    assert (
        retry_after_seconds("Fri, 31 Dec 9999 23:59:59 GMT", now=datetime(2026, 1, 1, tzinfo=timezone.utc).timestamp())
        == MAX_RETRY_AFTER
    )


def png_claiming(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IEND", b"")
    )


def test_a_picture_claiming_a_huge_size_is_no_size_not_a_crash():
    from generator.fetch.pictures import picture_size

    body = png_claiming(200_000, 200_000)

    def handle(connection: socket.socket) -> None:
        connection.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: %d\r\n\r\n" % len(body) + body
        )

    with raw_server(handle) as port:
        assert picture_size(f"http://127.0.0.1:{port}/bomb.png", Limits(total_timeout=3.0), "test") is None
