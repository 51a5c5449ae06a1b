"""Build small inline sites into a temp folder and check the produced HTML's structure."""
from __future__ import annotations

import hashlib
import re

import pytest

from helpers import NOW, article_fields, build_site, snapshot, soup, write_article, write_config


@pytest.fixture
def site(tmp_path):
    content = tmp_path / "content"
    write_config(tmp_path, page_size=2)
    for n in range(1, 8):
        write_article(
            content,
            f"2026-11-{n:02d}-story-{n}.md",
            article_fields(n, topics=["AI", "Robotics" if n % 2 else "Vision"]),
        )
    return tmp_path


def test_every_page_kind_exists(site):
    result = build_site(site)
    out = site / "public"
    assert result.articles == 7 and result.skipped == 0
    for path in [
        "index.html",
        "page/2/index.html",
        "404.html",
        "css/site.css",
        "digest/index.html",
        "digest/2026-11-02/index.html",
        "digest/2026-11-02/email.html",
        "digest/2026-11-02/email.txt",
        "news/2026-11-01-story-1/index.html",
        "topics/index.html",
        "topics/ai/index.html",
        "topics/ai/page/3/index.html",
        "topics/robotics/index.html",
        "providers/index.html",
        "providers/outlet0.example/index.html",
    ]:
        assert (out / path).is_file(), path
    assert not (out / "page/3").exists()  # the two stories of the last two days are "Top stories" above the river


def test_pagination_links(site):
    build_site(site)
    first = soup(site / "public/index.html")
    assert [a.get_text() for a in first.select(".top-stories .headline-title a")] == [
        "Story number 6",
        "Story number 7",
    ]
    titles = [a.get_text() for a in first.select(".river-section:not(.top-stories) .headline-title a")]
    assert titles == ["Story number 5", "Story number 4", "Story number 3"]
    assert first.select_one('.pagination a[rel="next"]')["href"] == "/page/2/"
    assert first.select_one('.pagination a[rel="prev"]') is None
    last = soup(site / "public/page/2/index.html")
    assert last.select_one('a[rel="prev"]')["href"] == "/"
    assert last.select_one('a[rel="next"]') is None
    assert last.select_one('[aria-current="page"]').get_text() == "2"
    assert [a.get_text() for a in last.select(".river-section .headline-title a")] == [
        "Story number 2",
        "Story number 1",
    ]
    topic = soup(site / "public/topics/ai/page/3/index.html")  # lists keep their own pagination
    assert [a.get_text() for a in topic.select(".card-title a, .headline-title a")] == [
        "Story number 4",
        "Story number 3",
    ]
    assert topic.select_one('a[rel="next"]')["href"] == "/topics/ai/page/2/"  # older: page 2 is the oldest
    assert topic.select_one('a[rel="prev"]')["href"] == "/topics/ai/"  # newer: page 1 holds the newest three
    assert not (site / "public/topics/ai/page/4").exists()


def test_article_page_structure(site):
    write_article(
        site / "content",
        "2026-11-09-covered.md",
        article_fields(
            9,
            topics=["AI", "Robotics"],
            related=[
                {
                    "title": "Other take",
                    "webUrl": "https://other.example/x",
                    "publishedDateTime": "2026-11-09T10:00:00Z",
                    "provider": {"name": "Other Outlet", "domain": "other.example"},
                    "images": [{"url": "https://img.example/r.jpg", "width": 300, "height": 200}],
                },
                {
                    "title": "No link take",
                    "webUrl": "javascript:alert(1)",
                    "provider": {"name": "Third", "domain": "third.example"},
                },
            ],
        ),
    )
    build_site(site)
    page = soup(site / "public/news/2026-11-09-covered/index.html")
    assert page.h1.get_text() == "Story number 9"
    assert page.select_one("time")["datetime"] == "2026-11-10T09:00:00Z"
    badge = page.select_one(".story .provider-badge")
    assert badge["href"] == "/providers/outlet0.example/" and "Outlet 0" in badge.get_text()
    assert [a["href"] for a in page.select(".story .topic-list a")] == ["/topics/ai/", "/topics/robotics/"]
    read_more = page.select_one(".read-more a")
    assert read_more["href"] == "https://outlet0.example/story-9" and "Outlet 0" in read_more.get_text()
    # The other outlets' coverage, in the main column under the summary; no story here: no link to one.
    assert page.select_one(".story .coverage-block h2").get_text(strip=True) == "Also covered by 2 outlets"
    assert page.select_one(".coverage-block h2 a") is None and page.select_one(".sidebar .coverage-block") is None
    also = page.select(".coverage-item")
    assert [li.select_one(".coverage-outlet").get_text() for li in also] == ["Other Outlet", "Third"]
    assert (
        also[0].a["href"] == "https://other.example/x" and also[0].select_one(".coverage-thumb img")["width"] == "300"
    )
    assert [item.select_one(".coverage-logo .monogram").get_text() for item in also] == ["O", "T"]
    assert also[1].a is None  # the javascript: link was dropped
    more = [a["href"] for a in page.select(".more-on .mini-title")]
    assert 1 <= len(more) <= 5 and "/news/2026-11-09-covered/" not in more
    assert page.select_one(".more-on h2 a")["href"] == "/topics/robotics/"  # the rarer topic names the block


def test_images_have_sizes_alt_and_load_lazily_below_the_fold(site):
    write_config(site, page_size=20)  # every card on one page
    build_site(site)
    article = soup(site / "public/news/2026-11-01-story-1/index.html")
    lead = article.select_one(".lead-image img")
    assert lead["width"] == "800" and lead["height"] == "450" and lead.has_attr("alt")
    assert not lead.has_attr("loading") and lead["fetchpriority"] == "high"
    byline = article.select_one(".story header .provider-badge img")
    assert byline is None or not byline.has_attr("loading")  # the byline's logo is above the fold
    for page in ["index.html", "topics/ai/index.html", "news/2026-11-01-story-1/index.html"]:
        for img in soup(site / "public" / page).find_all("img"):
            assert img.has_attr("width") and img.has_attr("height") and img.has_attr("alt")
    # A list: the first card's thumbnail loads first, the next three at once, the rest lazily.
    thumbs = soup(site / "public/topics/ai/index.html").select(".card-thumb img")
    assert len(thumbs) > 5
    assert thumbs[0]["fetchpriority"] == "high" and not thumbs[0].has_attr("loading")
    assert all(not img.has_attr("loading") and not img.has_attr("fetchpriority") for img in thumbs[1:4])
    assert all(img["loading"] == "lazy" for img in thumbs[4:])
    assert all(img["loading"] == "lazy" for img in article.select(".sidebar img"))


def test_article_without_images_has_no_placeholder(site):
    write_article(site / "content", "2026-11-20-bare.md", article_fields(20, images=None, provider=None, topics=None))
    build_site(site)
    page = soup(site / "public/news/2026-11-20-bare/index.html")
    assert page.select(".story img") == [] and page.select_one(".lead-image") is None
    assert page.h1.get_text() == "Story number 20"


def test_hostile_title_is_neutralised_and_escaped(site):
    hostile = '<script>window.__pwned=1</script>"><img src=x onerror=alert(1)> 1 < 2 & </script'
    write_article(
        site / "content", "2026-11-21-x.md", article_fields(21, publishedDateTime="2026-11-21T00:00:00Z", title=hostile)
    )
    build_site(site)
    for page in ["index.html", "news/2026-11-21-x/index.html", "topics/ai/index.html"]:
        parsed = soup(site / "public" / page)
        # Only structured data and the theme's own script file (nothing inline that could run).
        scripts = parsed.find_all("script")
        assert [s.get("type") for s in scripts if not s.get("src")] in ([], ["application/ld+json"])
        assert all(re.fullmatch(r"/js/site\.[0-9a-f]+\.js", s["src"]) and not s.string for s in scripts if s.get("src"))
        assert not [tag for tag in parsed.find_all(True) if any(a.startswith("on") for a in tag.attrs)]
        assert "1 &lt; 2 &amp; &lt;/script" in (site / "public" / page).read_text()
    title = soup(site / "public/news/2026-11-21-x/index.html").h1.get_text()
    assert title == 'window.__pwned=1 "> 1 < 2 & </script'


def test_secured_value_appears_nowhere(site):
    build_site(site)
    for path, data in snapshot(site / "public").items():
        assert b"SECRET-BLOB" not in data and b"secured" not in data, path


def test_sub_path_base_url(site):
    write_config(site, base_url="https://example.org/ai/", page_size=3)
    (site / "content/assets").mkdir()
    (site / "content/assets/logo.png").write_bytes(b"\x89PNG fake")
    write_article(
        site / "content",
        "2026-11-22-logo.md",
        article_fields(
            22,
            provider={
                "name": "Logo Co",
                "domain": "logo.example",
                "images": [{"url": "/assets/logo.png", "width": 50, "height": 50}],
            },
        ),
    )
    build_site(site)
    page = soup(site / "public/news/2026-11-22-logo/index.html")
    assert page.select_one('link[rel="canonical"]')["href"] == "https://example.org/ai/news/2026-11-22-logo/"
    stylesheet = page.select_one('link[rel="stylesheet"]')["href"]
    assert re.fullmatch(r"/ai/css/site\.[0-9a-f]{10}\.css", stylesheet)
    assert page.select_one(".provider-logo")["src"] == "/ai/assets/logo.png"
    assert (site / "public/assets/logo.png").read_bytes() == b"\x89PNG fake"
    internal = [a["href"] for a in page.find_all("a") if not a["href"].startswith("http")]
    assert internal and all(h.startswith("/ai/") or h == "#main" for h in internal)


def test_unpublished_left_out_or_marked(site):
    write_article(site / "content", "2026-11-23-draft.md", article_fields(23, title="Secret draft", published=False))
    result = build_site(site)
    assert result.unpublished_left_out == 1
    assert not (site / "public/news/2026-11-23-draft").exists()
    assert all(b"Secret draft" not in data for data in snapshot(site / "public").values())
    topics = soup(site / "public/topics/index.html")
    assert topics.select_one('a[href="/topics/ai/"]').find_next(class_="count").get_text() == "7"

    build_site(site, include_unpublished=True)
    page = soup(site / "public/news/2026-11-23-draft/index.html")
    assert page.select_one('meta[name="robots"]')["content"] == "noindex"
    assert page.select_one(".badge-unpublished").get_text() == "Unpublished"
    assert soup(site / "public/news/2026-11-01-story-1/index.html").select_one('meta[name="robots"]') is None


def test_second_build_writes_nothing(site):
    first = build_site(site)
    before = {p: p.stat().st_mtime_ns for p in (site / "public").rglob("*") if p.is_file()}
    second = build_site(site)
    assert len(first.report.written) == len(before) - 1  # and the ownership mark
    assert second.report.written == [] and second.report.removed == []
    assert second.report.unchanged == len(before) - 1
    assert {p: p.stat().st_mtime_ns for p in (site / "public").rglob("*") if p.is_file()} == before


def test_removed_article_removes_its_pages_but_keeps_dotfiles(site):
    build_site(site)
    (site / "public/.git").mkdir()
    (site / "public/.git/HEAD").write_text("ref")
    (site / "content/2026-11-01-story-1.md").unlink()
    result = build_site(site)
    assert "news/2026-11-01-story-1/index.html" in result.report.removed
    assert not (site / "public/news/2026-11-01-story-1").exists()
    assert (site / "public/.git/HEAD").read_text() == "ref"


def test_bad_file_is_skipped_and_the_rest_builds(site):
    (site / "content/broken.md").write_text("---\ntitle: [oops\n---\n")
    result = build_site(site)
    assert result.skipped == 1 and result.articles == 7
    [error] = result.errors
    assert str(error).startswith("broken.md:2: error: invalid YAML")
    assert "1 skipped" in result.summary()


def test_strict_mode_leaves_output_untouched(site):
    build_site(site)
    before = snapshot(site / "public")
    write_article(site / "content", "2026-11-24-new.md", article_fields(24))
    (site / "content/broken.md").write_text("---\nexcerpt: no title\n---\n")
    result = build_site(site, strict=True)
    assert result.failed and snapshot(site / "public") == before
    assert not list(site.glob(".public.staging-*"))


def test_template_error_leaves_output_untouched(site):
    build_site(site)
    before = snapshot(site / "public")
    (site / "templates").mkdir()
    (site / "templates/topic.html").write_text(
        "{% extends 'base.html' %}{% block content %}{{ no_such_variable }}{% endblock %}"
    )
    write_article(site / "content", "2026-11-24-new.md", article_fields(24))
    from generator.render.environment import RenderError

    with pytest.raises(RenderError, match=r"topic.html:1: template error"):
        build_site(site)
    assert snapshot(site / "public") == before
    assert not list(site.glob(".public.staging-*"))


def test_site_templates_override_the_theme(site):
    (site / "templates/partials").mkdir(parents=True)
    (site / "templates/partials/provider_badge.html").write_text(
        "{% macro provider_badge(provider, key, eager=False) %}"
        "<b class='custom-badge'>{{ provider.name }}</b>{% endmacro %}"
    )
    build_site(site)
    page = soup(site / "public/news/2026-11-01-story-1/index.html")
    assert page.select_one(".custom-badge").get_text() == "Outlet 1"


def test_topic_and_provider_metadata(site):
    data = site / "content/_data"
    (data / "topics").mkdir(parents=True)
    (data / "topics/robotics.yaml").write_text(
        "_id: robotics\nname: Robotics\ndescription: Machines **that move**.\n---\n"
    )
    (data / "organizations").mkdir(parents=True)
    (data / "organizations/outlet1.example").write_text(
        "---\n_id: outlet1.example\nname: Outlet One Proper\ndomain: outlet1.example\n"
        "images:\n  - url: /assets/o1.png\n    width: 50\n    height: 50\n---"
    )
    (site / "content/assets").mkdir()
    (site / "content/assets/o1.png").write_bytes(b"\x89PNG logo")
    result = build_site(site)
    assert result.problems == []
    topic = soup(site / "public/topics/robotics/index.html")
    assert topic.select_one(".description strong").get_text() == "that move"
    provider = soup(site / "public/providers/outlet1.example/index.html")
    assert provider.h1.get_text() == "Outlet One Proper"
    assert provider.select_one(".provider-logo-large")["src"] == "/assets/o1.png"
    assert not (site / "public/_data").exists()


def test_missing_site_relative_images_warn_once_and_fall_back(tmp_path):
    from generator.build.builder import Builder, BuildOptions, Changes

    site = tmp_path
    write_config(site)
    logo = {"url": "/assets/logos/x.png", "width": 64, "height": 64}
    for n in range(3):
        write_article(
            site / "content",
            f"2026-11-0{n + 1}-s{n}.md",
            article_fields(
                n,
                provider={"name": "Xenon Times", "domain": "xenon.example", "images": [logo]},
                images=[{"url": "/assets/photos/missing.jpg", "width": 800, "height": 450}],
            ),
        )
    builder = Builder(
        BuildOptions(content_dir=site / "content", output_dir=site / "out", config_path=site / "site.yaml", now=NOW),
        preview=True,
    )
    result = builder.build()
    missing = sorted(str(p) for p in result.warnings if "is not a file of the site" in p.message)
    assert missing == [  # the folders really searched, as the build was told of them
        f"2026-11-01-s0.md: warning: image /assets/logos/x.png is not a file of the site (looked for "
        f"{site}/content/assets/logos/x.png or {site}/static/assets/logos/x.png); not shown",
        f"2026-11-01-s0.md: warning: image /assets/photos/missing.jpg is not a file of the site (looked for "
        f"{site}/content/assets/photos/missing.jpg or {site}/static/assets/photos/missing.jpg); not shown",
    ]
    page = soup(site / "out/providers/xenon.example/index.html")
    assert page.select_one(".provider-logo-large").get_text() == "X" and not page.select("img[src^='/assets/']")
    assert not soup(site / "out/news/2026-11-01-s0/index.html").select("img[src^='/assets/']")
    # The logo arrives: every page showing the outlet picks it up, and the warning goes.
    (site / "content/assets/logos").mkdir(parents=True)
    (site / "content/assets/logos/x.png").write_bytes(b"\x89PNG fake")
    result = builder.build(Changes(content=frozenset(["assets/logos/x.png"])))
    assert len([p for p in result.warnings if "is not a file of the site" in p.message]) == 1
    page = soup(site / "out/providers/xenon.example/index.html")
    assert page.select_one(".provider-logo-large")["src"] == "/assets/logos/x.png"
    card = soup(site / "out/providers/index.html").select_one(".provider-logo")
    assert card.name == "img" and card["src"] == "/assets/logos/x.png"
    builder.close()


def test_stylesheets_are_linked_by_content_hash_and_icons_exist(site):
    build_site(site)
    out = site / "public"
    css = (out / "css/site.css").read_bytes()
    hashed = f"css/site.{hashlib.sha256(css).hexdigest()[:10]}.css"
    assert (out / hashed).read_bytes() == css
    for page in ("index.html", "news/2026-11-01-story-1/index.html", "404.html"):
        head = soup(out / page).head
        assert head.select_one('link[rel="stylesheet"]')["href"] == "/" + hashed
        assert {link["href"] for link in head.select('link[rel="icon"], link[rel="apple-touch-icon"]')} == {
            "/favicon.ico",
            "/favicon.svg",
            "/apple-touch-icon.png",
        }
    ico = (out / "favicon.ico").read_bytes()
    assert ico[:4] == b"\0\0\1\0" and int.from_bytes(ico[4:6], "little") >= 2  # an icon directory with 16 and 32 px
    touch = (out / "apple-touch-icon.png").read_bytes()
    assert touch[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(touch[16:20], "big") == 180
    # A changed stylesheet gets a new name; the old one is removed, the plain name stays.
    (site / "static/css").mkdir(parents=True)
    (site / "static/css/site.css").write_bytes(css + b"\n.extra { color: red; }\n")
    build_site(site)
    [link] = {soup(out / "index.html").select_one('link[rel="stylesheet"]')["href"]} - {"/" + hashed}
    assert (out / link.lstrip("/")).read_bytes().endswith(b".extra { color: red; }\n") and not (out / hashed).exists()
    assert soup(out / "news/2026-11-01-story-1/index.html").select_one('link[rel="stylesheet"]')["href"] == link


def test_a_topic_on_nearly_every_story_gets_no_pill(tmp_path):
    for n in range(24):
        topics = ["AI", "Robotics" if n % 2 else "Vision"] if n else ["Robotics"]
        write_article(tmp_path / "content", f"2026-11-{n % 20 + 1:02d}-p{n}.md", article_fields(n, topics=topics))
    write_config(tmp_path, page_size=30)
    build_site(tmp_path)
    public = tmp_path / "public"

    def pills(page):
        return [a.get_text() for a in soup(public / page).select(".topic-list a")]

    assert "AI" not in pills("topics/robotics/index.html") and "Robotics" in pills("topics/robotics/index.html")
    assert "AI" not in pills("news/2026-11-02-p1/index.html") and "Robotics" in pills("news/2026-11-02-p1/index.html")
    assert "AI" in [a.get_text() for a in soup(public / "topics/index.html").select("a")]  # still a topic, with a page
    assert (public / "topics/ai/index.html").is_file()
