"""The daily digest as a reader and a mail client get it: day pages, the archive, the e-mail edition (HTML and
text) and the ``digest`` command's message, checked by parsing."""
from __future__ import annotations

import email
import email.policy
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from generator.core.config import ConfigError, parse_config
from helpers import article_fields, broken_links, build_site, soup, write_article, write_config

REPO = Path(__file__).resolve().parents[2]
BASE = "https://news.example/"
TOPICS = ["Robotics", "Chips", "Policy", "Health"]


def write_day(content: Path, day: str, count: int, prefix: str = "d") -> None:
    """``count`` unrelated articles on one day (UTC), each from its own outlet."""
    syllables = ["ka", "lo", "mi", "ne", "po", "ru", "sa", "ti", "vo", "ze"]
    for n in range(count):
        name = "".join(syllables[(n * 7 + ord(prefix[0]) * 3 + k * (n + 1)) % 10] for k in range(4)).capitalize()
        place = "".join(syllables[(n * 3 + k * 5 + ord(prefix[0])) % 10] for k in range(3)).capitalize()
        write_article(content, f"{day}-{prefix}{n}.md", article_fields(
            n, title=f"{name}{n} opens a {place}{n} office",
            excerpt=f"The {name}{n} team starts work in {place}{n} next month.",
            publishedDateTime=f"{day}T{(n % 20) + 2:02d}:{n % 60:02d}:00Z", webUrl=f"https://o{n}.example/{prefix}{n}",
            provider={"name": f"Outlet {n}", "domain": f"o{n}.example"}, topics=["AI", TOPICS[n % 4]],
            heat=n % 9, quality=n % 50))


@pytest.fixture
def site(tmp_path):
    write_config(tmp_path, timezone="Europe/Berlin", digest={"unsubscribe": "https://news.example/unsubscribe",
                                                            "from": "Digest <d@news.example>", "to": "r@news.example"})
    write_day(tmp_path / "content", "2026-11-19", 3, "a")
    write_day(tmp_path / "content", "2026-11-20", 60, "b")
    assert not build_site(tmp_path).failed
    return tmp_path


def test_an_article_belongs_to_its_local_day(tmp_path):
    late = article_fields(1, title="Late night vote on the harbour plan", publishedDateTime="2026-11-20T23:30:00Z")
    for zone, expected in (("Europe/Berlin", "2026-11-21"), ("America/New_York", "2026-11-20")):
        root = tmp_path / zone.replace("/", "-")
        write_config(root, timezone=zone)
        write_article(root / "content", "2026-11-20-late.md", late)
        build_site(root)
        days = [p.parent.name for p in (root / "public/digest").glob("*/index.html")]
        assert days == [expected], zone
        article = soup(root / "public/news/2026-11-20-late/index.html")
        assert article.select_one("a.day-link")["href"] == f"/digest/{expected}/"


def test_a_day_page_links_every_article_of_the_day_once_with_counts_and_neighbours(site):
    page = soup(site / "public/digest/2026-11-20/index.html")
    assert page.h1.get_text() == "Friday, November 20, 2026"
    linked = [a["href"] for a in page.select(".day-entry-title a, .day-entry-others a")]
    expected = {f"/news/2026-11-20-b{n}/" for n in range(60)}
    assert sorted(linked) == sorted(expected)  # every article, each once
    assert re.match(r"60 stories from 60 outlets", page.select_one(".count").get_text(" ", strip=True))
    assert (
        page.select_one('a[rel="prev"]')["href"] == "/digest/2026-11-19/" and page.select_one('a[rel="next"]') is None
    )
    assert page.select_one('a[href="/digest/2026-11-20/email.html"]')
    topics = [h.get_text() for h in page.select("section h2")][1:]
    assert set(topics) == set(TOPICS)  # the rest under their most specific topic ("AI" is on every article)


def test_the_archive_reaches_every_day(site):
    archive = soup(site / "public/digest/index.html")
    days = {a["href"] for a in archive.select(".calendar td a")}
    assert days == {"/digest/2026-11-19/", "/digest/2026-11-20/"}
    cell = archive.select_one('.calendar a[href="/digest/2026-11-20/"]')
    assert cell.select_one(".calendar-count").get_text() == "60"
    sitemap = (site / "public/sitemap.xml").read_text()
    assert f"<loc>{BASE}digest/2026-11-20/</loc>" in sitemap and f"<loc>{BASE}digest/</loc>" in sitemap
    assert "email.html" not in sitemap


def test_the_email_edition_is_ready_for_a_mail_client(site):
    path = site / "public/digest/2026-11-20/email.html"
    raw = path.read_bytes()
    assert len(raw) < 102 * 1024
    page = soup(path)
    assert not page.select("script, form, iframe, link[rel=stylesheet], object, embed")
    assert page.select_one('meta[name="color-scheme"]')["content"] == "light dark"
    styles = " ".join(s.get_text() for s in page.select("style"))
    assert "@media" in styles and "prefers-color-scheme: dark" in styles
    assert re.sub(r"@media[^{]*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}", "", styles).strip() == ""  # only @media rules remain
    assert (
        "width: 600px" in page.select_one("table.container")["style"]
        and page.select_one("table.container")["width"] == "600"
    )
    assert "font-family" in page.body["style"]  # rules are inlined
    for link in page.select("a[href]"):
        assert urlsplit(link["href"]).scheme in ("http", "https") and urlsplit(link["href"]).netloc, link["href"]
    for image in page.select("img"):
        assert image["src"].startswith(("https://", "http://")) and image.get("width") and image.get("height")
        assert image.get("alt") is not None
    assert page.select_one(".preheader").get_text().startswith(page.select(".title a")[0].get_text())
    stories = page.select(".title a")
    assert len(stories) == 20
    more = page.select_one(".more a")
    assert more.get_text() == "40 more stories on the site" and more["href"] == BASE + "digest/2026-11-20/"
    assert page.find("a", string="Unsubscribe")["href"] == "https://news.example/unsubscribe"


def test_the_text_edition_has_every_headline_with_its_url(site):
    html = soup(site / "public/digest/2026-11-20/email.html")
    text = (site / "public/digest/2026-11-20/email.txt").read_text()
    for line in text.splitlines():
        assert len(line) <= 78 or re.fullmatch(r"\s*https?://\S+", line), line
    flat = " ".join(line.strip() for line in text.splitlines())
    for link in html.select(".title a"):
        assert link.get_text() in flat and link["href"] in text.split()


def run_digest(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator", "digest", *args],
        cwd=site,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )


def test_the_digest_command_writes_a_multipart_message(site):
    done = run_digest(site, "--date", "2026-11-20", "--eml", "day.eml")
    assert done.returncode == 0, done.stderr
    message = email.message_from_bytes((site / "day.eml").read_bytes(), policy=email.policy.default)
    assert message.get_content_type() == "multipart/alternative"
    assert message["Subject"] == "Test Digest: Friday, November 20, 2026"
    assert message["From"] == "Digest <d@news.example>" and message["To"] == "r@news.example"
    assert message["Date"] and re.fullmatch(r"<.+@news\.example>", message["Message-ID"].strip())
    assert message["List-Unsubscribe"] == "<https://news.example/unsubscribe>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = (part for part in message.iter_parts())
    assert text.get_content_type() == "text/plain" and html.get_content_type() == "text/html"
    assert text.get_content_charset() == html.get_content_charset() == "utf-8"
    assert html.get_content().rstrip("\n") == (site / "public/digest/2026-11-20/email.html").read_text()
    latest = run_digest(site)  # the latest day, to standard output
    assert latest.returncode == 0 and "Friday, November 20, 2026" in latest.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (("--date", "2026-02-30"), "error: --date '2026-02-30' is not a date such as 2026-11-22"),
        (("--date", "2025-01-01"), "error: no stories on 2025-01-01"),
    ],
)
def test_the_digest_command_refuses_a_day_without_stories_in_one_line(site, args, message):
    done = run_digest(site, *args, "--eml", "none.eml")
    assert done.returncode == 2 and done.stderr.strip() == message and done.stdout == ""
    assert not (site / "none.eml").exists()


def test_months_get_pages_once_there_are_many(tmp_path):
    write_config(tmp_path)
    for month in range(1, 15):
        year, m = 2025 + (month - 1) // 12, (month - 1) % 12 + 1
        write_day(tmp_path / "content", f"{year}-{m:02d}-15", 1, f"m{month}-")
    build_site(tmp_path)
    archive = soup(tmp_path / "public/digest/index.html")
    assert len(archive.select("table.calendar")) == 12
    months = [a["href"] for a in archive.select('nav[aria-label="Every month"] a')]
    assert len(months) == 14 and months[-1] == "/digest/2025/01/"
    oldest = soup(tmp_path / "public/digest/2025/01/index.html")  # two clicks: archive -> month -> day
    assert [a["href"] for a in oldest.select(".calendar td a")] == ["/digest/2025-01-15/"]


def test_the_home_page_is_today_s_river(tmp_path):
    write_config(tmp_path, page_size=30)  # the build's date (helpers.NOW) is 22 November 2026
    write_day(tmp_path / "content", "2026-11-22", 8, "t")
    write_day(tmp_path / "content", "2026-11-21", 5, "y")
    write_day(tmp_path / "content", "2026-11-17", 3, "o")
    build_site(tmp_path)
    home = soup(tmp_path / "public/index.html")
    assert home.find(["h1", "h2", "h3"]).name == "h1"  # the h1 comes first
    top = [a["href"] for a in home.select(".top-stories .headline-title a")]
    river = [a["href"] for a in home.select(".river-section:not(.top-stories) .headline-title a")]
    assert len(top) == 5 and not set(top) & set(river)  # never repeated below
    assert len(top) + len(river) == 16  # every story once
    labels = [h.get_text() for h in home.select(".river-section:not(.top-stories) h2")]
    assert labels[:2] == ["Today", "Yesterday"] and labels[-1] == "Tuesday, November 17, 2026"
    assert all(href.startswith("/news/2026-11-2") for href in top)  # from the last two days only
    # One lead story (the first top story) with its excerpt, then one dense line per story.
    assert [a["href"] for a in home.select(".lead-story .headline-title a")] == top[:1] and home.select_one(
        ".lead-excerpt"
    )
    assert len(home.select(".headline-item")) == 16


def test_the_top_block_hides_with_fewer_than_two(tmp_path):
    write_config(tmp_path)
    write_day(tmp_path / "content", "2026-11-22", 1, "t")
    write_day(tmp_path / "content", "2026-11-10", 4, "o")  # outside the two-day window
    build_site(tmp_path)
    home = soup(tmp_path / "public/index.html")
    assert home.select_one(".top-stories") is None
    assert len(home.select(".river-section .headline-item")) == 5


def test_digest_feeds_carry_one_edition_per_day_and_opml_lists_every_feed(site):
    import json
    import xml.etree.ElementTree as ET

    import feedparser

    out = site / "public"
    atom = feedparser.parse((out / "digest/feed.xml").read_bytes())
    assert not atom.bozo and [e.link for e in atom.entries] == [
        BASE + "digest/2026-11-20/",
        BASE + "digest/2026-11-19/",
    ]
    edition = soup(out / "digest/2026-11-20/email.html")
    content = atom.entries[0].content[0].value
    assert [a.get_text() for a in soup_text(content).select(".title a")] == [
        a.get_text() for a in edition.select(".title a")
    ]
    feed = json.loads((out / "digest/feed.json").read_text())
    assert feed["version"] == "https://jsonfeed.org/version/1.1" and len(feed["items"]) == 2
    assert feed["items"][0]["content_html"].strip() == (out / "digest/2026-11-20/email.html").read_text().strip()
    robotics = feedparser.parse((out / "topics/robotics/digest.xml").read_bytes())
    linked = {a["href"] for e in robotics.entries for a in soup_text(e.content[0].value).select("a")}
    assert linked and all(
        "robotics"
        in soup(out / urlsplit(u).path.lstrip("/") / "index.html").select_one(".topic-list").get_text().lower()
        for u in linked
    )
    home = soup(out / "index.html")
    assert BASE + "digest/feed.xml" in [link["href"] for link in home.select('link[rel="alternate"]')]
    opml = ET.parse(out / "feeds.opml").getroot()
    urls = {o.get("xmlUrl") for o in opml.iter("outline") if o.get("xmlUrl")}
    assert {
        BASE + "feed.xml",
        BASE + "digest/feed.xml",
        BASE + "topics/robotics/feed.xml",
        BASE + "topics/robotics/digest.xml",
        BASE + "providers/o1.example/feed.xml",
    } <= urls
    for url in urls:  # every feed listed exists
        assert (out / urlsplit(url).path.lstrip("/")).is_file(), url


def test_the_api_gives_each_day_with_its_edition(site):
    import json

    out = site / "public"
    days = json.loads((out / "api/digest/index.json").read_text())
    assert [d["date"] for d in days["value"]] == ["2026-11-20", "2026-11-19"] and days["nextPage"] is None
    assert days["value"][0]["stories"] == 60 and days["value"][0]["api"] == BASE + "api/digest/2026-11-20/index.json"
    day = json.loads((out / "api/digest/2026-11-20/index.json").read_text())
    assert len(day["value"]) == 60 and day["value"][0]["path"].startswith("/news/2026-11-20-")
    assert day["content"].strip() == (out / "digest/2026-11-20/email.html").read_text().strip()


def soup_text(html: str):
    from bs4 import BeautifulSoup

    return BeautifulSoup(html, "html.parser")


def test_a_new_story_touches_its_day_and_what_lists_it_not_other_days(tmp_path):
    from generator.build.builder import Builder, BuildOptions, Changes
    from helpers import NOW

    write_config(tmp_path)
    for day in ("2026-11-17", "2026-11-18", "2026-11-19", "2026-11-20"):
        write_day(tmp_path / "content", day, 4, f"p{day[-2:]}")
    builder = Builder(
        BuildOptions(
            content_dir=tmp_path / "content",
            output_dir=tmp_path / "preview",
            config_path=tmp_path / "site.yaml",
            now=NOW,
            fingerprint_assets=False,
        ),
        preview=True,
    )
    first = builder.build()
    write_day(tmp_path / "content", "2026-11-20", 1, "new")
    second = builder.build(Changes(content=frozenset(["2026-11-20-new0.md"])))
    written = set(second.report.written)
    assert {
        "digest/2026-11-20/index.html",
        "digest/2026-11-20/email.html",
        "digest/2026-11-20/email.txt",
        "digest/index.html",
        "digest/feed.xml",
        "index.html",
    } <= written
    assert not any(p.startswith(("digest/2026-11-17/", "digest/2026-11-18/")) for p in written)
    assert second.rendered < first.rendered / 2


def test_digest_false_builds_no_day_and_links_none(tmp_path):
    write_config(tmp_path, digest=False)
    write_day(tmp_path / "content", "2026-11-19", 3, "a")
    write_day(tmp_path / "content", "2026-11-20", 5, "b")
    assert not build_site(tmp_path).failed
    public = tmp_path / "public"
    assert not (public / "digest").exists() and not (public / "api" / "digest").exists()
    assert not list(public.glob("topics/*/digest.xml"))
    assert (public / "news").is_dir() and (public / "index.html").is_file()
    for page in public.rglob("*"):
        if page.suffix in (".html", ".xml", ".json", ".opml"):
            assert "/digest/" not in page.read_text() and "digest.xml" not in page.read_text(), page
    assert broken_links(public) == []
    off = run_digest(tmp_path, "--eml", "none.eml")
    assert off.returncode == 2 and "the daily digest is off" in off.stderr and not (tmp_path / "none.eml").exists()


@pytest.mark.parametrize("value, digest", [(False, False), (True, True), ({"email_stories": 5}, True)])
def test_the_digest_setting_is_a_switch_or_the_edition_s_settings(value, digest):
    assert parse_config({"digest": value}).digest.enabled is digest
    with pytest.raises(ConfigError, match="digest must be true, false or a mapping of e-mail settings, got 3"):
        parse_config({"digest": 3})
