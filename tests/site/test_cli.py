"""The command line as a user runs it: a real subprocess."""
from __future__ import annotations

import subprocess
import sys

from helpers import article_fields, write_article, write_config


def run(site, *args):
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=site, capture_output=True, text=True, timeout=120)


def test_build_command_prints_problems_and_summary(tmp_path):
    write_config(tmp_path)
    write_article(tmp_path / "content", "2026-11-01-a.md", article_fields(1))
    (tmp_path / "content/bad.md").write_text("---\ntitle: t\npublishedDateTime: not-a-date\n---\n")
    done = run(tmp_path, "build")
    assert done.returncode == 0, done.stderr
    assert "bad.md:3: error: 'publishedDateTime' is not an ISO 8601 date-time" in done.stderr
    assert "Built 21 pages from 1 articles" in done.stdout and "1 skipped" in done.stdout
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
    done = run(tmp_path, "build", "--content", "src", "--output", "o", "--config", "other.yaml", "--unpublished", "--quiet")
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

    write_corpus(1500, tmp_path / "content")

    def run_on_terminal(*args):
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
        done = subprocess.run([sys.executable, "-m", "generator", "build", *args], cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=follower, timeout=300)
        os.close(follower)
        reader.join(timeout=10)
        os.close(leader)
        return done, b"".join(chunks).decode("utf-8", "replace")

    done, terminal = run_on_terminal()
    assert done.returncode == 0 and "Built " in done.stdout.decode()
    assert "Rendering" in terminal and "%|" in terminal
    done, terminal = run_on_terminal("--quiet", "--output", "quiet-out")
    assert done.returncode == 0 and "%|" not in terminal and "Built " in done.stdout.decode()
