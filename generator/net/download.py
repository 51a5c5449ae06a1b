"""One careful HTTP GET, for fetch's feeds and the image mirror's pictures: timeouts, a size cap,
bounded redirects, gzip, one request at a time per host, and honest errors.

The standard library's ``http.client``, not urllib3 or httpx: their timeouts
are per socket operation, and one total deadline must cover the whole exchange
(connecting, the status line, headers, chunk sizes and body): a timer shuts
the socket when it passes, so a server sending a byte a second cannot hold a
run, and that needs the connection's socket, which ``http.client`` gives.
Proxies follow urllib's own rules (``http_proxy``, ``https_proxy``,
``no_proxy``, as curl and pip read them): plain HTTP goes to the proxy with
the whole URL, HTTPS through a CONNECT tunnel, with the proxy's login when its
URL carries one. Redirects are followed by hand so that each hop is checked
(http(s) only, and never from a public address to a loopback or private one)
and recorded.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
import urllib.request
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import unquote, urljoin, urlsplit

from generator import __version__
from generator.content.clean import clean_url

USER_AGENT = f"newsdigest/{__version__} (static news-digest generator)"


def user_agent(contact: str = "") -> str:
    """Ours, with the site owner's contact (a URL or an e-mail address) when given, as crawlers write it."""
    return f"{USER_AGENT[:-1]}; +{contact})" if contact else USER_AGENT


class HostGate:
    """One request at a time per host across threads.

    A request never waits for another host while holding one, so the gates cannot deadlock.
    """

    def __init__(self) -> None:
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    @contextlib.contextmanager
    def hold(self, url: str) -> Iterator[None]:
        with self._guard:
            lock = self._locks.setdefault((urlsplit(url).hostname or "").lower(), threading.Lock())
        with lock:
            yield


REDIRECTS = (301, 302, 303, 307, 308)
PERMANENT = (301, 308)
THROTTLED = (429, 503)
CHUNK = 64 * 1024
MAX_RETRY_AFTER = 30 * 24 * 3600.0  # a longer wait asked for is read as this (a month: beyond it, say so in feeds.yaml)


@dataclass(frozen=True)
class Limits:
    connect_timeout: float = 10.0  # seconds to open the connection
    total_timeout: float = 30.0  # seconds for the whole request, redirects and body included
    max_bytes: int = 10 * 1024 * 1024  # of body, before and after decompression
    max_redirects: int = 5


@dataclass(frozen=True)
class Response:
    status: int  # 200, 206 or 304
    url: str  # where the body came from, after redirects
    headers: dict[str, str]  # lower-case names
    body: bytes
    redirects: tuple[tuple[int, str], ...] = ()  # each hop's status and target

    @property
    def moved_permanently_to(self) -> str | None:
        """The new address when every hop was permanent (a temporary hop says: keep asking the old one)."""
        if self.redirects and all(status in PERMANENT for status, _ in self.redirects):
            return self.redirects[-1][1]
        return None


class FetchError(Exception):
    """A request that gave no usable answer; ``str()`` is the one-line reason."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after  # seconds the server asked us to wait (429/503)


def get(
    url: str,
    headers: dict[str, str] | None = None,
    limits: Limits = Limits(),
    truncate: bool = False,
    types: tuple[str, ...] = (),
) -> Response:
    """GET ``url`` following at most ``limits.max_redirects`` redirects.

    ``truncate`` stops quietly at ``max_bytes`` (enough of a picture to read
    its size) instead of failing. ``types``: the content types accepted; any
    other is refused before its body is read.
    """
    deadline = time.monotonic() + limits.total_timeout
    hops: list[tuple[int, str]] = []
    current = url
    while True:
        status, reply_headers, body = _request(current, headers or {}, limits, deadline, truncate, types)
        if status not in REDIRECTS:
            return Response(status, current, reply_headers, body, tuple(hops))
        if len(hops) == limits.max_redirects:
            raise FetchError(f"more than {limits.max_redirects} redirects")
        target = clean_url(urljoin(current, reply_headers.get("location", "")), allow_relative=False)
        if not reply_headers.get("location") or target is None:
            raise FetchError(
                f"HTTP {status} redirect to {reply_headers.get('location', 'nowhere')[:100]!r}, not an http(s) URL"
            )
        if private_host(urlsplit(target).hostname or "") and not private_host(urlsplit(url).hostname or ""):
            raise FetchError(f"HTTP {status} redirect to a loopback or private address ({target[:100]}) refused")
        hops.append((status, target))
        current = target


def private_host(host: str) -> bool:
    """Whether ``host`` is, or resolves to, a loopback, private, link-local or otherwise non-public address."""
    try:
        addresses = [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        try:
            addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in socket.getaddrinfo(host, None)]
        except (OSError, UnicodeError, ValueError):
            return False  # the request itself will say it cannot resolve it
    return any(not address.is_global for address in addresses)


class _Deadline:
    """Shuts the connection's socket when the deadline passes, whatever read is waiting then."""

    def __init__(self, connection: http.client.HTTPConnection, deadline: float) -> None:
        self.connection = connection
        self.expired = threading.Event()
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._cut)
        self._timer.daemon = True

    def _cut(self) -> None:
        self.expired.set()
        sock = self.connection.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()


def _request(
    url: str, headers: dict[str, str], limits: Limits, deadline: float, truncate: bool, types: tuple[str, ...]
) -> tuple[int, dict[str, str], bytes]:
    if deadline <= time.monotonic():
        raise FetchError(f"timed out (limit {limits.total_timeout:g} s)")
    connection, target, proxy_headers = _connection(url, limits)
    with _Deadline(connection, deadline) as timer:
        try:
            answer = _exchange(connection, url, target, {**headers, **proxy_headers}, limits, deadline, truncate, types)
        except FetchError:
            if timer.expired.is_set():
                raise FetchError(f"timed out (limit {limits.total_timeout:g} s)") from None
            raise
        if timer.expired.is_set():  # a body read until the connection closed: cut short, not complete
            raise FetchError(f"timed out (limit {limits.total_timeout:g} s)")
        return answer


def proxy_for(url: str) -> str | None:
    """The proxy the environment names for ``url`` (None: go direct), by urllib's rules."""
    parts = urlsplit(url)
    proxies = urllib.request.getproxies_environment()  # http_proxy, HTTPS_PROXY, no_proxy (as "no")...
    proxy = proxies.get(parts.scheme)
    if not proxy or _bypassed(parts.hostname or "", proxies.get("no", "")):
        return None
    return proxy if "://" in proxy else f"http://{proxy}"


def _bypassed(host: str, no_proxy: str) -> bool:
    """Whether ``no_proxy`` names ``host``: ``*``, the host or a domain it is in (``.example.org`` or
    ``example.org``), an address, or a network of addresses (``10.0.0.0/8``), as curl reads it."""
    host = host.lower().strip("[]")
    for entry in (part.strip().lower() for part in no_proxy.split(",")):
        name = entry.lstrip(".").rsplit(":", 1)[0] if entry.count(":") == 1 else entry.lstrip(".").strip("[]")
        if not name:
            continue
        if name == "*" or host == name or host.endswith("." + name):
            return True
        try:
            if ipaddress.ip_address(host) in ipaddress.ip_network(name, strict=False):
                return True
        except ValueError:
            continue
    return False


def _proxy_login(proxy: str) -> dict[str, str]:
    parts = urlsplit(proxy)
    if parts.username is None:
        return {}
    login = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
    return {"Proxy-Authorization": "Basic " + base64.b64encode(login).decode("ascii")}


def _connection(url: str, limits: Limits) -> tuple[http.client.HTTPConnection, str, dict[str, str]]:
    """A connection for ``url`` (direct or through the proxy), the request target, and headers for a proxy."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    proxy = proxy_for(url)
    if proxy is not None:
        through = urlsplit(proxy)
        if through.scheme != "http" or not through.hostname:
            raise FetchError(f"proxy {through.scheme}://{through.hostname or ''} is not an http:// proxy")
        login = _proxy_login(proxy)
        if parts.scheme == "https":  # a tunnel: the proxy sees only the host and port
            tunnelled = http.client.HTTPSConnection(
                through.hostname,
                through.port or 80,
                timeout=limits.connect_timeout,
                context=ssl.create_default_context(),
            )
            tunnelled.set_tunnel(host, parts.port or 443, headers=login)
            return tunnelled, target, {}
        plain = http.client.HTTPConnection(through.hostname, through.port or 80, timeout=limits.connect_timeout)
        return plain, url, login
    if parts.scheme == "https":
        return (
            http.client.HTTPSConnection(
                host, parts.port, timeout=limits.connect_timeout, context=ssl.create_default_context()
            ),
            target,
            {},
        )
    return http.client.HTTPConnection(host, parts.port, timeout=limits.connect_timeout), target, {}


def _exchange(
    connection: http.client.HTTPConnection,
    url: str,
    target: str,
    headers: dict[str, str],
    limits: Limits,
    deadline: float,
    truncate: bool,
    types: tuple[str, ...],
) -> tuple[int, dict[str, str], bytes]:
    host = urlsplit(url).hostname or ""
    sent = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate", **headers}
    try:
        connection.connect()
        _wait_at_most(connection, deadline)
        connection.request("GET", target, headers=sent)
        reply = connection.getresponse()
        reply_headers = {name.lower(): value for name, value in reply.getheaders()}
        status = reply.status
        if status in REDIRECTS or status == 304:
            return status, reply_headers, b""
        if status in THROTTLED:
            wait = retry_after_seconds(reply_headers.get("retry-after"))
            asked = f", asked to wait {wait:.0f} s" if wait is not None else ""
            raise FetchError(f"HTTP {status} {reply.reason}{asked}", retry_after=wait)
        if status not in (200, 206):
            raise FetchError(f"HTTP {status} {reply.reason}".rstrip())
        kind = reply_headers.get("content-type", "").split(";")[0].strip().lower()
        if types and kind not in types:
            raise FetchError(f"served as {kind or 'an unknown type'}, not {', '.join(types)}")
        body = _read_body(connection, reply, limits, deadline, truncate)
        return (
            status,
            reply_headers,
            _decoded(body, reply_headers.get("content-encoding", ""), limits.max_bytes, truncate),
        )
    except FetchError:
        raise
    except socket.gaierror:
        raise FetchError(f"cannot resolve host {connection.host if proxy_for(url) else host!r}") from None
    except TimeoutError:
        raise FetchError(f"timed out (limit {limits.total_timeout:g} s)") from None
    except ConnectionRefusedError:
        raise FetchError("connection refused") from None
    except ssl.SSLError as exc:
        raise FetchError(f"TLS error: {exc.reason or exc}") from None
    except (http.client.HTTPException, ValueError) as exc:
        raise FetchError(f"bad HTTP response: {type(exc).__name__} {exc}".rstrip()) from None
    except OSError as exc:
        raise FetchError(f"network error: {exc.strerror or exc}") from None
    finally:
        connection.close()


def _wait_at_most(connection: http.client.HTTPConnection, deadline: float) -> None:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    if connection.sock is not None:
        connection.sock.settimeout(left)


def _read_body(
    connection: http.client.HTTPConnection,
    reply: http.client.HTTPResponse,
    limits: Limits,
    deadline: float,
    truncate: bool,
) -> bytes:
    declared = reply.getheader("content-length")
    if not truncate and declared and declared.isdigit() and int(declared) > limits.max_bytes:
        raise FetchError(f"larger than the {_size(limits.max_bytes)} limit ({_size(int(declared))} announced)")
    chunks: list[bytes] = []
    received = 0
    while True:
        _wait_at_most(connection, deadline)
        chunk = reply.read1(CHUNK)  # one network read at most: the deadline is checked between reads
        if not chunk:
            return b"".join(chunks)
        received += len(chunk)
        if received > limits.max_bytes:
            if truncate:
                chunks.append(chunk[: len(chunk) - (received - limits.max_bytes)])
                return b"".join(chunks)
            raise FetchError(f"larger than the {_size(limits.max_bytes)} limit")
        chunks.append(chunk)


def _decoded(body: bytes, encoding: str, max_bytes: int, truncate: bool) -> bytes:
    """The body without its gzip or deflate encoding, never more than ``max_bytes`` (a zip bomb stops there)."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise FetchError(f"unsupported Content-Encoding {encoding!r}")
    wbits = (
        16 + zlib.MAX_WBITS if encoding != "deflate" else (zlib.MAX_WBITS if body[:1] == b"\x78" else -zlib.MAX_WBITS)
    )
    inflater = zlib.decompressobj(wbits)
    try:
        data = inflater.decompress(body, max_bytes + 1)
    except zlib.error as exc:
        if truncate:
            return b""
        raise FetchError(f"corrupt {encoding} body: {exc}") from None
    if len(data) > max_bytes:
        if truncate:
            return data[:max_bytes]
        raise FetchError(f"larger than the {_size(max_bytes)} limit once decompressed")
    return data


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds from now: a number of seconds or an HTTP date; None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return min(max(0.0, when.timestamp() - (time.time() if now is None else now)), MAX_RETRY_AFTER)


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB" if n >= 1024 * 1024 else f"{n // 1024} KB"
