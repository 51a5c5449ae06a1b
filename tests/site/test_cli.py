"""The command line as a user runs it: a real subprocess."""
from __future__ import annotations

import email
import os
import re
import stat
import subprocess
import sys

from helpers import article_fields, write_article, write_config


def run(site, *args):
    return subprocess.run(
        [sys.executable, "-m", "generator", *args], cwd=site, capture_output=True, text=True, timeout=120
    )


def test_build_command_prints_problems_and_summary(tmp_path):
    write_config(tmp_path)
    write_article(tmp_path / "content", "2026-11-01-a.md", article_fields(1))
    (tmp_path / "content/bad.md").write_text("---\ntitle: t\npublishedDateTime: not-a-date\n---\n")
    done = run(tmp_path, "build")
    assert done.returncode == 0, done.stderr
    assert "bad.md:3: error: 'publishedDateTime' is not an ISO 8601 date-time" in done.stderr
    assert "Built 33 pages from 1 articles" in done.stdout and "1 skipped" in done.stdout
    assert "\r" not in done.stdout + done.stderr  # no progress bar when not on a terminal
    assert (tmp_path / "public/news/2026-11-01-a/index.html").is_file()


def test_strict_fails_without_touching_output(tmp_path):
    write_article(tmp_path / "content", "2026-11-01-a.md", article_fields(1))
    (tmp_path / "content/bad.md").write_text("---\nexcerpt: x\n---\n")
    done = run(tmp_path, "build", "--strict", "--output", "site-out")
    assert done.returncode == 1 and "Build failed" in done.stderr
    assert not (tmp_path / "site-out").exists()


def test_flags_and_config_errors(tmp_path):
    write_article(tmp_path / "src", "2026-11-01-a.md", article_fields(1, published=False))
    (tmp_path / "other.yaml").write_text("title: X\nbase_url: https://x.example/sub/\n")
    done = run(
        tmp_path, "build", "--content", "src", "--output", "o", "--config", "other.yaml", "--unpublished", "--quiet"
    )
    assert done.returncode == 0, done.stderr
    assert 'href="/sub/news/2026-11-01-a/"' in (tmp_path / "o/index.html").read_text()
    (tmp_path / "other.yaml").write_text("title: X\ncolour: blue\n")
    done = run(tmp_path, "build", "--content", "src", "--config", "other.yaml")
    assert done.returncode == 2 and "unknown setting 'colour'" in done.stderr


def test_progress_bar_on_a_terminal_only_for_slow_builds(tmp_path):
    """On a terminal, a build longer than a second shows tqdm's bar; --quiet hides it."""
    import fcntl
    import os
    import pty
    import struct
    import termios
    import threading

    from make_corpus import write_corpus

    write_corpus(300, tmp_path / "content")

    def run_on_terminal(*args, after="0"):
        leader, follower = pty.openpty()
        # A fresh pty is 0x0; a real terminal has a size, and tqdm draws to its width.
        fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        chunks: list[bytes] = []

        def drain():
            while True:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:  # EIO once the terminal's other end is closed
                    return
                if not chunk:
                    return
                chunks.append(chunk)

        reader = threading.Thread(target=drain)
        reader.start()
        # The bar shows once a build has run a second; a fast machine could beat that, so the
        # threshold is set to zero here: the test is about where the bar shows, not about timing.
        done = subprocess.run(
            [sys.executable, "-m", "generator", "build", *args],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=follower,
            timeout=300,
            env={**os.environ, "NEWSDIGEST_PROGRESS_AFTER": after},
        )
        os.close(follower)
        reader.join(timeout=10)
        os.close(leader)
        return done, b"".join(chunks).decode("utf-8", "replace")

    done, terminal = run_on_terminal()
    assert done.returncode == 0 and "Built " in done.stdout.decode()
    assert "Rendering" in terminal and "%|" in terminal
    done, terminal = run_on_terminal("--quiet", "--output", "quiet-out")
    assert done.returncode == 0 and "%|" not in terminal and "Built " in done.stdout.decode()
    # A build that ends before the threshold never draws a bar.
    done, terminal = run_on_terminal("--output", "fast-out", after="60")
    assert done.returncode == 0 and "%|" not in terminal and "Built " in done.stdout.decode()


def test_version_and_help_name_the_console_script(tmp_path):
    from generator import __version__

    done = run(tmp_path, "--version")
    assert done.returncode == 0 and done.stdout.strip() == f"newsdigest {__version__}"
    assert "{build,serve,digest,fetch,update,init}" in run(tmp_path, "--help").stdout


def test_config_errors_name_the_file_and_line(tmp_path):
    write_article(tmp_path / "content", "2026-11-01-a.md", article_fields(1))
    done = run(tmp_path, "build", "--config", "nosuch.yaml")
    assert done.returncode == 2 and done.stderr.strip() == "error: nosuch.yaml: no such settings file"
    assert not (tmp_path / "public").exists()
    cases = {
        "title: X\nlanguage: English\n":
            "site.yaml:2: language must be a BCP 47 tag such as 'en' or 'pt-BR', got 'English'",
        "language: 12\n": "site.yaml:1: language must be a BCP 47 tag such as 'en' or 'pt-BR', got 12",
        "title: X\n\ntimezone: Mars/Olympus\n": "site.yaml:3: unknown timezone 'Mars/Olympus'",
        "baseurl: https://x.example/\n": "site.yaml:1: unknown setting 'baseurl'; did you mean 'base_url'?",
        "title: X\npage_size: 0\n": "site.yaml:2: page_size must be a positive whole number, got 0",
        "title: [unclosed\n": "site.yaml:1: invalid YAML",
        "base_url: ftp://x.example/\n": "site.yaml:1: base_url must be an absolute http(s) URL",
    }
    for text, message in cases.items():
        (tmp_path / "site.yaml").write_text(text)
        done = run(tmp_path, "build")
        assert done.returncode == 2 and done.stderr.startswith(f"error: {message}"), (text, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1
    (tmp_path / "site.yaml").write_text("title: X\nlanguage: pt-BR\nbase_url: https://x.example/\n")
    assert run(tmp_path, "build").returncode == 0
    assert '<html lang="pt-BR" dir="ltr">' in (tmp_path / "public/index.html").read_text()
    (tmp_path / "site.yaml").write_text(
        "title: X\nlanguage: no\nbase_url: https://x.example/\n"
    )  # Norwegian, not False
    assert run(tmp_path, "build").returncode == 0
    assert '<html lang="no" dir="ltr">' in (tmp_path / "public/index.html").read_text()


def test_base_url_flag_overrides_the_config_and_localhost_warns(tmp_path):
    write_article(tmp_path / "content", "2026-11-01-a.md", article_fields(1))
    done = run(tmp_path, "build")  # no site.yaml: the localhost default
    assert done.returncode == 0 and done.stderr.count("warning: publishing with base_url http://127.0.0.1:8000/") == 1
    done = run(tmp_path, "build", "--base-url", "https://digest.example/ai")
    assert done.returncode == 0 and "warning" not in done.stderr
    home = (tmp_path / "public/index.html").read_text()
    assert (
        '<link rel="canonical" href="https://digest.example/ai/">' in home and 'href="/ai/news/2026-11-01-a/"' in home
    )
    assert "https://digest.example/ai/news/2026-11-01-a/" in (tmp_path / "public/sitemap.xml").read_text()
    done = run(tmp_path, "build", "--base-url", "digest.example")
    assert done.returncode == 2 and "--base-url: base_url must be an absolute http(s) URL" in done.stderr


def test_problem_locations_are_relative_to_the_working_directory(tmp_path):
    write_config(tmp_path)
    write_article(tmp_path / "site/articles", "2026-11-01-a.md", article_fields(1))
    (tmp_path / "site/articles/b.md").write_text("---\ntitle: [\n---\n")
    done = run(tmp_path, "build", "--content", "site/articles")
    assert "site/articles/b.md:3: error: invalid YAML" in done.stderr
    done = run(tmp_path / "site", "build", "--content", "articles", "--config", "../site.yaml")
    assert "\narticles/b.md:3: error: invalid YAML" in "\n" + done.stderr


def test_init_scaffolds_a_site_that_builds_cleanly(tmp_path):
    done = run(tmp_path, "init", "mysite")
    assert done.returncode == 0 and "newsdigest serve" in done.stdout and "cd mysite" in done.stdout
    site = tmp_path / "mysite"
    settings = (site / "site.yaml").read_text()
    from generator.core.config import KNOWN_KEYS

    assert all(f"\n{key}:" in settings for key in KNOWN_KEYS)  # every setting, each with a comment above it
    assert sum(1 for line in settings.splitlines() if line.startswith("#")) >= len(KNOWN_KEYS)
    assert len(list((site / "content").glob("*.md"))) == 2
    assert (site / "content/_data/topics").is_dir() and (site / "content/_data/organizations").is_dir()
    built = run(site, "build")
    assert built.returncode == 0 and built.stderr == "", built.stderr
    assert "Built" in built.stdout and "from 2 articles" in built.stdout
    assert (site / "public/topics/robotics/index.html").is_file()
    fetched = run(site, "fetch")  # the feeds list's examples are comments until the user picks feeds
    assert (
        fetched.returncode == 2
        and fetched.stderr == "error: feeds.yaml: lists no feeds yet; add their URLs under 'feeds:'\n"
    )
    uncommented = re.sub(
        r"(?m)^# ?(settings:|  \w+: \d+)|^  # ", lambda m: m.group(1) or "  ", (site / "feeds.yaml").read_text()
    )
    from generator.fetch.feedlist import load_feed_list

    (site / "feeds-example.yaml").write_text(uncommented)
    example = load_feed_list(site / "feeds-example.yaml")
    assert [(f.url, f.name, f.topics) for f in example.feeds] == [
        ("https://news.example.org/technology/rss.xml", "", ()),
        ("https://blog.example.net/feed.json", "Example Blog", ("Robotics",)),
    ]
    assert example.limits.total_timeout == 30 and example.max_entries == 200
    again = run(tmp_path, "init", "mysite")
    assert again.returncode == 2 and "already exists" in again.stderr
    assert (site / "site.yaml").read_text() == settings


def test_the_example_site_builds_without_a_single_problem(tmp_path):
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-m", "generator", "build", "--output", str(tmp_path / "out")],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert "0 skipped, 0 warnings" in done.stdout
    assert (tmp_path / "out/news").is_dir() and not (repo / "public" / "out").exists()


def test_the_scaffold_sends_from_no_example_address_and_the_message_gets_the_umasks_mode(tmp_path):
    assert run(tmp_path, "init", "mysite").returncode == 0
    site = tmp_path / "mysite"
    settings = (site / "site.yaml").read_text()
    assert "\n  # from: " in settings and "\n  from:" not in settings and "\n  to:" not in settings
    done = subprocess.run(
        [sys.executable, "-m", "generator", "digest", "--eml", "edition.eml"],
        cwd=site,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=lambda: os.umask(0o022),
    )
    assert done.returncode == 0, done.stderr
    message = email.message_from_bytes((site / "edition.eml").read_bytes())
    assert message["From"] is None and message["To"] is None and message["Subject"]
    assert stat.S_IMODE((site / "edition.eml").stat().st_mode) == 0o644


def test_a_content_file_and_a_base_url_with_a_query_get_one_clear_line(tmp_path):
    write_article(tmp_path / "content", "2026-11-01-a.md", article_fields(1))
    done = run(tmp_path, "build", "--content", "content/2026-11-01-a.md")
    assert done.returncode == 2
    assert done.stderr == (
        "error: content/2026-11-01-a.md: is a file, not the content folder (--content takes the "
        "folder that holds the articles)\n"
    )
    for bad in ("https://digest.example/?utm=1", "https://digest.example/#top", "https://digest.example/a b"):
        done = run(tmp_path, "build", "--base-url", bad)
        assert done.returncode == 2 and "no query, fragment or spaces" in done.stderr and done.stderr.count("\n") == 1


def test_an_unknown_key_in_a_feeds_entry_is_an_error_with_a_suggestion(tmp_path):
    (tmp_path / "content").mkdir()
    (tmp_path / "feeds.yaml").write_text(
        "feeds:\n  - url: https://a.example/rss\n    name: A\n  - url: https://b.example/rss\n    topic: [Robotics]\n"
    )
    done = run(tmp_path, "fetch")
    assert done.returncode == 2
    assert done.stderr == "error: feeds.yaml:5: feed 2: unknown key 'topic'; did you mean 'topics'?\n"


def test_init_writes_the_schedule_recipes_for_this_folder_and_the_cron_line_runs_update(tmp_path):
    import stat

    import yaml

    assert run(tmp_path, "init", "my site").returncode == 0
    site = (tmp_path / "my site").resolve()
    service = (site / "deploy/newsdigest-update.service").read_text()
    assert f"WorkingDirectory={site}\n" in service and " update --quiet" in service and "{" not in service
    assert "OnUnitActiveSec=30min" in (site / "deploy/newsdigest-update.timer").read_text()
    assert stat.S_IMODE((site / "deploy/smtp.env").stat().st_mode) == 0o600
    assert "/deploy/smtp.env" in (site / ".gitignore").read_text().splitlines()
    workflow = yaml.safe_load((site / ".github/workflows/update.yml").read_text())
    steps = workflow["jobs"]["update"]["steps"]
    assert any(step.get("run") == "newsdigest update" for step in steps)
    assert str(tmp_path) not in (site / ".github/workflows/update.yml").read_text()  # it runs on GitHub's machines
    cron = next(line for line in (site / "deploy/crontab.txt").read_text().splitlines() if not line.startswith("#"))
    schedule, command = cron.split(" ", 5)[:5], cron.split(" ", 5)[5]
    assert schedule == ["*/30", "*", "*", "*", "*"]
    done = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=180,
                          env={**os.environ, "HOME": str(tmp_path)})
    assert done.returncode == 0, (site / "deploy/update.log").read_text()
    log = (site / "deploy/update.log").read_text()
    assert log.startswith("update: ") and "no edition to send" in log  # a new site: nothing to fetch or send yet
    assert (site / "public/index.html").is_file()
