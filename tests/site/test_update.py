"""``newsdigest update`` as a scheduler runs it: a content folder fed by a local feed server, a real SMTP server
process, and runs on either side of midnight in the site's time zone."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml

from feed_server import feed_server
from helpers import article_fields, write_article, write_config
from smtp_server import received, smtp_server

pytestmark = pytest.mark.slow  # real SMTP server processes


def update(site, clock: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDIGEST_SMTP")}
    return subprocess.run(
        [sys.executable, "-m", "generator", "update", "--clock", clock, "--quiet"],
        cwd=site, env=env, capture_output=True, text=True, timeout=180,
    )


def test_runs_across_a_day_boundary_send_exactly_one_edition(tmp_path):
    site = tmp_path / "site"
    (site / "content").mkdir(parents=True)
    with feed_server() as feeds, smtp_server(tmp_path / "mail") as port:
        (site / "feeds.yaml").write_text(yaml.safe_dump({"feeds": [
            {"url": feeds.base + "/conditional.xml"}, {"url": feeds.base + "/moved.xml"}]}))
        write_config(site, timezone="Europe/London", digest={
            "from": "Harbour Digest <digest@news.example>", "to": "list@readers.example",
            "smtp": {"host": "127.0.0.1", "port": port, "security": "none"}})
        evening = update(site, "2026-12-01T20:00:00Z")  # both stories are of today: no day has closed
        assert evening.returncode == 0, evening.stderr
        assert "2 new articles from 2 feeds" in evening.stdout and "no edition to send" in evening.stdout
        assert (site / "public/digest/2026-12-01/index.html").exists()
        morning = update(site, "2026-12-02T06:00:00Z")
        assert morning.returncode == 0, morning.stderr
        assert "sent 2026-12-01 to 1" in morning.stdout
        later = update(site, "2026-12-02T07:00:00Z")
        assert later.returncode == 0 and "no edition to send" in later.stdout
    messages = received(tmp_path / "mail")
    assert len(messages) == 1
    message, envelope = messages[0]
    assert envelope["to"] == ["list@readers.example"]
    assert "December 1, 2026" in message["Subject"]
    assert "Pier reopens after storm repairs" in message.get_body(("plain",)).get_content()


def test_an_update_that_finds_nothing_new_still_sends_what_is_due_and_nothing_twice(tmp_path):
    site = tmp_path / "site"
    write_article(site / "content", "a.md", article_fields(0, publishedDateTime="2026-12-01T09:00:00Z"))
    with smtp_server(tmp_path / "mail") as port:
        write_config(site, timezone="UTC", digest={
            "from": "digest@news.example", "to": "list@readers.example",
            "smtp": {"host": "127.0.0.1", "port": port, "security": "none"}})
        built = update(site, "2026-12-01T20:00:00Z")
        assert built.returncode == 0 and "no edition to send" in built.stdout, built.stderr
        unchanged = update(site, "2026-12-01T21:00:00Z")  # nothing changed: the build reports from its cache
        assert unchanged.returncode == 0 and "no edition to send" in unchanged.stdout, unchanged.stderr
        sent = update(site, "2026-12-02T06:00:00Z")
        assert sent.returncode == 0 and "sent 2026-12-01 to 1" in sent.stdout, sent.stderr
        again = update(site, "2026-12-02T06:30:00Z")
        assert again.returncode == 0 and "no edition to send" in again.stdout, again.stderr
    assert len(received(tmp_path / "mail")) == 1


def test_a_second_update_waits_for_the_first_with_status_75(tmp_path):
    site = tmp_path / "site"
    (site / "content").mkdir(parents=True)
    write_config(site)
    lock = site / ".cache/newsdigest/update.lock"
    lock.parent.mkdir(parents=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl,os,sys,time; fd=os.open(sys.argv[1], os.O_RDWR|os.O_CREAT); "
         "fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); time.sleep(60)", str(lock)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout and holder.stdout.readline().strip() == "held"
        busy = update(site, "2026-12-02T06:00:00Z")
    finally:
        holder.kill()
        holder.wait()
    assert busy.returncode == 75 and "another update of this site is running" in busy.stderr
    assert "Traceback" not in busy.stderr
