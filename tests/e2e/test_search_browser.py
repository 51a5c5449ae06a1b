"""Search in real Chromium: a site built under a sub-path, served by a real HTTP server on 127.0.0.1."""
from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading

import pytest

from browser import CHROMIUM, Browser
from helpers import article_fields, build_site, write_article, write_config

if not shutil.which("chromium") and not os.path.exists(CHROMIUM):
    pytest.fail(f"Chromium is required for browser tests (install Debian's 'chromium'; .ci/run does): {CHROMIUM}", pytrace=False)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("search")
    site = root / "site"
    write_config(site, base_url="http://127.0.0.1/ai/")
    words = ["harbour", "glacier", "orchard", "lantern", "meadow", "quarry", "canyon", "citadel"]
    for n in range(16):
        title = f"The {words[n % 8]} report number {n}" + (" about Zephyrine turbines" if n == 5 else "")
        write_article(site / "content", f"2026-11-{n + 1:02d}-s{n}.md", article_fields(
            n, title=title, topics=["AI", "Robotics" if n % 2 else "Energy"], images=None,
            provider={"name": f"Outlet {n % 3}", "domain": f"o{n % 3}.example"}))
    result = build_site(site)
    assert not result.failed and not [p for p in result.problems if p.path == "search"], result.problems
    web = root / "web"
    web.mkdir()
    shutil.copytree(site / "public", web / "ai")  # the site lives under /ai/, as on its host
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(web))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    browser = Browser()
    yield f"http://127.0.0.1:{server.server_address[1]}/ai/", browser
    browser.close()
    server.shutdown()


RESULTS = "[...document.querySelectorAll('.pagefind-ui__result-link')].map(a => a.getAttribute('href'))"


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
    count = "parseInt(((document.querySelector('.pagefind-ui__message') || {}).textContent || '').trim()) || 0"
    everything = page.wait_for(count)
    page.wait_for("document.querySelector('input[type=checkbox][id*=Robotics]')")
    page.evaluate("document.querySelector('input[type=checkbox][id*=Robotics]').click()")
    narrowed = page.wait_for(f"({count}) !== {everything} && ({count})")
    assert narrowed == 8 and everything == 16, (everything, narrowed)


def test_the_header_form_leads_to_the_results(served):
    base, browser = served
    page = browser.new_page()
    page.navigate(base)
    page.evaluate("document.querySelector('#site-search-q').value = 'Zephyrine'; document.querySelector('.site-search').submit()")
    page.wait_for("location.pathname === '/ai/search/'")
    assert page.evaluate("location.search") == "?q=Zephyrine"
    assert page.wait_for(f"{RESULTS}.length && {RESULTS}")[0] == "/ai/news/2026-11-06-s5/"
