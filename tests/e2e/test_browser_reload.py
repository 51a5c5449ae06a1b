"""A real headless Chromium watches a page reload by itself after a file edit."""
from __future__ import annotations

import os
import shutil

import pytest

from browser import CHROMIUM, Browser
from helpers import article_fields, write_article, write_config
from serving import ServeProcess

if not shutil.which("chromium") and not os.path.exists(CHROMIUM):
    pytest.fail(
        f"Chromium is required for browser tests (install Debian's 'chromium'; .ci/run does): {CHROMIUM}", pytrace=False
    )


@pytest.fixture(scope="module")
def browser():
    instance = Browser()
    yield instance
    instance.close()


@pytest.fixture
def server(tmp_path):
    site = tmp_path / "site"
    write_config(site)
    for n in range(3):
        write_article(site / "content", f"2026-11-0{n + 1}-story-{n}.md", article_fields(n, images=None))
    process = ServeProcess(site)
    yield process
    assert process.stop() == 0


def test_page_reloads_itself_after_title_edit(browser, server):
    page = browser.new_page()
    page.navigate(server.url + "news/2026-11-02-story-1/")
    assert page.evaluate("document.querySelector('h1').textContent") == "Story number 1"
    page.evaluate("window.__beforeEdit = 'still here'")

    path = server.site / "content/2026-11-02-story-1.md"
    write_article(server.site / "content", path.name, article_fields(1, title="Headline changed on disk", images=None))

    page.wait_for(
        "document.querySelector('h1') && document.querySelector('h1').textContent === 'Headline changed on disk'"
    )
    assert page.evaluate("window.__beforeEdit") is None  # a real reload, not a patched DOM
    assert page.console_errors() == []
    page.close()


def test_overlay_shows_error_and_clears_after_fix(browser, server):
    page = browser.new_page()
    page.navigate(server.url)
    page.wait_for("document.readyState === 'complete'")
    bad = server.site / "content/2026-11-03-story-2.md"
    bad.write_text("---\ntitle: fine\npublishedDateTime: [nope\n---\n")
    text = page.wait_for(
        "document.getElementById('livereload-overlay') && document.getElementById('livereload-overlay').textContent"
    )
    assert "2026-11-03-story-2.md:3: error: invalid YAML" in text
    write_article(server.site / "content", bad.name, article_fields(2, title="Fixed again", images=None))
    page.wait_for("!document.getElementById('livereload-overlay') && document.body.textContent.includes('Fixed again')")
    page.close()


def test_css_change_swaps_stylesheet_without_reload(browser, server):
    page = browser.new_page()
    page.navigate(server.url)
    page.evaluate("window.__noReload = 1")
    (server.site / "static/css").mkdir(parents=True)
    (server.site / "static/css/site.css").write_text("body { background: rgb(1, 2, 3); }")
    page.wait_for("getComputedStyle(document.body).backgroundColor === 'rgb(1, 2, 3)'")
    assert page.evaluate("window.__noReload") == 1
    page.close()
