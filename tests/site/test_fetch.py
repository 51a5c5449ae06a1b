"""``newsdigest fetch`` as a user runs it (a real subprocess) against real feeds on a real local HTTP server:
files in the crawler's format that the build reads with no warning, nothing written twice, failures in one
line each, a polite client (conditional requests, gzip, Retry-After, redirects), hostile feeds harmless."""
from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml

from feed_server import FeedServer, feed_server
from generator import __version__
from helpers import article_fields, build_site, soup, write_article, write_config

GOOD = ["/rss.xml", "/atom.xml", "/feed.json", "/old.xml", "/conditional.xml"]
FAILING = {
    "/broken.xml": "malformed XML",
    "/slow.xml": "timed out",
    "/busy.xml": "HTTP 429",
    "/laughs.xml": "declares XML entities",
    "/endless.xml": "larger than the 1 MB limit",
    "/page.html": "an HTML page, not a feed",
    "/loop.xml": "more than 5 redirects",
    "/missing.xml": "HTTP 404",
}


@pytest.fixture(scope="module")
def server() -> Iterator[FeedServer]:
    with feed_server() as running:
        yield running


def make_site(root: Path, server: FeedServer, paths: list[str]) -> Path:
    content = root / "content"
    (content / "_data" / "topics").mkdir(parents=True)
    (content / "_data" / "topics" / "robotics.yaml").write_text("name: Robotics\nkeywords: [robot, crane]\n")
    (content / "_data" / "topics" / "energy.yaml").write_text("name: Energy\nkeywords: [solar, LED]\n")
    feeds = [{"url": server.base + path} for path in paths]
    feeds[0].update(name="The Harbour Gazette", topics=["Harbour"])
    (root / "feeds.yaml").write_text(
        yaml.safe_dump({"settings": {"timeout": 1.5, "connect_timeout": 1, "max_mb": 1}, "feeds": feeds})
    )
    write_config(root)
    return content


def fetch(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator", "fetch", *args], cwd=site, capture_output=True, text=True, timeout=120
    )


def articles(content: Path) -> dict[str, dict[str, object]]:
    return {p.name: yaml.safe_load(p.read_text().split("---\n")[1]) for p in sorted(content.glob("*.md"))}


def test_fetch_writes_crawler_files_once_and_the_build_reads_them_cleanly(tmp_path: Path, server: FeedServer) -> None:
    content = make_site(tmp_path, server, GOOD)
    first = fetch(tmp_path)
    assert first.returncode == 0, first.stderr
    written = articles(content)
    # 2 RSS (one javascript: link dropped, the script-titled one kept as text), 1 of 2 Atom (the other is the
    # RSS crane story under tracking parameters), 2 JSON, 1 moved, 1 conditional.
    assert len(written) == 8, sorted(written)
    assert "Fetched 5 feeds: 8 new articles" in first.stdout

    crane = written["2026-12-01-port-authority-tests-a-robot-crane-on-the-night-shift.md"]
    assert crane["webUrl"] == f"{server.base}/2026/robot-crane?id=7"  # utm_* gone, the story's own id kept
    assert crane["excerpt"] == "HARBOURTOWN (Gazette) - The crane moved forty containers without a driver."
    assert crane["publishedDateTime"].isoformat() == "2026-12-01T07:30:00+00:00"
    assert crane["provider"] == {
        "name": "The Harbour Gazette",
        "domain": "127.0.0.1",
        "images": [{"url": f"{server.base}/img/logo.png", "width": 64, "height": 64}],
    }
    assert crane["topics"] == ["Harbour", "Robotics"]  # from the feeds file, then by keyword
    assert crane["images"] == [
        {"url": f"{server.base}/img/crane.jpg", "width": 1600, "height": 900},
        {"url": f"{server.base}/img/crane-small.jpg", "width": 320, "height": 180},
    ]
    assert crane["type"] == "article" and crane["published"] is True
    roof = next(a for a in written.values() if "solar roof" in str(a["title"]))
    assert roof["images"] == [
        {"url": f"{server.base}/img/roof.png", "width": 1200, "height": 800}
    ]  # size read from the picture
    assert roof["excerpt"] == "Panels will cover the waiting hall by spring & feed the ticket machines."
    assert roof["topics"] == ["Harbour", "Energy"]
    video = next(a for a in written.values() if "control room" in str(a["title"]))
    assert video["type"] == "video" and video["provider"]["name"] == "Coastline Tech Weekly"
    assert (
        video["excerpt"] == "Operators now watch every berth from one room. The harbour’s pilots moved in first."
    )  # mojibake repaired
    tide = next(a for a in written.values() if "Tide sensors" in str(a["title"]))
    assert tide["publishedDateTime"].isoformat() == "2026-12-01T05:45:00+00:00"
    assert tide["images"] == [{"url": f"{server.base}/img/tide.jpg", "width": 1024, "height": 576}]
    assert tide["excerpt"] == "Readings every minute feed the flood warning map."
    untitled = next(a for a in written.values() if "boat show" in str(a["excerpt"]))
    assert untitled["title"].startswith("The winter boat show moves indoors") and untitled["type"] == "video"
    hostile = next(a for a in written.values() if "Ferry timetable" in str(a["title"]))
    assert hostile["title"] == "Ferry timetable changes for winter" and "images" not in hostile
    everything = "".join(p.read_text() for p in content.glob("*.md"))
    assert "javascript:" not in everything and "<script" not in everything and "alert" not in everything

    result = build_site(tmp_path, now=datetime.now(timezone.utc))
    assert not result.failed
    assert [p for p in result.problems if p.severity != "note"] == []
    assert result.articles == 8 and result.skipped == 0
    assert not list((tmp_path / "public").rglob(".fetch*"))  # the state and lock are never published
    page = soup(tmp_path / "public" / "index.html")
    assert "Port authority tests a robot crane" in page.get_text()

    state = json.loads((content / ".fetch-state.json").read_text())
    assert state["feeds"][server.base + "/old.xml"]["moved_to"] == server.base + "/moved.xml"
    assert state["feeds"][server.base + "/old.xml"]["redirects"] == [[301, server.base + "/moved.xml"]]
    assert f"warning: {server.base}/old.xml: moved permanently to {server.base}/moved.xml" in first.stderr
    assert state["feeds"][server.base + "/conditional.xml"]["etag"] == '"pier-v1"'

    before = {p.name: p.read_bytes() for p in content.iterdir() if p.is_file()}
    requests_before = len(server.requests)
    second = fetch(tmp_path)
    assert second.returncode == 0, second.stderr
    assert "0 new articles" in second.stdout
    after = {p.name: p.read_bytes() for p in content.iterdir() if p.is_file()}
    assert {k: v for k, v in after.items() if k != ".fetch-state.json"} == {
        k: v for k, v in before.items() if k != ".fetch-state.json"
    }
    asked = server.requests[requests_before:]
    assert f"{server.base}/conditional.xml: not modified" in second.stdout
    conditional = [r.headers for r in asked if r.path == "/conditional.xml"]
    assert conditional and conditional[0]["if-none-match"] == '"pier-v1"'
    assert "/old.xml" not in [r.path for r in asked] and "/moved.xml" in [
        r.path for r in asked
    ]  # the move is remembered
    assert not any(r.path.startswith("/img/") for r in asked)  # sizes are asked for new entries only

    # An editor deletes a fetched story: it stays deleted. A lost state costs conditional requests, not duplicates.
    (content / "2026-12-01-lighthouse-gets-a-new-lamp.md").unlink()
    assert "0 new articles" in fetch(tmp_path).stdout
    (content / ".fetch-state.json").write_text('{"version": 1, "feeds": {')
    third = fetch(tmp_path)
    assert third.returncode == 0 and "unreadable (JSONDecodeError); starting afresh" in third.stderr
    # Only the deleted story comes back (nothing remembers its deletion now); the others are found by their URLs.
    assert "1 new article in" in third.stdout and sorted(p.name for p in content.glob("*.md")) == sorted(written)


def test_every_request_is_polite(tmp_path: Path, server: FeedServer) -> None:
    make_site(tmp_path, server, ["/conditional.xml"])
    listed = yaml.safe_load((tmp_path / "feeds.yaml").read_text())
    listed["settings"]["contact"] = "editor@mysite.example"
    (tmp_path / "feeds.yaml").write_text(yaml.safe_dump(listed))
    start = len(server.requests)
    assert fetch(tmp_path).returncode == 0
    headers = server.requests[start].headers
    assert headers["user-agent"].startswith(f"newsdigest/{__version__} (") and headers["user-agent"].endswith(
        "; +editor@mysite.example)"
    )
    assert "gzip" in headers["accept-encoding"]
    assert "application/rss+xml" in headers["accept"]
    assert len(articles(tmp_path / "content")) == 1  # read through gzip


def test_one_request_at_a_time_per_host_feeds_and_pictures_alike(tmp_path: Path, server: FeedServer) -> None:
    # Three feeds on "localhost" and three on "127.0.0.1" (one server): two workers at once, whose pictures
    # all live on 127.0.0.1.
    make_site(tmp_path, server, ["/rss.xml", "/conditional.xml", "/moved.xml"])
    listed = yaml.safe_load((tmp_path / "feeds.yaml").read_text())
    other = server.base.replace("127.0.0.1", "localhost")
    listed["feeds"] += [{"url": other + path} for path in ("/feed.json", "/atom.xml", "/rss.xml?again")]
    (tmp_path / "feeds.yaml").write_text(yaml.safe_dump(listed))
    server.most_in_flight.clear()
    done = fetch(tmp_path)
    assert done.returncode == 0, done.stderr
    assert set(server.most_in_flight) == {"127.0.0.1", "localhost"}
    assert server.most_in_flight == {"127.0.0.1": 1, "localhost": 1}, server.most_in_flight


def test_each_failing_feed_is_one_line_and_the_others_still_run(tmp_path: Path, server: FeedServer) -> None:
    content = make_site(tmp_path, server, ["/moved.xml", *FAILING])
    done = fetch(tmp_path, "--quiet")
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == len(FAILING), done.stderr
    for path, reason in FAILING.items():
        assert any(line.startswith(f"error: {server.base}{path}: ") and reason in line for line in errors), (
            path,
            done.stderr,
        )
    assert "Traceback" not in done.stderr
    assert list(articles(content)) == ["2026-12-01-lighthouse-gets-a-new-lamp.md"]
    assert f"; {len(FAILING)} failed." in done.stderr

    start = len(server.requests)
    again = fetch(tmp_path)
    assert "/busy.xml" not in server.paths()[start:]  # Retry-After: 3600 is honoured across runs
    assert f"{server.base}/busy.xml: skipped: the server asked not to be asked again before" in again.stdout


def test_a_second_fetch_waits_for_the_first(tmp_path: Path, server: FeedServer) -> None:
    content = make_site(tmp_path, server, ["/slow.xml"])
    first = subprocess.Popen(
        [sys.executable, "-m", "generator", "fetch"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(100):  # until the first run holds the lock and waits on the slow feed
            if any(r.path == "/slow.xml" for r in server.requests[-3:]):
                break
            time.sleep(0.05)
        second = fetch(tmp_path)
        assert second.returncode == 2 and "another fetch is running" in second.stderr
    finally:
        first.communicate(timeout=60)
    assert not list(content.glob("*.md"))


def test_fetch_never_touches_an_existing_file_and_knows_its_stories(tmp_path: Path, server: FeedServer) -> None:
    content = make_site(tmp_path, server, ["/moved.xml", "/conditional.xml"])
    # An editor's copy of the dockside story (another file name, the URL with tracking) and a file that
    # holds the name the pier story would take.
    mine = write_article(
        content, "my-lamp.md", article_fields(1, webUrl="https://dockside.example/lamp?utm_campaign=x")
    )
    taken = write_article(content, "2026-12-01-pier-reopens-after-storm-repairs.md", article_fields(2))
    kept = {mine: mine.read_bytes(), taken: taken.read_bytes()}
    done = fetch(tmp_path)
    assert done.returncode == 0, done.stderr
    assert all(path.read_bytes() == data for path, data in kept.items())
    assert sorted(articles(content)) == [
        "2026-12-01-pier-reopens-after-storm-repairs-2.md",
        "2026-12-01-pier-reopens-after-storm-repairs.md",
        "my-lamp.md",
    ]


def rss_item(guid: str, link: str, title: str) -> str:
    return (
        f"<item><guid>{guid}</guid><link>{link}</link><title>{title}</title>"
        "<pubDate>Tue, 01 Dec 2026 03:00:00 GMT</pubDate><description>Text.</description></item>"
    )


def test_an_entry_is_known_by_its_id_or_its_url(tmp_path: Path, server: FeedServer) -> None:
    content = make_site(tmp_path, server, ["/changing.xml"])
    feed = '<?xml version="1.0"?><rss version="2.0"><channel><title>Wharf Wire</title>{}</channel></rss>'
    server.changing["/changing.xml"] = feed.format(rss_item("w-1", "https://wharf.example/a", "First headline"))
    assert fetch(tmp_path).returncode == 0
    # The outlet moves the story to another URL and retitles it (same guid); then a new guid reuses the old URL.
    server.changing["/changing.xml"] = feed.format(
        rss_item("w-1", "https://wharf.example/a-moved", "Retitled headline")
        + rss_item("w-2", "https://wharf.example/a?utm_source=x", "Third try")
    )
    second = fetch(tmp_path)
    assert second.returncode == 0 and "0 new articles" in second.stdout
    server.changing["/changing.xml"] = feed.format(rss_item("w-3", "https://wharf.example/b", "A new one"))
    assert "1 new article" in fetch(tmp_path).stdout
    assert sorted(articles(content)) == ["2026-12-01-a-new-one.md", "2026-12-01-first-headline.md"]


def test_max_entries_takes_the_newest_whatever_the_feeds_order(tmp_path: Path, server: FeedServer) -> None:
    content = make_site(tmp_path, server, ["/oldest-first.xml"])
    listed = yaml.safe_load((tmp_path / "feeds.yaml").read_text())
    listed["settings"]["max_entries"] = 2
    (tmp_path / "feeds.yaml").write_text(yaml.safe_dump(listed))
    items = "".join(
        f"<item><guid>o-{day}</guid><link>https://oldest.example/{day}</link><title>Report of day {day}</title>"
        f"<pubDate>{day} Nov 2026 10:00:00 GMT</pubDate></item>"
        for day in (27, 28, 29)
    )
    server.changing["/oldest-first.xml"] = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Old</title>{items}</channel></rss>'
    )
    assert fetch(tmp_path).returncode == 0
    assert sorted(articles(content)) == ["2026-11-28-report-of-day-28.md", "2026-11-29-report-of-day-29.md"]


def test_an_opml_list_works_like_feeds_yaml(tmp_path: Path, server: FeedServer) -> None:
    content = make_site(tmp_path, server, ["/moved.xml"])
    (tmp_path / "feeds.yaml").unlink()
    (tmp_path / "feeds.opml").write_text(
        '<?xml version="1.0"?><opml version="2.0"><head><title>Mine</title></head><body>'
        f'<outline text="Harbour"><outline type="rss" text="Dockside" xmlUrl="{server.base}/moved.xml" '
        f'category="Lights"/></outline>'
        "</body></opml>"
    )
    done = fetch(tmp_path)
    assert done.returncode == 0, done.stderr
    (lamp,) = articles(content).values()
    assert lamp["topics"] == ["Harbour", "Lights", "Energy"] and lamp["provider"]["name"] == "Dockside"


def test_a_missing_or_bad_feeds_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "content").mkdir()
    missing = fetch(tmp_path)
    assert missing.returncode == 2 and missing.stderr.startswith("error: feeds.yaml: no feeds file")
    (tmp_path / "feeds.yaml").write_text("feeds:\n  - javascript:alert(1)\n")
    bad = fetch(tmp_path)
    assert bad.returncode == 2 and "is not an http(s) URL" in bad.stderr and len(bad.stderr.splitlines()) == 1


@pytest.fixture
def proxy(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A real forward proxy process on 127.0.0.1; yields its address and the log of what it forwarded."""
    log = tmp_path / "proxy.log"
    log.touch()
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).parents[1] / "proxy_server.py"), str(log)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        yield f"127.0.0.1:{port}", log
    finally:
        process.kill()
        process.wait()


def proxied(log: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def test_fetch_goes_through_the_proxy_the_environment_names(tmp_path: Path, server: FeedServer, proxy) -> None:
    address, log = proxy
    content = make_site(tmp_path, server, ["/rss.xml"])
    environment = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    through = subprocess.run(
        [sys.executable, "-m", "generator", "fetch"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**environment, "http_proxy": f"http://reader:s%40cret@{address}"},
    )
    assert through.returncode == 0, through.stderr
    assert articles(content)
    forwarded = proxied(log)
    assert [entry["target"] for entry in forwarded if entry["target"].endswith("/rss.xml")] == [
        server.base + "/rss.xml"
    ]
    assert all(entry["login"] == "Basic " + base64.b64encode(b"reader:s@cret").decode() for entry in forwarded)
    # no_proxy names the feed's host: straight to it, the proxy sees nothing more.
    seen = len(forwarded)
    direct = subprocess.run(
        [sys.executable, "-m", "generator", "fetch"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**environment, "HTTP_PROXY": f"http://{address}", "no_proxy": "localhost,127.0.0.1"},
    )
    assert direct.returncode == 0, direct.stderr
    assert len(proxied(log)) == seen


def test_https_goes_through_a_connect_tunnel(monkeypatch: pytest.MonkeyPatch, server: FeedServer, proxy) -> None:
    from generator.net.download import FetchError, Limits, get

    address, log = proxy
    monkeypatch.setenv("https_proxy", f"http://{address}")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    port = server.base.rsplit(":", 1)[1]
    with pytest.raises(FetchError, match="TLS|network"):  # the feed server speaks plain HTTP: the tunnel's TLS fails
        get(f"https://127.0.0.1:{port}/rss.xml", limits=Limits(total_timeout=5))
    assert [(entry["method"], entry["target"]) for entry in proxied(log)] == [("CONNECT", f"127.0.0.1:{port}")]


def test_no_proxy_matches_hosts_domains_and_networks() -> None:
    from generator.net.download import _bypassed

    rules = "localhost, .corp.example, intranet.example:8080, 10.0.0.0/8, [::1]"
    for host in ("localhost", "a.corp.example", "corp.example", "intranet.example", "10.2.3.4", "::1"):
        assert _bypassed(host, rules), host
    for host in ("example.org", "notcorp.example", "11.0.0.1", "127.0.0.1"):
        assert not _bypassed(host, rules), host
    assert _bypassed("anything.example", "*")
