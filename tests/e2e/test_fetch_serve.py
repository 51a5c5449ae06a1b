"""The daily job with a preview open: ``fetch`` writes into content/ while ``serve`` runs, and the preview
shows the new stories without a restart (and never half a file)."""
from __future__ import annotations

import re
import subprocess
import sys

import yaml

from feed_server import feed_server
from helpers import article_fields, write_article, write_config
from serving import ServeProcess, wait_until


def test_serve_shows_what_fetch_writes(tmp_path):
    site = tmp_path / "site"
    write_config(site)
    write_article(site / "content", "2026-11-30-an-older-story.md", article_fields(1, title="An older story"))
    with feed_server() as feeds:
        (site / "feeds.yaml").write_text(
            yaml.safe_dump({"feeds": [feeds.base + "/rss.xml", feeds.base + "/feed.json"]})
        )
        server = ServeProcess(site)
        try:
            done = subprocess.run(
                [sys.executable, "-m", "generator", "fetch"], cwd=site, capture_output=True, text=True, timeout=60
            )
            assert done.returncode == 0, done.stderr
            wait_until(
                lambda: b"Port authority tests a robot crane" in server.get("")[1],
                what="the fetched RSS story on the home page",
            )
            wait_until(
                lambda: b"Tide sensors go online" in server.get("")[1],
                what="the fetched JSON Feed story on the home page",
            )
            server.wait_until_idle()
            assert not [line for line in server.lines if re.search(r"\b(?:warning|error):", line)], server.lines
        finally:
            assert server.stop() == 0
