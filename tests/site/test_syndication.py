"""Feeds, sitemaps, robots.txt, page metadata and the JSON API, checked with real parsers."""
from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from datetime import datetime

import feedparser
import pytest

from generator.core.models import OutputPage
from generator.pages import syndication
from generator.pages.kinds import PlanInput
from generator.pages.plan import BY_NAME
from generator.pages.syndication import SITEMAP_LIMIT
from helpers import article_fields, build_site, snapshot, soup, write_article, write_config

SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS_NS = "{http://www.google.com/schemas/sitemap-news/0.9}"
BASE = "https://example.org/ai/"


@pytest.fixture
def site(tmp_path):
    write_config(tmp_path, base_url=BASE, page_size=4, title="Syndicated")
    for n in range(60):
        write_article(tmp_path / "content", f"s{n:02d}.md", article_fields(
            n, slug=f"story-{n}", publishedDateTime=f"2026-10-{n % 28 + 1:02d}T{n % 24:02d}:{n:02d}:00Z",
            topics=["AI", "Robotics" if n % 2 else "Vision"], originalUrl=f"https://orig.example/{n}",
            updatedDateTime="2026-11-02T00:00:00Z" if n == 7 else None))
    write_article(
        tmp_path / "content",
        "draft.md",
        article_fields(
            99, slug="draft-story", title="Unpublished draft", publishedDateTime="2026-11-20T00:00:00Z", published=False
        ),
    )
    build_site(tmp_path, include_unpublished=True)  # even a preview build keeps drafts out of machine outputs
    return tmp_path


def parse_feed(path):
    feed = feedparser.parse(path.read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    return feed


def test_atom_feeds_for_site_topics_and_providers(site):
    out = site / "public"
    feed = parse_feed(out / "feed.xml")
    assert feed.version == "atom10"
    assert feed.feed.title == "Syndicated"
    assert feed.feed.links[0].href == BASE + "feed.xml"
    assert len(feed.entries) == 50
    dates = [e.published_parsed for e in feed.entries]
    assert dates == sorted(dates, reverse=True)
    entry = next(e for e in feed.entries if e.title == "Story number 7")
    assert entry.link == BASE + "news/story-7/"
    assert [l.href for l in entry.links if l.rel == "related"] == ["https://outlet1.example/story-7"]
    assert entry.author == "Outlet 1"
    assert {t.term for t in entry.tags} == {"AI", "Robotics"}
    assert entry.summary == "Summary of story 7."
    assert entry.updated.startswith("2026-11-02") and entry.published.startswith("2026-10-08")
    assert entry.media_content[0]["url"] == "https://img.example/7.jpg" and entry.media_content[0]["width"] == "800"
    assert all("draft" not in e.link for e in feed.entries)
    robotics = parse_feed(out / "topics/robotics/feed.xml")
    assert len(robotics.entries) == 30 and all("Robotics" in {t.term for t in e.tags} for e in robotics.entries)
    provider = parse_feed(out / "providers/outlet0.example/feed.xml")
    assert provider.entries and all(e.author == "Outlet 0" for e in provider.entries)


def check_json_feed(document):
    """The JSON Feed 1.1 spec's required keys and types."""
    assert document["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(document["title"], str) and isinstance(document["items"], list)
    for key in ("home_page_url", "feed_url"):
        assert document[key].startswith("https://")
    for item in document["items"]:
        assert isinstance(item["id"], str) and item["id"]
        assert isinstance(item.get("content_text") or item.get("content_html"), str)
        for key in ("url", "external_url", "image"):
            if key in item:
                assert item[key].startswith(("http://", "https://"))
        for key in ("date_published", "date_modified"):
            if key in item:
                assert datetime.fromisoformat(item[key]).tzinfo is not None
        assert all(isinstance(a["name"], str) for a in item.get("authors", []))
        assert all(isinstance(t, str) for t in item.get("tags", []))


def test_json_feeds(site):
    out = site / "public"
    for path in ["feed.json", "topics/vision/feed.json", "providers/outlet2.example/feed.json"]:
        check_json_feed(json.loads((out / path).read_text()))
    document = json.loads((out / "feed.json").read_text())
    item = next(i for i in document["items"] if i["title"] == "Story number 7")
    assert item["url"] == BASE + "news/story-7/" and item["external_url"] == "https://outlet1.example/story-7"
    assert item["image"] == "https://img.example/7.jpg" and item["authors"] == [
        {"name": "Outlet 1", "url": "https://outlet1.example/"}
    ]
    assert item["author"] == item["authors"][0]  # for JSON Feed 1.0 readers
    assert item["tags"] == ["AI", "Robotics"] and item["date_modified"] == "2026-11-02T00:00:00Z"
    assert document["feed_url"] == BASE + "feed.json"


def test_every_html_page_advertises_feeds_and_has_metadata(site):
    out = site / "public"
    for path in out.rglob("*.html"):
        if path.name == "email.html":  # a day's e-mail edition: a message, not a page of the site
            continue
        page = soup(path)
        types = {l["type"]: l["href"] for l in page.select('link[rel="alternate"]')}
        assert types["application/atom+xml"].startswith(BASE) and types["application/feed+json"].startswith(BASE)
        assert page.title.get_text().strip()
        assert page.select_one('meta[name="description"]')["content"] is not None
        canonical = page.select_one('link[rel="canonical"]')
        if path.name == "404.html":  # served at any missing address: no canonical URL, no og:url
            assert canonical is None and page.select_one('meta[property="og:url"]') is None
        else:
            assert canonical["href"].startswith(BASE)
        assert page.select_one('meta[property="og:locale"]')["content"] == "en_US"
    topic = soup(out / "topics/robotics/index.html")
    assert BASE + "topics/robotics/feed.xml" in [l["href"] for l in topic.select('link[rel="alternate"]')]


def test_sitemap_lists_every_published_html_page(site):
    out = site / "public"
    tree = ET.parse(out / "sitemap.xml").getroot()
    assert tree.tag == SITEMAP_NS + "urlset"
    locs = {u.find(SITEMAP_NS + "loc").text: u.find(SITEMAP_NS + "lastmod").text for u in tree}
    html_pages = {
        BASE + p.relative_to(out).as_posix().removesuffix("index.html")
        for p in out.rglob("*.html")
        if p.name not in ("404.html", "email.html")
    }
    html_pages.discard(BASE + "news/draft-story/")  # preview-only page
    assert set(locs) == html_pages
    assert locs[BASE + "news/story-7/"] == "2026-11-02T00:00:00Z"
    assert all(datetime.fromisoformat(v) for v in locs.values())


def test_news_sitemap_covers_two_days_before_newest(site):
    root = ET.parse(site / "public/news-sitemap.xml").getroot()
    entries = {u.find(SITEMAP_NS + "loc").text: u.find(NEWS_NS + "news") for u in root}
    # Newest published story: 2026-10-28; the window is 26 Oct to 28 Oct.
    newest = max(datetime.fromisoformat(e.find(NEWS_NS + "publication_date").text) for e in entries.values())
    assert newest.isoformat().startswith("2026-10-28")
    for news in entries.values():
        assert (newest - datetime.fromisoformat(news.find(NEWS_NS + "publication_date").text)).days < 2
        publication = news.find(NEWS_NS + "publication")
        assert (
            publication.find(NEWS_NS + "name").text == "Syndicated"
            and publication.find(NEWS_NS + "language").text == "en"
        )
        assert news.find(NEWS_NS + "title").text.startswith("Story number")
    # Newest is story 55 (28 Oct 07:55): the window starts 26 Oct 07:55, so 25 and 53 (26 Oct, earlier) fall out.
    assert set(entries) == {BASE + f"news/story-{n}/" for n in (55, 27, 54, 26)}


def test_robots_points_at_sitemaps(site):
    lines = (site / "public/robots.txt").read_text().splitlines()
    assert f"Sitemap: {BASE}sitemap.xml" in lines and f"Sitemap: {BASE}news-sitemap.xml" in lines
    assert "User-agent: *" in lines


@pytest.mark.skipif(not shutil.which("xmllint"), reason="xmllint is installed by .ci/run (Debian libxml2-utils)")
def test_all_xml_is_well_formed_per_xmllint(site):
    files = [str(p) for p in (site / "public").rglob("*.xml")]
    done = subprocess.run(["xmllint", "--noout", *files], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_control_characters_never_reach_xml(site):
    write_article(
        site / "content",
        "ctrl.md",
        article_fields(
            70,
            slug="ctrl",
            title="Bell\x07 and\x0b tab",
            excerpt="esc\x1b text",
            publishedDateTime="2026-10-29T00:00:00Z",
        ),
    )
    build_site(site)
    feed = parse_feed(site / "public/feed.xml")
    assert feed.entries[0].title == "Bell and tab"
    ET.parse(site / "public/sitemap.xml")


def test_article_open_graph_and_json_ld(site):
    page = soup(site / "public/news/story-7/index.html")
    og = {m["property"]: m["content"] for m in page.select("meta[property]")}
    assert og["og:type"] == "article" and og["og:title"] == "Story number 7"
    assert (
        og["og:image"] == "https://img.example/7.jpg"
        and og["og:image:width"] == "800"
        and og["og:image:height"] == "450"
    )
    assert og["article:published_time"] == "2026-10-08T07:07:00Z" and og["article:section"] == "AI"
    assert page.select_one('meta[name="twitter:card"]')["content"] == "summary_large_image"
    [script] = page.select('script[type="application/ld+json"]')
    data = json.loads(script.string)
    assert data["@type"] == "NewsArticle" and data["headline"] == "Story number 7"
    assert data["datePublished"] == "2026-10-08T07:07:00Z" and data["dateModified"] == "2026-11-02T00:00:00Z"
    assert data["image"] == ["https://img.example/7.jpg"]
    assert data["publisher"]["name"] == "Syndicated" and data["isBasedOn"] == "https://outlet1.example/story-7"
    assert "sameAs" not in data  # another outlet's article is the source, not the same item


def test_json_ld_omits_absent_values(site):
    write_article(
        site / "content",
        "bare.md",
        article_fields(81, slug="bare", images=None, topics=None, webUrl=None, excerpt=None, provider=None),
    )
    build_site(site)
    [script] = soup(site / "public/news/bare/index.html").select('script[type="application/ld+json"]')
    data = json.loads(script.string)
    assert {"image", "keywords", "isBasedOn", "description"}.isdisjoint(data) and data["headline"] == "Story number 81"

    def values(node):
        if isinstance(node, dict):
            for v in node.values():
                yield from values(v)
        elif isinstance(node, list):
            yield node
            for v in node:
                yield from values(v)
        else:
            yield node

    assert all(v not in (None, "", []) for v in values(data))


def test_json_ld_survives_hostile_titles(site):
    hostile = 'Break </script><script>window.__pwned=1</script> "quotes" & <!-- comment'
    write_article(
        site / "content", "hostile.md", article_fields(80, slug="hostile", title=hostile, excerpt="</script>x")
    )
    build_site(site)
    page = soup(site / "public/news/hostile/index.html")
    scripts = [s for s in page.find_all("script") if not s.get("src")]  # beside the theme's own script file
    assert [s.get("type") for s in scripts] == ["application/ld+json"]
    assert [s["src"].split(".")[0].rsplit("/", 2)[-2:] for s in page.find_all("script") if s.get("src")] == [
        ["js", "site"]
    ]
    data = json.loads(scripts[0].string)
    assert data["headline"] == page.h1.get_text()
    assert "</script" not in scripts[0].string.lower()


def test_collection_pages_have_item_lists(site):
    for path in ["topics/robotics/index.html", "providers/outlet0.example/page/2/index.html"]:
        page = soup(site / "public" / path)
        data = json.loads(page.select_one('script[type="application/ld+json"]').string)
        assert data["@type"] == "CollectionPage"
        items = data["mainEntity"]["itemListElement"]
        links = [a["href"] for a in page.select(".card-list .card-title a")]
        assert [i["url"] for i in items] == ["https://example.org" + h for h in links]
    first = json.loads(
        soup(site / "public/providers/outlet0.example/page/2/index.html")
        .select_one('script[type="application/ld+json"]')
        .string
    )["mainEntity"]["itemListElement"][0]
    assert first["position"] == 1  # positions within the page: a numbered page keeps its bytes as stories arrive


def test_json_api_pages_chain_through_every_published_article(site):
    out = site / "public"
    seen, url = [], BASE + "api/news/index.json"
    while url:
        document = json.loads((out / url.removeprefix(BASE)).read_text())
        assert set(document) == {"title", "page", "value", "nextPage"}
        seen += document["value"]
        url = document["nextPage"]
    assert len(seen) == 60 and len({i["slug"] for i in seen}) == 60
    item = next(i for i in seen if i["slug"] == "story-7")
    for key in (
        "path",
        "title",
        "type",
        "heat",
        "quality",
        "webUrl",
        "excerpt",
        "publishedDateTime",
        "provider",
        "images",
        "topics",
    ):
        assert key in item
    assert item["path"] == "/ai/news/story-7/" and item["provider"]["domain"] == "outlet1.example"
    assert item["topics"] == ["AI", "Robotics"] and item["images"][0]["width"] == 800
    topics = json.loads((out / "api/topics/index.json").read_text())
    assert {t["key"]: t["count"] for t in topics["value"]} == {"ai": 60, "robotics": 30, "vision": 30}
    robotics = json.loads((out / "api/topics/robotics/index.json").read_text())
    # 30 stories in pages of 4: page 1 takes the newest 6, then page 7 (the newest full chunk) down to page 2
    assert len(robotics["value"]) == 6 and robotics["nextPage"] == BASE + "api/topics/robotics/page/7/index.json"
    providers = json.loads((out / "api/providers/index.json").read_text())
    assert {p["key"] for p in providers["value"]} == {"outlet0.example", "outlet1.example", "outlet2.example"}
    for path, data in snapshot(out).items():
        assert b"SECRET-BLOB" not in data
        # Machine outputs never carry drafts, even in a preview; a day's e-mail edition (email.html and
        # email.txt) shows what its day page shows, drafts included in a preview, like the page.
        if path.endswith((".xml", ".json", ".txt")) and not path.endswith("/email.txt"):
            assert b"Unpublished draft" not in data and b"draft-story" not in data, path


def test_sitemap_splits_into_an_index_past_the_protocol_limit(site):
    from generator.build.builder import Builder, BuildOptions
    from generator.render.environment import make_environment, render_page

    builder = Builder(
        BuildOptions(content_dir=site / "content", output_dir=site / "public", config_path=site / "site.yaml")
    )
    builder.build()
    index, config = builder.state.index, builder.state.config
    html = [OutputPage(f"archive/{n}/index.html", "topics.html", "topics") for n in range(SITEMAP_LIMIT + 7)]
    shown = tuple(p for p in builder.state.pages if p.kind == "article")
    given = PlanInput(index, config, (*shown, *html), BY_NAME)
    pages = {p.path: p for kind in syndication.KINDS for p in kind.plan(given)}
    parts = ["sitemap-articles-1.xml", "sitemap-pages-1.xml", "sitemap-pages-2.xml"]
    assert set(parts) | {"sitemap.xml"} <= set(pages) and "sitemap-pages-3.xml" not in pages
    env = make_environment(config, [])
    root = ET.fromstring(
        render_page(
            env, pages["sitemap.xml"], {"page_path": "sitemap.xml", "sitemaps": pages["sitemap.xml"].stamp.entries}
        )
    )
    assert root.tag == SITEMAP_NS + "sitemapindex"
    assert [s.find(SITEMAP_NS + "loc").text for s in root] == [BASE + part for part in parts]
    second = ET.fromstring(
        render_page(
            env, pages["sitemap-pages-2.xml"], {"page_path": "x", "entries": pages["sitemap-pages-2.xml"].stamp.entries}
        )
    )
    assert len(second) == 7 and len(pages["sitemap-pages-1.xml"].stamp.entries) == SITEMAP_LIMIT
    articles = pages["sitemap-articles-1.xml"].stamp.entries
    assert len(articles) == len(shown) > 0 and all(path.startswith("news/") for path, _lastmod in articles)


def test_sitemap_parts_of_older_articles_keep_their_bytes_when_a_story_arrives(tmp_path, monkeypatch):
    """Past the limit, a new article changes the newest articles' part (and the other pages' part and the
    index, whose lastmods move), never a part of older articles; no part is over the limit."""
    monkeypatch.setattr(syndication, "SITEMAP_LIMIT", 10)  # articles in chunks of 5, the newest 5 to 9 together
    write_config(tmp_path, base_url=BASE, search=False)
    for n in range(20):
        write_article(
            tmp_path / "content",
            f"2026-10-{n + 1:02d}-s{n}.md",
            article_fields(
                n, title=f"Separate report number {n} on item{n}", publishedDateTime=f"2026-10-{n + 1:02d}T08:00:00Z"
            ),
        )
    build_site(tmp_path)
    before = {path: data for path, data in snapshot(tmp_path / "public").items() if path.startswith("sitemap")}
    write_article(
        tmp_path / "content",
        "2026-10-25-fresh.md",
        article_fields(99, title="A fresh report on quillons", publishedDateTime="2026-10-25T08:00:00Z"),
    )
    result = build_site(tmp_path)
    after = {path: data for path, data in snapshot(tmp_path / "public").items() if path.startswith("sitemap")}
    older = {f"sitemap-articles-{n}.xml" for n in (2, 3, 4)}
    assert {p for p in after if p.startswith("sitemap-articles-")} == {"sitemap-articles-1.xml", *older}
    changed = {path for path in after if before.get(path) != after[path]}
    assert {"sitemap.xml", "sitemap-articles-1.xml"} <= changed and not changed & older
    assert older.isdisjoint(result.report.written)
    urls_listed = []
    for path, data in after.items():
        root = ET.fromstring(data)
        if path != "sitemap.xml":
            assert len(root) <= 10, path
            urls_listed += [u.find(SITEMAP_NS + "loc").text for u in root]
    assert len(urls_listed) == len(set(urls_listed)) and BASE + "news/2026-10-25-fresh/" in urls_listed
    assert sum(BASE + "news/" in u for u in urls_listed) == 21


def test_every_feed_in_the_output_parses(site):
    out = site / "public"
    atom = sorted(p for p in out.rglob("feed.xml") if p.parent.name != "digest")
    json_feeds = sorted(p for p in out.rglob("feed.json") if p.parent.name != "digest")
    # The site, 3 topics and 3 providers, each with both formats (the digest's feeds: tests/site/test_digest.py).
    assert len(atom) == len(json_feeds) == 7
    for path in atom:
        feed = parse_feed(path)
        assert feed.version == "atom10" and feed.entries, path
        assert all(e.link.startswith(BASE + "news/") for e in feed.entries)
    for path in json_feeds:
        check_json_feed(json.loads(path.read_text()))
