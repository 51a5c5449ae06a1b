"""The pieces of ``fetch``: canonical URLs, topic matching, the article file a feed entry becomes (read back by
the build's own reader), and the HTTP client's limits against a real local server."""
from __future__ import annotations

import gzip
import http.server
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.content.clean import MAX_TITLE, clean_text, shorten
from generator.content.read import parse_article
from generator.core.models import TopicMeta
from generator.fetch.entries import (
    MAX_EXCERPT,
    TopicMatcher,
    canonical_url,
    draft_article,
    front_matter,
    plain,
    url_key,
)
from generator.fetch.feedlist import FeedSpec
from generator.fetch.parse import FeedEntry, FeedError, FeedPicture, ParsedFeed, parse_feed
from generator.net.download import FetchError, Limits, get, retry_after_seconds

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
FEED = ParsedFeed(title="Harbour Gazette", home="https://gazette.example/", logo=None, entries=())


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("https://a.example/x?utm_source=rss&utm_medium=feed", "https://a.example/x"),
        ("https://a.example/x?id=7&utm_campaign=z&page=2#comments", "https://a.example/x?id=7&page=2"),
        ("HTTPS://A.Example:443/x?fbclid=1&q=a%20b", "https://a.example/x?q=a%20b"),  # kept parameters stay as written
        ("http://a.example:8080", "http://a.example:8080/"),
        ("https://a.example/x?gclid=1&mc_cid=2&mc_eid=3&igshid=4", "https://a.example/x"),
        ("https://a.example/utm_source/x?utmost=1", "https://a.example/utm_source/x?utmost=1"),
    ],
)
def test_canonical_url_drops_tracking_only(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical


def test_one_story_is_one_key_whatever_the_scheme_www_or_trailing_slash() -> None:
    keys = {
        url_key(u)
        for u in ("https://www.a.example/story/", "http://a.example/story?utm_source=x", "https://A.example/story#top")
    }
    assert keys == {"a.example/story"}
    assert url_key("https://a.example/story?id=1") != url_key("https://a.example/story?id=2")
    assert url_key("https://a.example/story") != url_key("https://b.example/story")


def test_topics_match_whole_words_and_capitals_where_a_keyword_is_in_capitals() -> None:
    matcher = TopicMatcher(
        [
            TopicMeta("ai", "AI", keywords=("artificial intelligence", "LLM")),
            TopicMeta("robotics", "Robotics", keywords=("robot",)),
        ]
    )
    assert matcher.topics_in("New AI chip") == ["AI"]
    assert matcher.topics_in("She said the rain was fine") == []  # "ai" inside a word
    assert matcher.topics_in("Ai Weiwei opens a show") == []  # not the acronym
    assert matcher.topics_in("Artificial Intelligence in robots") == ["AI"]  # "robots" is not "robot"
    assert matcher.topics_in("A ROBOT arm, an llm") == ["Robotics"]


def entry(**fields: object) -> FeedEntry:
    values: dict[str, object] = {
        "id": "x-1",
        "link": "https://gazette.example/a?utm_source=rss",
        "title": "A title",
        "summary": "A summary.",
        "published": datetime(2026, 12, 1, 7, 30, tzinfo=timezone.utc),
    }
    values.update(fields)
    return FeedEntry(**values)  # type: ignore[arg-type]


def read_back(text: str):
    result = parse_article(text, "2026-12-01-a.md", timezone.utc, now=NOW)
    assert [p for p in result.problems if p.severity != "note"] == []
    assert result.article is not None
    return result.article


@settings(max_examples=200, deadline=None)
@given(title=st.text(min_size=1, max_size=120), summary=st.text(max_size=300))
def test_any_title_and_summary_survive_the_file_and_read_back_as_written(title: str, summary: str) -> None:
    draft = draft_article(
        entry(title=title, summary=summary), FEED, FeedSpec("https://gazette.example/feed"), TopicMatcher([]), NOW, {}
    )
    meant_summary = shorten(plain(summary), MAX_EXCERPT)
    meant_title = shorten(plain(title), MAX_TITLE) or shorten(meant_summary, 120)
    if not meant_title:
        assert draft is None  # nothing to show
        return
    assert draft is not None
    stored = yaml.safe_load(draft.text.split("---\n")[1])
    assert (stored["title"], stored["excerpt"]) == (meant_title, meant_summary)  # the YAML says exactly what was meant
    article = read_back(draft.text)  # and the build reads it with no warning
    assert article.title == clean_text(meant_title)[0]
    assert (
        draft.file_name.startswith("2026-12-01-") and "/" not in draft.file_name and not draft.file_name.startswith(".")
    )


def test_an_entry_becomes_the_crawlers_format() -> None:
    draft = draft_article(
        entry(
            title="Crane &amp; <b>robot</b>",
            summary="<p>Forty containers</p><script>steal()</script>",
            pictures=(
                FeedPicture("https://gazette.example/big.jpg", 1600, 900),
                FeedPicture("https://gazette.example/unsized.jpg"),
                FeedPicture("https://gazette.example/probed.jpg"),
            ),
            video=True,
        ),
        FEED,
        FeedSpec("https://gazette.example/feed", topics=("Harbour",)),
        TopicMatcher([TopicMeta("robotics", "Robotics", keywords=("robot",))]),
        NOW,
        {"https://gazette.example/probed.jpg": (640, 360)},
    )
    assert draft is not None
    article = read_back(draft.text)
    assert article.title == "Crane & robot" and article.excerpt == "Forty containers"
    assert article.link == "https://gazette.example/a" and article.type == "video" and article.is_published
    assert [t.name for t in article.topics] == ["Harbour", "Robotics"]
    assert [(i.url, i.width, i.height) for i in article.images] == [
        ("https://gazette.example/big.jpg", 1600, 900),
        ("https://gazette.example/probed.jpg", 640, 360),
    ]
    assert article.provider is not None and (article.provider.name, article.provider.domain) == (
        "Harbour Gazette",
        "gazette.example",
    )
    assert "steal" not in draft.text
    assert draft.file_name == "2026-12-01-crane-robot.md" and draft.key == "gazette.example/a"


def test_an_entry_from_the_future_or_without_a_date_is_dated_when_fetched() -> None:
    for published in (None, datetime(2030, 1, 1, tzinfo=timezone.utc)):
        draft = draft_article(
            entry(published=published), FEED, FeedSpec("https://g.example/f"), TopicMatcher([]), NOW, {}
        )
        assert draft is not None and read_back(draft.text).published == NOW


def test_a_hostile_title_cannot_name_a_file_outside_the_folder() -> None:
    for title in ("../../etc/passwd", "/root/.bashrc", ".hidden", "..", "\x00"):
        draft = draft_article(entry(title=title), FEED, FeedSpec("https://g.example/f"), TopicMatcher([]), NOW, {})
        assert draft is not None
        assert (
            "/" not in draft.file_name and ".." not in draft.file_name and Path(draft.file_name).name == draft.file_name
        )


def test_front_matter_quotes_what_yaml_would_misread() -> None:
    text = front_matter({"title": "yes", "excerpt": "null: [1, 2] # not a comment", "n": 3, "when": NOW, "flag": True})
    assert 'title: "yes"' in text and "when: 2026-12-01T12:00:00Z" in text and "flag: true" in text


def test_feeds_that_are_not_feeds_are_refused_with_a_reason() -> None:
    with pytest.raises(FeedError, match="malformed JSON"):
        parse_feed(b"{not json", "https://a.example/f")
    with pytest.raises(FeedError, match="not a JSON Feed"):
        parse_feed(b'{"items": []}', "https://a.example/f")
    with pytest.raises(FeedError, match="malformed JSON"):
        parse_feed(b"[" * 100_000 + b"]" * 100_000, "https://a.example/f", "application/json")
    with pytest.raises(FeedError, match="not an RSS, Atom or JSON feed"):
        parse_feed(b"just some text", "https://a.example/f")
    recovered = parse_feed(
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><item><title>A &amp B</title>'
        b"<link>https://a.example/1</link></item></channel></rss>",
        "https://a.example/f",
    )
    assert [e.link for e in recovered.entries] == ["https://a.example/1"] and recovered.warning.startswith(
        "not well-formed XML"
    )


RSS_1_0 = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://rdf.example/"><title>RDF Weekly</title><link>https://rdf.example/</link></channel>
  <item rdf:about="https://rdf.example/a"><title>An RDF story</title><link>https://rdf.example/a</link>
    <description>Told in RSS 1.0.</description><dc:date>2026-11-30T08:00:00Z</dc:date></item>
</rdf:RDF>"""
RSS_0_91 = b"""<?xml version="1.0"?>
<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd">
<rss version="0.91"><channel><title>Old School</title><link>https://old.example/</link><description>x</description>
  <item><title>A story from 1999 tooling</title><link>https://old.example/b</link>
    <description>Still read.</description></item>
</channel></rss>"""


@pytest.mark.parametrize(
    ("body", "title", "link", "published"),
    [
        (RSS_1_0, "An RDF story", "https://rdf.example/a", datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)),
        (RSS_0_91, "A story from 1999 tooling", "https://old.example/b", None),
    ],
)
def test_rss_1_0_and_0_91_are_read(body: bytes, title: str, link: str, published: datetime | None) -> None:
    feed = parse_feed(body, "https://feeds.example/f")
    (only,) = feed.entries
    assert (only.title, only.link, only.published) == (title, link, published) and feed.warning == ""


def test_retry_after_reads_seconds_and_dates() -> None:
    assert retry_after_seconds("120") == 120
    assert retry_after_seconds("Tue, 01 Dec 2026 12:10:00 GMT", now=NOW.timestamp()) == 600
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


class Tricky(http.server.BaseHTTPRequestHandler):
    """A trickling server, a zip bomb, and a flaky one that asks to wait a second."""

    calls: dict[str, int] = {}

    def do_GET(self) -> None:  # noqa: N802 - the standard library's name
        Tricky.calls[self.path] = Tricky.calls.get(self.path, 0) + 1
        if self.path == "/trickle":
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            try:
                for _ in range(100):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.1)
            except (BrokenPipeError, ConnectionResetError):
                pass
        elif self.path == "/bomb":
            body = gzip.compress(b"\0" * (50 * 1024 * 1024))
            self.send_response(200)
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif self.path == "/flaky" and Tricky.calls[self.path] == 1:
            self.send_response(503)
            self.send_header("Retry-After", "1")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def tricky() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Tricky)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_trickling_server_meets_the_total_deadline(tricky: str) -> None:
    started = time.monotonic()
    with pytest.raises(FetchError, match="timed out"):
        get(tricky + "/trickle", limits=Limits(connect_timeout=1, total_timeout=1))
    assert time.monotonic() - started < 2.5  # each read waits only for what is left of the whole request's time


def test_a_zip_bomb_stops_at_the_size_cap(tricky: str) -> None:
    with pytest.raises(FetchError, match="limit once decompressed"):
        get(tricky + "/bomb", limits=Limits(max_bytes=1024 * 1024))


def test_a_short_retry_after_is_waited_for_once(tricky: str, tmp_path: Path) -> None:
    from generator.fetch.run import _get_once_more_if_asked

    started = time.monotonic()
    response = _get_once_more_if_asked(tricky + "/flaky", {}, Limits())
    assert response.body == b"ok" and Tricky.calls["/flaky"] == 2 and time.monotonic() - started >= 1
