"""Search in real Chromium: a site built under a sub-path, served by a real HTTP server on 127.0.0.1."""
from __future__ import annotations

import json
import os
import shutil
import urllib.request

import pytest

from browser import CHROMIUM, Browser
from helpers import article_fields, build_site, write_article, write_config
from serving import serve_folder

if not shutil.which("chromium") and not os.path.exists(CHROMIUM):
    pytest.fail(
        f"Chromium is required for browser tests (install Debian's 'chromium'; .ci/run does): {CHROMIUM}", pytrace=False
    )


def build_under_sub_path(root, articles, **settings):
    """Build a site for https://.../ai/ and serve it from a real HTTP server under /ai/, as on its host."""
    site = root / "site"
    write_config(site, base_url="http://127.0.0.1/ai/", **settings)
    for name, fields in articles:
        write_article(site / "content", name, fields)
    result = build_site(site)
    assert not result.failed and not [p for p in result.problems if p.path == "search"], result.problems
    web = root / "web"
    web.mkdir()
    shutil.copytree(site / "public", web / "ai")
    return serve_folder(web)


@pytest.fixture(scope="module")
def browser():
    instance = Browser()
    yield instance
    instance.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory, browser):
    words = ["harbour", "glacier", "orchard", "lantern", "meadow", "quarry", "canyon", "citadel"]
    articles = []
    for n in range(16):
        title = f"The {words[n % 8]} report number {n}" + (" about Zephyrine turbines" if n == 5 else "")
        articles.append(
            (
                f"2026-11-{n + 1:02d}-s{n}.md",
                article_fields(
                    n,
                    title=title,
                    topics=["AI", "Robotics" if n % 2 else "Energy"],
                    images=None,
                    provider={"name": f"Outlet {n % 3}", "domain": f"o{n % 3}.example"},
                ),
            )
        )
    server = build_under_sub_path(tmp_path_factory.mktemp("search"), articles)
    yield f"http://127.0.0.1:{server.server_address[1]}/ai/", browser
    server.shutdown()


@pytest.fixture(scope="module")
def served_in_parts(tmp_path_factory, browser):
    """A site split in time: the newest month by week, then years; merged in the browser."""
    articles = [
        (
            f"{year}-0{month}-1{n}-p{year}{n}.md",
            article_fields(
                n,
                title=f"Observatory {'Quillon' if year == 2024 else 'Varrick'} survey {year} part {n}",
                publishedDateTime=f"{year}-0{month}-1{n}T08:00:00Z",
                images=None,
            ),
        )
        for year in (2024, 2025, 2026)
        for n, month in enumerate((2, 5, 8))
    ]
    # The best match for "Brightmere" is in the oldest part (its headline); the newest ones only mention it.
    articles[0][1]["title"] = "Brightmere telescope survey reaches the Quillon field"
    for _name, fields in articles[-3:]:
        fields["excerpt"] = f"{fields['excerpt']} A note on the Brightmere archive closes the report."
    server = build_under_sub_path(tmp_path_factory.mktemp("parts"), articles, search={"split_above": 5})
    yield f"http://127.0.0.1:{server.server_address[1]}/ai/", browser
    server.shutdown()


RESULTS = "[...document.querySelectorAll('.search-result .search-title')].map(a => a.getAttribute('href'))"


def test_a_word_only_one_headline_has_finds_that_article_first(served):
    base, browser = served
    page = browser.new_page()
    page.navigate(base + "search/?q=Zephyrine")
    links = page.wait_for(f"{RESULTS}.length && {RESULTS}")
    assert links[0] == "/ai/news/2026-11-06-s5/"
    assert page.console_errors() == []


def test_a_topic_filter_narrows_the_results(served):
    base, browser = served
    page = browser.new_page()
    page.navigate(base + "search/?q=report")
    count = "parseInt(document.querySelector('.search-status').textContent) || 0"  # "16 pages match ..."
    everything = page.wait_for(count)
    # Results' data is fetched ten at a time: "More results" fetches the rest.
    shown = "document.querySelectorAll('.search-result').length"
    assert page.wait_for(shown) == 10 and page.evaluate("document.querySelector('.search-next').hidden") is False
    page.evaluate("document.querySelector('.search-next').click()")
    assert page.wait_for(f"{shown} === 16 && {shown}") == 16
    assert page.evaluate("document.querySelector('.search-next').hidden") is True
    page.evaluate("document.querySelector('.search-filters').open = true")  # the filter lists load when opened
    box = "document.querySelector('.search-filters input[type=checkbox][name=topic][value=Robotics]')"
    page.wait_for(f"{box} !== null")
    page.evaluate(f"{box}.click()")
    narrowed = page.wait_for(f"({count}) !== {everything} && ({count})")
    assert narrowed == 8 and everything == 16, (everything, narrowed)


def test_the_header_form_leads_to_the_results(served):
    base, browser = served
    page = browser.new_page()
    page.navigate(base)
    page.evaluate(
        "document.querySelector('#site-search-q').value = 'Zephyrine'; document.querySelector('.site-search').submit()"
    )
    page.wait_for("location.pathname === '/ai/search/'")
    assert page.evaluate("location.search") == "?q=Zephyrine"
    assert page.wait_for(f"{RESULTS}.length && {RESULTS}")[0] == "/ai/news/2026-11-06-s5/"


def test_a_site_indexed_in_parts_is_searched_as_one(served_in_parts):
    base, browser = served_in_parts
    with urllib.request.urlopen(base + "pagefind/bundles.json") as response:
        keys = ("2026-08-10", "2026", "2025", "2024")
        assert json.load(response)["bundles"] == [f"pagefind/{key}/" for key in keys]
    page = browser.new_page()
    page.navigate(base + "search/?q=Quillon")  # only in 2024, the oldest part
    links = page.wait_for(f"{RESULTS}.length === 3 && {RESULTS}")
    assert sorted(links) == [f"/ai/news/2024-0{m}-1{n}-p2024{n}/" for n, m in enumerate((2, 5, 8))]
    page.navigate(base + "search/?q=observatory")  # in every part
    count = "document.querySelectorAll('.search-result').length"
    assert page.wait_for(f"({count}) === 8 && ({count})") == 8  # the first one says "telescope"
    # Ranking holds across parts: the headline match from the oldest part comes before the newer mentions.
    page.navigate(base + "search/?q=Brightmere")
    links = page.wait_for(f"{RESULTS}.length === 4 && {RESULTS}")
    assert links[0] == "/ai/news/2024-02-10-p20240/"
    assert page.console_errors() == []
