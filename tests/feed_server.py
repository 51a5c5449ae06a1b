"""A real HTTP server on 127.0.0.1 serving real-looking feeds, for the ``fetch`` tests.

Each path is one case (RSS 2.0 with media tags, Atom, JSON Feed, malformed,
slow, redirecting, answering 304, throttled, hostile); every request is
recorded with its headers so tests can check what ``fetch`` sent.
"""
from __future__ import annotations

import gzip
import http.server
import io
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from PIL import Image as PillowImage

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel>
  <title>Harbour Gazette</title>
  <link>{base}/</link>
  <description>Local technology news</description>
  <image><url>{base}/img/logo.png</url><title>Harbour Gazette</title><link>{base}/</link><width>64</width><height>64</height></image>
  <item>
    <title>Port authority tests a robot crane on the night shift</title>
    <link>{base}/2026/robot-crane?utm_source=rss&amp;utm_medium=feed&amp;id=7</link>
    <guid isPermaLink="false">gazette-1001</guid>
    <pubDate>Tue, 01 Dec 2026 07:30:00 GMT</pubDate>
    <description><![CDATA[<p>HARBOURTOWN (Gazette) - The <b>crane</b> moved forty containers without a driver.</p><script>alert('x')</script>]]></description>
    <media:content url="{base}/img/crane.jpg" medium="image" width="1600" height="900"/>
    <media:thumbnail url="{base}/img/crane-small.jpg" width="320" height="180"/>
  </item>
  <item>
    <title>Council approves a solar roof for the ferry terminal</title>
    <link>https://www.{host}/2026/solar-roof</link>
    <guid>https://www.{host}/2026/solar-roof</guid>
    <pubDate>Mon, 30 Nov 2026 16:05:00 GMT</pubDate>
    <description>Panels will cover the waiting hall by spring &amp;amp; feed the ticket machines.</description>
    <enclosure url="{base}/img/roof.png" type="image/png" length="1234"/>
  </item>
  <item>
    <title>&lt;script&gt;alert(1)&lt;/script&gt;Ferry timetable changes for winter</title>
    <link>{base}/2026/ferry-timetable</link>
    <guid>gazette-1003</guid>
    <description>New sailings start next week.</description>
    <media:content url="javascript:alert(1)" medium="image" width="10" height="10"/>
  </item>
  <item>
    <title>A link nobody should follow</title>
    <link>javascript:alert(document.cookie)</link>
    <guid>gazette-1004</guid>
  </item>
</channel>
</rss>
"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Coastline Tech Weekly</title>
  <link href="https://coastline.example/"/>
  <id>tag:coastline.example,2026:feed</id>
  <updated>2026-12-01T09:00:00Z</updated>
  <icon>{base}/img/logo.png</icon>
  <entry>
    <title type="html">Robot crane &lt;em&gt;clears&lt;/em&gt; its first night at the port</title>
    <link rel="alternate" href="http://{host}/2026/robot-crane?id=7&amp;fbclid=abc"/>
    <id>tag:coastline.example,2026:1</id>
    <published>2026-12-01T08:00:00Z</published>
    <summary>The same story, as another outlet tells it.</summary>
  </entry>
  <entry>
    <title>Video: inside the new harbour control room</title>
    <link rel="alternate" href="https://coastline.example/2026/control-room"/>
    <link rel="enclosure" type="video/mp4" href="https://coastline.example/media/control-room.mp4" length="99"/>
    <id>tag:coastline.example,2026:2</id>
    <updated>2026-11-30T12:00:00Z</updated>
    <content type="html">&lt;p&gt;Operators now watch every berth from one room. The harbourâ€™s pilots moved in first.&lt;/p&gt;</content>
  </entry>
</feed>
"""

JSON_FEED = """{{
  "version": "https://jsonfeed.org/version/1.1",
  "title": "Quayside Notes",
  "home_page_url": "https://quayside.example/",
  "icon": "{base}/img/logo.png",
  "items": [
    {{"id": "q-1", "url": "https://quayside.example/notes/tide-sensors",
      "title": "Tide sensors go online along the sea wall",
      "content_html": "<p>Readings every <em>minute</em> feed the flood warning map.</p>",
      "image": "{base}/img/tide.jpg",
      "date_published": "2026-12-01T06:45:00+01:00"}},
    {{"id": "q-2", "url": "https://quayside.example/notes/boat-show",
      "content_text": "The winter boat show moves indoors this year, with electric launches on display.",
      "date_published": "2026-11-29T10:00:00Z",
      "attachments": [{{"url": "https://quayside.example/media/show.mp4", "mime_type": "video/mp4"}}]}}
  ]
}}
"""

MOVED = """<?xml version="1.0"?><rss version="2.0"><channel><title>Dockside Daily</title><link>https://dockside.example/</link>
<item><title>Lighthouse gets a new lamp</title><link>https://dockside.example/lamp</link><guid>dock-1</guid>
<pubDate>Tue, 01 Dec 2026 05:00:00 GMT</pubDate><description>An LED lamp replaces the old bulb.</description></item>
</channel></rss>"""

CONDITIONAL = """<?xml version="1.0"?><rss version="2.0"><channel><title>Pier Post</title><link>https://pier.example/</link>
<item><title>Pier reopens after storm repairs</title><link>https://pier.example/reopens</link><guid>pier-1</guid>
<pubDate>Tue, 01 Dec 2026 04:00:00 GMT</pubDate><description>Walkers are welcome again from Friday.</description></item>
</channel></rss>"""

BROKEN = """<?xml version="1.0"?><rss version="2.0"><channel><title>Broken</title>
<item><title>Half a story</title><description>This feed stops <b>mid</i> tag and never closes"""

LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;"><!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;"><!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<rss version="2.0"><channel><title>&lol9;</title><item><title>&lol9;</title><link>https://laughs.example/x</link></item></channel></rss>"""


def picture(width: int, height: int, kind: str = "JPEG") -> bytes:
    buffer = io.BytesIO()
    PillowImage.new("RGB", (width, height), (20, 90, 160)).save(buffer, kind)
    return buffer.getvalue()


@dataclass
class Request:
    path: str
    headers: dict[str, str]


@dataclass
class FeedServer:
    base: str
    host: str
    requests: list[Request] = field(default_factory=list)
    changing: dict[str, str] = field(default_factory=dict)  # path -> a feed a test rewrites between runs
    in_flight: dict[str, int] = field(default_factory=dict)  # by the host name a request was sent to
    most_in_flight: dict[str, int] = field(default_factory=dict)  # requests answered at once, at the most, per host
    counting: threading.Lock = field(default_factory=threading.Lock)

    def enter(self, host: str) -> None:
        with self.counting:
            self.in_flight[host] = self.in_flight.get(host, 0) + 1
            self.most_in_flight[host] = max(self.most_in_flight.get(host, 0), self.in_flight[host])

    def leave(self, host: str) -> None:
        with self.counting:
            self.in_flight[host] -= 1

    def paths(self) -> list[str]:
        return [request.path for request in self.requests]

    def headers_of(self, path: str) -> list[dict[str, str]]:
        return [request.headers for request in self.requests if request.path == path]


Reply = tuple[int, dict[str, str], bytes | Iterator[bytes]]


def _routes(server: FeedServer) -> dict[str, Callable[[dict[str, str]], Reply]]:
    def text(body: str, kind: str = "application/rss+xml; charset=utf-8") -> Callable[[dict[str, str]], Reply]:
        data = body.format(base=server.base, host=server.host).encode()
        return lambda headers: (200, {"Content-Type": kind}, data)

    def conditional(headers: dict[str, str]) -> Reply:
        if headers.get("if-none-match") == '"pier-v1"':
            return 304, {"ETag": '"pier-v1"'}, b""
        data = CONDITIONAL.encode()
        extra = {
            "ETag": '"pier-v1"',
            "Last-Modified": "Tue, 01 Dec 2026 04:00:00 GMT",
            "Content-Type": "application/rss+xml",
        }
        if "gzip" in headers.get("accept-encoding", ""):
            return 200, {**extra, "Content-Encoding": "gzip"}, gzip.compress(data)
        return 200, extra, data

    def slow(headers: dict[str, str]) -> Reply:
        time.sleep(3)
        return 200, {"Content-Type": "application/rss+xml"}, MOVED.encode()

    def slowly(status: int, reply_headers: dict[str, str], body: bytes) -> Callable[[dict[str, str]], Reply]:
        def answer(headers: dict[str, str]) -> Reply:
            time.sleep(0.2)  # long enough for two clients' requests to overlap if nothing keeps them apart
            return status, reply_headers, body

        return answer

    def endless(headers: dict[str, str]) -> Reply:
        def chunks() -> Iterator[bytes]:
            yield b'<?xml version="1.0"?><rss version="2.0"><channel><title>'
            for _ in range(16 * 1024):  # 1 GB, in 64 KB pieces, if nobody stops reading
                yield b"A" * 65536

        return 200, {"Content-Type": "application/rss+xml"}, chunks()

    return {
        "/rss.xml": text(RSS),
        "/atom.xml": text(ATOM, "application/atom+xml"),
        "/feed.json": text(JSON_FEED, "application/feed+json"),
        "/old.xml": lambda headers: (301, {"Location": "/moved.xml"}, b""),
        "/moved.xml": text(MOVED),
        "/conditional.xml": conditional,
        "/broken.xml": text(BROKEN),
        "/slow.xml": slow,
        "/busy.xml": lambda headers: (429, {"Retry-After": "3600"}, b"slow down"),
        "/laughs.xml": text(LAUGHS),
        "/endless.xml": endless,
        "/page.html": text(
            "<!DOCTYPE html><html><head><title>Home</title></head><body><p>Welcome</p></body></html>", "text/html"
        ),
        "/loop.xml": lambda headers: (302, {"Location": "/loop.xml"}, b""),
        "/img/logo.png": slowly(200, {"Content-Type": "image/png"}, picture(64, 64, "PNG")),
        "/img/roof.png": slowly(200, {"Content-Type": "image/png"}, picture(1200, 800, "PNG")),
        "/img/tide.jpg": slowly(200, {"Content-Type": "image/jpeg"}, picture(1024, 576)),
    }


@contextmanager
def feed_server() -> Iterator[FeedServer]:
    state = FeedServer(base="", host="")
    routes: dict[str, Callable[[dict[str, str]], Reply]] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - the standard library's name
            headers = {k.lower(): v for k, v in self.headers.items()}
            state.requests.append(Request(self.path, headers))
            # Counted from arrival until the answer is ready, before a byte is sent: a client that waits for
            # the whole answer before its next request to the host can never overlap with it here.
            host = headers.get("host", "").rsplit(":", 1)[0]
            state.enter(host)
            try:
                status, reply_headers, body = self._reply(headers)
            finally:
                state.leave(host)
            self.send_response(status)
            for name, value in reply_headers.items():
                self.send_header(name, value)
            if isinstance(body, bytes):
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up on purpose (a timeout)
                return
            self.send_header("Connection", "close")
            self.end_headers()
            try:
                for chunk in body:
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def _reply(self, headers: dict[str, str]) -> Reply:
            route = routes.get(self.path.split("?")[0])
            if self.path in state.changing:
                return 200, {"Content-Type": "application/rss+xml"}, state.changing[self.path].encode()
            if route:
                return route(headers)
            return 404, {"Content-Type": "text/plain"}, b"not here"

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port = server.server_address[1]
    state.base = f"http://127.0.0.1:{port}"
    state.host = f"127.0.0.1:{port}"
    routes.update(_routes(state))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
