"""The image mirror against a real HTTP server on 127.0.0.1: good pictures are published resized with
srcset, bad ones (slow, huge, a bomb, not a picture, missing) keep their remote URL with a warning, and a
rebuild downloads nothing."""
from __future__ import annotations

import http.server
import io
import threading
import time

import pytest
from PIL import Image as PillowImage

from generator.images.mirror import ImageMirror, MirrorSettings
from helpers import article_fields, build_site, soup, write_article, write_config


def picture(width: int, height: int, kind: str = "JPEG", mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    colour = {"RGBA": (200, 60, 30, 128), "RGB": (200, 60, 30), "1": 1}[mode]
    PillowImage.new(mode, (width, height), colour).save(buffer, kind)
    return buffer.getvalue()


class Pictures(http.server.BaseHTTPRequestHandler):
    """Each path is one case; every request is counted."""

    requests: list[str] = []
    routes: dict[str, tuple[int, str, bytes, float]] = {}

    def do_GET(self) -> None:  # noqa: N802 - the standard library's name
        Pictures.requests.append(self.path)
        status, kind, body, delay = Pictures.routes.get(self.path, (404, "text/plain", b"missing", 0.0))
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if delay:  # a trickle: a little now and then, never a pause long enough to time out
            for start in range(0, len(body), 64):
                self.wfile.write(body[start:start + 64])
                self.wfile.flush()
                time.sleep(delay)
        else:
            self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server():
    instance = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Pictures)
    threading.Thread(target=instance.serve_forever, daemon=True).start()
    Pictures.requests = []
    Pictures.routes = {
        "/good.jpg": (200, "image/jpeg", picture(2400, 1350), 0.0),
        "/small.png": (200, "image/png", picture(300, 200, "PNG", "RGBA"), 0.0),
        "/slow.jpg": (200, "image/jpeg", picture(800, 450), 0.3),
        "/huge.jpg": (200, "image/jpeg", b"\xff\xd8" + b"\0" * 400_000, 0.0),
        "/bomb.png": (200, "image/png", picture(12000, 12000, "PNG", "1"), 0.0),
        "/page.jpg": (200, "text/html", b"<html>not a picture</html>", 0.0),
        "/broken.jpg": (200, "image/jpeg", b"\xff\xd8 not really a JPEG", 0.0),
    }
    yield f"http://127.0.0.1:{instance.server_address[1]}"
    instance.shutdown()


def test_each_failure_keeps_the_remote_url_and_says_why(server, tmp_path):
    mirror = ImageMirror(
        tmp_path / "images", MirrorSettings(total_timeout=1.0, max_bytes=300_000, max_pixels=50_000_000)
    )
    urls = {
        name: f"{server}/{name}"
        for name in ("good.jpg", "small.png", "slow.jpg", "huge.jpg", "bomb.png", "page.jpg", "broken.jpg", "gone.jpg")
    }
    found, problems = mirror.prepare(urls.values())
    assert sorted(url.rsplit("/", 1)[1] for url in found) == ["good.jpg", "small.png"]
    why = {p.message.rsplit("/", 1)[1]: p.message for p in problems}
    assert "timed out (limit 1 s)" in why["slow.jpg"]
    assert "larger than the 292 KB limit" in why["huge.jpg"]
    assert "12000x12000 pixels, over the limit of 50,000,000" in why["bomb.png"]
    assert "served as text/html" in why["page.jpg"] and "HTTP 404" in why["gone.jpg"]
    assert "not a picture Pillow can read" in why["broken.jpg"]
    good = found[urls["good.jpg"]]
    assert (good.width, good.height, good.widths) == (2400, 1350, (160, 320, 640, 960, 1280))
    with PillowImage.open(tmp_path / "images" / good.path(320, "webp").removeprefix("media/")) as copy:
        assert copy.format == "WEBP" and copy.size == (320, 180)
    small = found[urls["small.png"]]
    assert small.widths == (160, 300)  # never wider than the original
    with PillowImage.open(tmp_path / "images" / small.path(300, "jpg").removeprefix("media/")) as copy:
        assert copy.format == "JPEG" and copy.mode == "RGB"  # transparency flattened onto white
    # Once decided, a picture is never fetched again; a failure is tried again a day later.
    before = len(Pictures.requests)
    again, _ = mirror.prepare(urls.values())
    assert again == found and len(Pictures.requests) == before
    later, _ = mirror.prepare([urls["gone.jpg"]], now=time.time() + 2 * 24 * 3600)
    assert later == {} and Pictures.requests[-1] == "/gone.jpg"


def test_a_site_with_the_mirror_serves_its_pictures_resized_and_a_rebuild_downloads_nothing(server, tmp_path):
    write_config(tmp_path, images={"mirror": True, "timeout": 2}, search=False)
    content = tmp_path / "content"
    write_article(
        content,
        "2026-11-02-good.md",
        article_fields(2, images=[{"url": f"{server}/good.jpg", "width": 2400, "height": 1350}]),
    )
    write_article(
        content,
        "2026-11-03-gone.md",
        article_fields(3, images=[{"url": f"{server}/gone.jpg", "width": 800, "height": 450}]),
    )
    first = build_site(tmp_path)
    assert [p.message for p in first.problems if p.path == "images"] == [
        f"picture not mirrored, linked where it is (HTTP 404 Not Found): {server}/gone.jpg"
    ]
    public = tmp_path / "public"
    page = soup(public / "news/2026-11-02-good/index.html")
    lead = page.select_one(".lead-image picture")
    webp = lead.select_one("source[type='image/webp']")["srcset"].split(", ")
    assert [entry.split()[1] for entry in webp] == ["160w", "320w", "640w", "960w", "1280w"]
    img = lead.img
    assert img["src"].startswith("/media/") and img["src"].endswith("-640.jpg") and "1280w" in img["srcset"]
    assert img["sizes"] == lead.source["sizes"] and img["width"] == "2400" and img["fetchpriority"] == "high"
    for entry in webp + img["srcset"].split(", "):
        assert (public / entry.split()[0].lstrip("/")).is_file()
    cards = [
        found
        for page in sorted(public.glob("topics/*/index.html"))
        if (found := soup(page).select_one(f".card img[srcset*='{img['src'].split('-')[0]}']"))
    ]
    assert cards and cards[0]["sizes"] == "(min-width: 40rem) 22rem, 100vw"
    gone = soup(public / "news/2026-11-03-gone/index.html").select_one(".lead-image img")
    assert gone["src"] == f"{server}/gone.jpg" and not gone.has_attr("srcset")
    # A rebuild in a new process fetches nothing and writes nothing.
    fetched = len(Pictures.requests)
    again = build_site(tmp_path)
    assert len(Pictures.requests) == fetched and again.report.written == []
    # Turned off: the pages link the outlets again, and the copies (the generator's files) are removed.
    write_config(tmp_path, search=False)
    off = build_site(tmp_path)
    assert not (public / "media").exists() and any(p.startswith("media/") for p in off.report.removed)
    assert soup(public / "news/2026-11-02-good/index.html").select_one(".lead-image img")["src"] == f"{server}/good.jpg"


def test_images_settings_are_checked(tmp_path):
    from generator.core.config import ConfigError, parse_config

    assert parse_config({"images": {"mirror": True}}).images.mirror and not parse_config({}).images.mirror
    for bad, words in [
        ({"mirror": "yes"}, "images.mirror must be true or false"),
        ({"timeout": 0}, "images.timeout must be a number of seconds"),
        ({"mirrors": True}, "images must be a mapping of mirror"),
    ]:
        with pytest.raises(ConfigError, match=words):
            parse_config({"images": bad})
