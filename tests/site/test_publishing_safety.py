"""A reader or a deploy sync must never see a broken state, whatever happens to a build."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest

import generator.render.session
from generator.build.builder import Builder, BuildOptions
from helpers import (
    NOW,
    article_fields,
    broken_links,
    build_site,
    incomplete_files,
    snapshot,
    write_article,
    write_config,
)


def fields(n, **overrides):
    return article_fields(
        n, topics=["AI", f"Topic {n % 7}"], provider={"name": f"P{n % 5}", "domain": f"p{n % 5}.example"}, **overrides
    )


def make_site(root, count):
    write_config(root, page_size=5)
    for n in range(count):
        write_article(root / "content", f"2026-10-{n % 28 + 1:02d}-a{n}.md", fields(n))


def mutate(content, rng, step, structural):
    """Edit some titles; when structural, also add stories with a new topic and provider, and delete two."""
    files = sorted(p for p in content.glob("*-a*.md"))
    for path in rng.sample(files, 15):
        n = int(path.stem.split("-a")[1])
        write_article(content, path.name, fields(n, title=f"Edited {step} {n}"))
    if structural:
        for path in rng.sample(files, 2):
            path.unlink()
        for n in range(3):
            write_article(
                content,
                f"2026-09-{n + 1:02d}-new-{step}-{n}.md",
                article_fields(
                    1000 + n,
                    title=f"New {step} {n}",
                    topics=["AI", f"Fresh {step}"],
                    provider={"name": f"New outlet {step}", "domain": f"new{step}.example"},
                ),
            )


def assert_consistent(output):
    assert incomplete_files(output) == []
    assert broken_links(output) == []


def test_injected_render_failure_leaves_output_untouched(tmp_path, monkeypatch):
    make_site(tmp_path, 40)
    build_site(tmp_path)
    rng = random.Random(2)
    for trial in range(4):
        before = snapshot(tmp_path / "public")
        mutate(tmp_path / "content", rng, trial, structural=trial % 2 == 0)
        fail_at = rng.randint(1, 60)
        real_render = generator.render.session.render_page
        calls = {"n": 0}

        def flaky_render(env, page, context):
            calls["n"] += 1
            if calls["n"] == fail_at:
                raise RuntimeError("injected failure")
            return real_render(env, page, context)

        monkeypatch.setattr(generator.render.session, "render_page", flaky_render)
        with pytest.raises(RuntimeError, match="injected failure"):
            build_site(tmp_path)
        monkeypatch.setattr(generator.render.session, "render_page", real_render)
        assert snapshot(tmp_path / "public") == before
        assert not list(tmp_path.glob(".public.staging-*"))
        assert_consistent(tmp_path / "public")
    result = build_site(tmp_path)  # the next build repairs everything
    clean = Builder(
        BuildOptions(
            content_dir=tmp_path / "content", output_dir=tmp_path / "clean", config_path=tmp_path / "site.yaml", now=NOW
        )
    ).build()
    assert not result.failed and not clean.failed
    assert snapshot(tmp_path / "public") == snapshot(tmp_path / "clean")


def test_sigkill_during_builds_never_leaves_a_broken_site(tmp_path):
    make_site(tmp_path, 400)
    command = [sys.executable, "-m", "generator", "build", "--quiet"]
    started = time.perf_counter()
    subprocess.run(command, cwd=tmp_path, check=True, capture_output=True)
    duration = time.perf_counter() - started
    rng = random.Random(7)
    killed = 0
    for trial in range(8):
        mutate(tmp_path / "content", rng, trial, structural=trial % 2 == 0)
        process = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # Late in the build is when files move into place.
        time.sleep(duration * rng.uniform(0.55, 1.1))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            killed += 1
        process.wait()
        assert_consistent(tmp_path / "public")
    assert killed >= 4
    subprocess.run(command, cwd=tmp_path, check=True, capture_output=True)
    subprocess.run(command + ["--output", "clean"], cwd=tmp_path, check=True, capture_output=True)
    assert snapshot(tmp_path / "public") == snapshot(tmp_path / "clean")
    assert not list(tmp_path.glob(".public.staging-*"))
    assert_consistent(tmp_path / "public")


def test_published_site_has_no_broken_internal_links(tmp_path):
    make_site(tmp_path, 30)
    write_config(tmp_path, base_url="https://example.org/sub/", page_size=5)
    build_site(tmp_path)
    assert broken_links(tmp_path / "public", "/sub/") == []
    assert broken_links(tmp_path / "public", "/") != []  # the checker does see links (they all start /sub/)


@pytest.mark.parametrize("structural", [False, True])
def test_crash_between_file_moves_keeps_the_site_consistent(tmp_path, monkeypatch, structural):
    """Simulate a crash after k of the commit's file moves (renames, or links for a tree swap)."""
    make_site(tmp_path, 60)
    write_config(tmp_path, page_size=5, search=False)  # counts the commit's moves only (Pagefind's own file work aside)
    build_site(tmp_path)
    rng = random.Random(4)
    for trial in range(5):
        mutate(tmp_path / "content", rng, trial, structural=structural)
        before = snapshot(tmp_path / "public")
        crash_after = rng.randint(0, 15 if structural else 60)  # within the hard links or renames a commit makes
        moves = {"n": 0}
        name = "link" if structural else "replace"
        real = getattr(os, name)

        def crashing(*args, **kwargs):
            moves["n"] += 1
            if moves["n"] > crash_after:
                raise OSError("simulated crash")
            return real(*args, **kwargs)

        monkeypatch.setattr(os, name, crashing)
        with pytest.raises(OSError, match="simulated crash"):
            build_site(tmp_path)
        monkeypatch.setattr(os, name, real)
        assert_consistent(tmp_path / "public")
        after = snapshot(tmp_path / "public")
        if structural:
            assert after == before  # nothing is visible before the swap
        else:
            assert after != before or crash_after == 0  # some files did move in
        assert not build_site(tmp_path).failed  # the next build repairs
        assert_consistent(tmp_path / "public")
    build_site(tmp_path)
    Builder(
        BuildOptions(
            content_dir=tmp_path / "content", output_dir=tmp_path / "clean", config_path=tmp_path / "site.yaml", now=NOW
        )
    ).build()
    assert snapshot(tmp_path / "public") == snapshot(tmp_path / "clean")
