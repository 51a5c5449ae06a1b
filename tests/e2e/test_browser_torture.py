"""Load every page built from the torture corpus in real Chromium: nothing from the content may run."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from browser import Browser
from helpers import write_config
from serving import ServeProcess

TORTURE = Path(__file__).resolve().parents[1] / "torture" / "content"


@pytest.fixture(scope="module")
def torture_server(tmp_path_factory):
    site = tmp_path_factory.mktemp("torture-browser")
    shutil.copytree(TORTURE, site / "content")
    write_config(site, page_size=10)
    process = ServeProcess(site)
    yield process
    assert process.stop() == 0


def test_no_content_script_runs_and_no_console_error(torture_server):
    pages = sorted(p.relative_to(torture_server.output).as_posix()
                   for p in (torture_server.output).rglob("*.html"))
    expected = yaml.safe_load((TORTURE.parent / "expected.yaml").read_text(encoding="utf-8"))
    articles = [p for p in pages if p.startswith("news/")]
    assert len(articles) == sum(1 for e in expected.values() if e["outcome"] != "skipped")  # serve shows drafts too
    browser = Browser()
    try:
        tab = browser.new_page()
        for path in pages:
            tab.events.clear()
            url = torture_server.url + path.removesuffix("index.html")
            tab.navigate(url)
            assert tab.evaluate("typeof window.__pwned") == "undefined", path
            assert tab.evaluate("document.querySelectorAll('iframe, object, embed').length") == 0, path
            assert tab.console_errors() == [], (path, tab.console_errors())
        tab.close()
    finally:
        browser.close()
