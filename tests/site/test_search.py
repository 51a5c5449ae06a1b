"""The search index as part of the build: what is indexed, the no-change rule, the off switch and failures."""
from __future__ import annotations

import json

from generator import search
from helpers import article_fields, build_site, snapshot, soup, write_article, write_config


def make_site(root, **settings):
    write_config(root, **settings)
    for n in range(6):
        write_article(root / "content", f"2026-11-{n + 1:02d}-s{n}.md", article_fields(n, topics=["AI", "Robotics"]))
    return root


def test_the_index_covers_articles_and_landing_pages_and_a_rebuild_writes_nothing(tmp_path):
    site = make_site(tmp_path)
    assert not build_site(site).failed
    entry = json.loads((site / "public/pagefind/pagefind-entry.json").read_text())
    # six articles, the topic and outlet landing pages (page 1 of each): list pages and feeds are left out
    assert entry["languages"]["en"]["page_count"] == 6 + 2 + 3
    article = soup(site / "public/news/2026-11-02-s1/index.html")
    body = article.select_one("[data-pagefind-body]")
    assert body.name == "article" and not body.find_parent("aside")
    assert {f.get_text() for f in body.select('[data-pagefind-filter="topic"]')} == {"AI", "Robotics"}
    assert body.select_one('[data-pagefind-filter="outlet"]').get_text() == "Outlet 1"
    assert soup(site / "public/index.html").select_one("form.site-search")["action"] == "/search/"
    before = snapshot(site / "public", search=True)
    again = build_site(site)
    assert again.report.written == [] and snapshot(site / "public", search=True) == before  # byte-identical, nothing rewritten


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
    assert {p: d for p, d in snapshot(site / "public", search=True).items() if p.startswith("pagefind/")} == index_before  # kept
    before = snapshot(site / "public", search=True)
    write_article(site / "content", "2026-11-10-newer.md", article_fields(10))
    strict = build_site(site, strict=True)
    assert strict.failed == "the search index could not be built (--strict)"
    assert snapshot(site / "public", search=True) == before  # nothing published
