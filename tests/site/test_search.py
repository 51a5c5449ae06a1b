"""The search index as part of the build: what is indexed, the no-change rule, the off switch and failures."""
from __future__ import annotations

import gzip
import json

from generator.search import pagefind as search
from helpers import article_fields, build_site, snapshot, soup, write_article, write_config


def page_counts(public) -> dict[str, int]:
    """Pages indexed in each bundle the search page loads, newest first."""
    bundles = json.loads((public / "pagefind/bundles.json").read_text())["bundles"]
    entries = {b: json.loads((public / b / "pagefind-entry.json").read_text()) for b in bundles}
    return {b: entry["languages"]["en"]["page_count"] for b, entry in entries.items()}


def make_site(root, **settings):
    write_config(root, **settings)
    for n in range(6):
        write_article(root / "content", f"2026-11-{n + 1:02d}-s{n}.md", article_fields(n, topics=["AI", "Robotics"]))
    return root


def test_the_index_covers_articles_and_landing_pages_and_a_rebuild_writes_nothing(tmp_path):
    site = make_site(tmp_path)
    assert not build_site(site).failed
    # Six articles, the topic and outlet landing pages (page 1 of each): list pages and feeds are left out. Split in
    # time at every size: 1 November (a Sunday) joins the week after it (a part is a whole week or more), and the
    # landing pages go with the newest week.
    assert page_counts(site / "public") == {"pagefind/2026-11-01/": 6 + 2 + 3}
    bundle = site / "public/pagefind/2026-11-01"
    assert (bundle / "pagefind.js").is_file() and (bundle / "pagefind-worker.js").is_file()
    assert list(bundle.glob("wasm.*.pagefind")) and not list(bundle.glob("pagefind-*ui*"))  # the API, not its UIs
    article = soup(site / "public/news/2026-11-02-s1/index.html")
    body = article.select_one("[data-pagefind-body]")
    assert body.name == "article" and not body.find_parent("aside")
    assert {f.get_text() for f in body.select('[data-pagefind-filter="topic"]')} == {"AI", "Robotics"}
    assert body.select_one('[data-pagefind-filter="outlet"]').get_text() == "Outlet 1"
    assert soup(site / "public/index.html").select_one("form.site-search")["action"] == "/search/"
    before = snapshot(site / "public", search=True)
    again = build_site(site)
    assert (
        again.report.written == [] and snapshot(site / "public", search=True) == before
    )  # byte-identical, nothing rewritten


def test_search_false_builds_no_index_and_no_search_page(tmp_path):
    site = make_site(tmp_path, search=False)
    build_site(site)
    assert not (site / "public/pagefind").exists() and not (site / "public/search").exists()
    assert soup(site / "public/index.html").select_one("form.site-search") is None


def test_without_a_working_pagefind_the_site_builds_and_says_so_once(tmp_path, monkeypatch):
    site = make_site(tmp_path)
    build_site(site)
    index_before = {p: d for p, d in snapshot(site / "public", search=True).items() if p.startswith("pagefind/")}
    monkeypatch.setattr(search, "pagefind_binary", lambda: None)
    write_article(site / "content", "2026-11-09-new.md", article_fields(9))
    result = build_site(site)
    [problem] = [p for p in result.problems if p.path == "search"]
    assert problem.severity == "warning" and "Pagefind binary is not installed" in problem.message
    assert "\n" not in str(problem) and not result.failed
    assert (site / "public/news/2026-11-09-new/index.html").is_file()
    assert {
        p: d for p, d in snapshot(site / "public", search=True).items() if p.startswith("pagefind/")
    } == index_before  # kept
    before = snapshot(site / "public", search=True)
    write_article(site / "content", "2026-11-10-newer.md", article_fields(10))
    strict = build_site(site, strict=True)
    assert strict.failed == "the search index could not be built (--strict)"
    assert snapshot(site / "public", search=True) == before  # nothing published


def test_the_index_is_split_in_time_and_a_new_story_reindexes_only_its_own_part(tmp_path):
    write_config(tmp_path, search={"split_above": 8})
    for n, day in enumerate(["2025-03-02", "2025-05-09", "2025-08-11", "2026-02-03", "2026-04-05", "2026-09-06"]):
        write_article(
            tmp_path / "content",
            f"{day}-s{n}.md",
            article_fields(n, publishedDateTime=f"{day}T10:00:00Z", topics=["AI"]),
        )
    assert not build_site(tmp_path).failed
    public = tmp_path / "public"
    # The newest month by week, then the longest calendar periods that hold few enough pages (landing pages go
    # newest).
    assert page_counts(public) == {"pagefind/2026-09-01/": 1 + 4, "pagefind/2026/": 2, "pagefind/2025/": 3}
    assert all((public / b / "pagefind.js").is_file() for b in page_counts(public))  # the page loads the first
    assert not (public / "pagefind/pagefind-entry.json").exists()
    before = snapshot(public, search=True)
    write_article(
        tmp_path / "content",
        "2026-10-01-new.md",
        article_fields(7, publishedDateTime="2026-10-01T10:00:00Z", topics=["AI"]),
    )
    written = build_site(tmp_path).report.written
    # September's weeks join the year's part, once; older parts are kept byte for byte, not re-indexed.
    assert list(page_counts(public)) == ["pagefind/2026-10-01/", "pagefind/2026/", "pagefind/2025/"]
    assert any(p.startswith("pagefind/2026-10-01/") for p in written)
    after = snapshot(public, search=True)
    assert not [p for p in written if p.startswith("pagefind/2025/")]
    files = {p: d for p, d in after.items() if p.startswith("pagefind/2025/")}
    assert files and files == {p: d for p, d in before.items() if p.startswith("pagefind/2025/")}
    # An edited headline in an older part (the build cache knows every other page as it was published).
    edited = tmp_path / "content/2026-04-05-s4.md"
    edited.write_text(edited.read_text().replace("title: ", "title: Zephyrine ", 1))
    written = build_site(tmp_path).report.written
    assert "news/2026-04-05-s4/index.html" in written
    assert any(p.startswith("pagefind/2026/") for p in written)
    assert not [p for p in written if p.startswith("pagefind/2025/")]  # (the newest holds the topic page listing it)
    (tmp_path / "content/2026-10-01-new.md").unlink()  # the newest week goes, and its bundle with it
    assert not build_site(tmp_path).failed
    assert "pagefind/2026-09-01/" in page_counts(public) and not (public / "pagefind/2026-10-01").exists()


def test_filters_leave_out_what_nearly_every_page_has_and_follow_when_that_changes(tmp_path):
    write_config(tmp_path)
    for n in range(24):
        write_article(
            tmp_path / "content",
            f"2026-11-{n % 20 + 1:02d}-f{n}.md",
            article_fields(n, topics=["AI", "Robotics" if n % 2 else "Energy"], type="video" if n == 3 else "article"),
        )
    build_site(tmp_path)

    def filters(slug):
        page = soup(tmp_path / f"public/news/{slug}/index.html")
        return (
            {f.get_text() for f in page.select('[data-pagefind-filter="topic"]')},
            [f.get_text() for f in page.select('[data-pagefind-filter="type"]')],
        )

    assert filters("2026-11-02-f1") == ({"Robotics"}, [])  # "AI" is on every article: no filter, no download for it
    assert filters("2026-11-04-f3") == ({"Robotics"}, ["video"])
    for n in range(24, 28):  # now "AI" is on 24 of 28 articles, under 90%: a filter again, on pages not edited
        write_article(tmp_path / "content", f"2026-11-0{n - 23}-g{n}.md", article_fields(n, topics=["Energy"]))
    build_site(tmp_path)
    assert filters("2026-11-02-f1") == ({"AI", "Robotics"}, [])


def fragments(public) -> dict[str, dict]:
    """Each indexed page's Pagefind fragment (what a result shows), by URL."""
    found = {}
    for path in (public / "pagefind").glob("*/fragment/*.pf_fragment"):
        data = gzip.decompress(path.read_bytes())
        fragment = json.loads(data[data.index(b"{") :])
        found[fragment["url"]] = fragment
    return found


def test_pagefind_reads_only_the_indexed_region_and_the_language(tmp_path):
    """Pictures of other stories (the sidebar's) never become a page's; a new language re-indexes every part."""
    site = make_site(tmp_path)
    write_article(site / "content", "2026-11-03-bare.md", article_fields(7, images=None, topics=["AI", "Robotics"]))
    assert not build_site(site).failed
    page = soup(site / "public/news/2026-11-03-bare/index.html")
    assert page.select("img")  # other stories' pictures: the bare article has none of its own
    bare = fragments(site / "public")["/news/2026-11-03-bare/"]
    assert bare["meta"]["title"] == "Story number 7" and "image" not in bare["meta"] and "thumb" not in bare["meta"]
    assert fragments(site / "public")["/news/2026-11-02-s1/"]["meta"]["thumb"] == "https://img.example/1.jpg"
    write_config(site, language="de")
    assert not build_site(site).failed
    entry = json.loads((site / "public/pagefind/2026-11-01/pagefind-entry.json").read_text())
    assert list(entry["languages"]) == ["de"]


def test_the_document_given_to_pagefind_keeps_the_marked_element_whole():
    page = (
        b'<!doctype html><html lang="ar" dir="rtl"><head><title>T</title></head><body><nav><img src="n.png"></nav>'
        b'<main id="m"><article class="story" data-pagefind-body><h1>Head</h1></article><p>after</p></main>'
        b'<aside><img src="other.jpg"></aside></body></html>'
    )
    document = search.indexed_document(page)
    assert document == (
        b'<html lang="ar" dir="rtl"><body><article class="story" data-pagefind-body><h1>Head</h1></article>'
        b"<p>after</p></main></body></html>"
    )
    assert search.region_digest(page) == search.region_digest(page.replace(b"other.jpg", b"changed.jpg"))
    assert search.region_digest(page) != search.region_digest(page.replace(b'lang="ar"', b'lang="en"'))
    unmarked = b"<html><body><main><h1>Head</h1></main></body></html>"
    assert search.indexed_document(unmarked) == unmarked  # a page without that shape is given whole
