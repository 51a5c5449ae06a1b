"""Search in the preview: indexed in the background after rebuilds, swapped in whole, found by real Chromium."""
from __future__ import annotations

import json
import os
import shutil

import pytest

from browser import CHROMIUM, Browser
from helpers import article_fields, write_article, write_config
from serving import ServeProcess, wait_until

if not shutil.which("chromium") and not os.path.exists(CHROMIUM):
    pytest.fail(
        f"Chromium is required for browser tests (install Debian's 'chromium'; .ci/run does): {CHROMIUM}", pytrace=False
    )

RESULTS = "[...document.querySelectorAll('.search-result .search-title')].map(a => a.getAttribute('href'))"
INDEXED = "Search index updated"


def test_the_preview_indexes_in_the_background_and_search_follows_an_edit(tmp_path):
    site = tmp_path / "site"
    write_config(site, base_url="http://127.0.0.1/ai/")
    for n in range(6):
        write_article(
            site / "content",
            f"2026-11-0{n + 1}-s{n}.md",
            article_fields(
                n,
                title=f"Harbour report {n}" + (" on Zephyrine" if n == 4 else ""),
                images=None,
                **({"publishedDateTime": "2026-10-20T09:00:00Z"} if n == 0 else {}),  # an older part
            ),
        )
    server = ServeProcess(site)
    browser = Browser()
    try:
        wait_until(lambda: any(line.startswith(INDEXED) for line in server.lines), timeout=60, what="the first index")
        status, body = server.get("pagefind/bundles.json")
        assert status == 200 and json.loads(body)["bundles"] == ["pagefind/2026-11-01/", "pagefind/2026/"]
        assert not (
            server.output / "pagefind"
        ).exists()  # the index lives beside the preview, never in a published tree
        page = browser.new_page()
        page.navigate(server.url + "search/?q=Zephyrine")
        assert page.wait_for(f"{RESULTS}.length && {RESULTS}") == ["/ai/news/2026-11-05-s4/"]

        seen = len(server.lines)
        write_article(
            site / "content", "2026-11-02-s1.md", article_fields(1, title="Harbour report on Quorandel", images=None)
        )
        wait_until(
            lambda: any(line.startswith(INDEXED) for line in server.lines[seen:]), timeout=60, what="the new index"
        )
        after = server.lines[seen:]
        built = next(i for i, line in enumerate(after) if line.startswith("Built "))
        assert built < next(i for i, line in enumerate(after) if line.startswith(INDEXED))  # the reload never waited
        page.navigate(server.url + "search/?q=Quorandel")
        assert page.wait_for(f"{RESULTS}.length && {RESULTS}") == ["/ai/news/2026-11-02-s1/"]
        assert page.console_errors() == []

        seen = len(server.lines)
        for n in range(8):  # a burst of saves: each rebuilds at once, the index waits for the pause
            write_article(
                site / "content", "2026-11-03-s2.md", article_fields(2, title=f"Harbour draft {n}", images=None)
            )
            wait_until(
                lambda n=n: server.get("news/2026-11-03-s2/")[1].count(f"Harbour draft {n}".encode()),
                what=f"draft {n} built",
            )
        wait_until(lambda: any(line.startswith(INDEXED) for line in server.lines[seen:]), timeout=60, what="the index")
        server.wait_until_idle(quiet=2.5)
        assert sum(line.startswith(INDEXED) for line in server.lines[seen:]) == 1
    finally:
        browser.close()
        assert server.stop() == 0
