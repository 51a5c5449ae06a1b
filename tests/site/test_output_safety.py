"""The build never destroys what it did not make: refused outputs, ownership, locks, modes, hostile folders.

Every case runs the real command line in a subprocess and checks the exit
status, that the error is one line (never a traceback), and what is on disk.
"""
from __future__ import annotations

import ctypes
import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from generator.publish.output import MARK
from helpers import article_fields, broken_links, incomplete_files, site_lock, snapshot, write_article, write_config

IS_ROOT = os.geteuid() == 0


CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, PR_CAPBSET_DROP = 1, 2, 24


def drop_file_permission_override() -> None:
    """Make root subject to file modes, as every other user is, from the next exec on."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def run(cwd: Path, *args: str, env: dict[str, str] | None = None, umask: int | None = None,
        unprivileged: bool = False) -> subprocess.CompletedProcess[str]:
    def before() -> None:
        if umask is not None:
            os.umask(umask)
        if unprivileged and IS_ROOT:
            drop_file_permission_override()

    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env={**os.environ, **(env or {})}, preexec_fn=before)


def make_site(root: Path, count: int = 4) -> Path:
    write_config(root)
    for n in range(count):
        write_article(root / "content", f"2026-11-{n + 1:02d}-story-{n}.md", article_fields(n))
    return root


def tree(folder: Path) -> dict[str, bytes]:
    """Every file, dot-files and the mark included."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_refused(done: subprocess.CompletedProcess[str], *words: str) -> None:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert done.stderr.startswith("error: ") and all(w in done.stderr for w in words), done.stderr


def test_output_equal_to_the_content_folder_is_refused_and_nothing_is_touched(tmp_path):
    site = make_site(tmp_path)
    before = tree(site)
    assert_refused(run(site, "build", "--output", "content"), "is the content folder")
    assert_refused(run(site, "build", "--output", "content", "--force"), "is the content folder")
    assert tree(site) == before


def test_folders_containing_the_content_or_the_site_are_refused_even_with_force(tmp_path):
    site = make_site(tmp_path / "site")
    (site / "templates").mkdir()
    (site / "templates/article.html").write_text("{# mine #}")
    other = make_site(tmp_path / "other")
    before = tree(tmp_path)
    assert_refused(run(site, "build", "--output", ".."), "contains the content folder")
    assert_refused(run(site, "build", "--output", ".", "--force"), "contains the content folder")
    # Content elsewhere, output = the project folder with its site.yaml and templates.
    assert_refused(
        run(site, "build", "--content", str(other / "content"), "--output", ".", "--force"), "site's own files"
    )
    assert tree(tmp_path) == before


def test_root_and_home_are_refused(tmp_path):
    site = make_site(tmp_path / "site")
    home = tmp_path / "home"
    (home / "Documents").mkdir(parents=True)
    (home / "Documents/letter.txt").write_text("keep me")
    assert_refused(run(site, "build", "--output", "/"), "root folder")
    assert_refused(run(site, "build", "--output", "/", "--force"), "root folder")
    assert_refused(
        run(
            site,
            "build",
            "--output",
            str(home),
            "--force",
            "--config",
            str(site / "site.yaml"),
            env={"HOME": str(home)},
        ),
        "home folder",
    )
    assert (home / "Documents/letter.txt").read_text() == "keep me" and len(list(home.rglob("*"))) == 2


def test_unmarked_non_empty_folder_is_refused_and_force_publishes_beside_its_files(tmp_path):
    site = make_site(tmp_path)
    out = site / "www"
    (out / "docs").mkdir(parents=True)
    (out / "CNAME").write_text("news.example")
    (out / "docs/manual.html").write_text("<p>not ours</p>")
    assert_refused(run(site, "build", "--output", "www"), "did not create", "--force")
    assert sorted(p.name for p in out.rglob("*")) == ["CNAME", "docs", "manual.html"]

    done = run(site, "build", "--output", "www", "--force")
    assert done.returncode == 0, done.stderr
    header, files = (out / MARK).read_text().splitlines()
    assert json.loads(header) == {"format": "newsdigest-output/2", "purpose": "site"}
    owned = json.loads(files)
    assert "index.html" in owned and "CNAME" not in owned and "docs/manual.html" not in owned
    # Builds that remove pages (in place) and add pages (a whole-tree swap) keep the foreign files.
    (site / "content/2026-11-01-story-0.md").unlink()
    assert run(site, "build", "--output", "www").returncode == 0
    assert not (out / "news/2026-11-01-story-0").exists()
    write_article(site / "content", "2026-11-20-new.md", article_fields(20, topics=["Brand new topic"]))
    assert run(site, "build", "--output", "www").returncode == 0
    assert (out / "topics/brand-new-topic/index.html").is_file()
    assert (out / "CNAME").read_text() == "news.example" and (out / "docs/manual.html").read_text() == "<p>not ours</p>"


def test_files_dropped_into_a_marked_output_survive_every_later_build(tmp_path):
    site = make_site(tmp_path)
    assert run(site, "build").returncode == 0
    (site / "public/google1234.html").write_text("verification")
    (site / "public/news/notes.txt").write_text("mine")
    (tmp_path / "downloads").mkdir()
    (site / "public/downloads").symlink_to(tmp_path / "downloads", target_is_directory=True)
    write_article(site / "content", "2026-11-21-added.md", article_fields(21, topics=["Other"]))  # swaps the tree
    assert run(site, "build").returncode == 0
    for name in ("2026-11-01-story-0.md", "2026-11-21-added.md"):
        (site / "content" / name).unlink()
    assert run(site, "build").returncode == 0
    assert (site / "public/google1234.html").read_text() == "verification"
    assert (site / "public/news/notes.txt").read_text() == "mine"
    assert (site / "public/downloads").is_symlink() and (tmp_path / "downloads").is_dir()
    assert not (site / "public/news/2026-11-21-added").exists() and not (site / "public/topics/other").exists()


def test_output_that_is_a_file_is_refused_unchanged(tmp_path):
    site = make_site(tmp_path)
    (site / "public").write_text("a file, not a folder")
    assert_refused(run(site, "build"), "not a folder")
    assert (site / "public").read_text() == "a file, not a folder"
    assert not list(site.glob(".public*"))


@pytest.mark.parametrize("inside", ["content/site", "content/_data"])
def test_an_output_inside_the_content_folder_is_refused_even_with_force(tmp_path, inside):
    site = make_site(tmp_path)
    (site / "content/_data").mkdir()
    before = tree(site)
    assert_refused(run(site, "build", "--output", inside), "inside the content folder")
    assert_refused(run(site, "build", "--output", inside, "--force"), "inside the content folder")
    assert tree(site) == before


def test_force_moves_each_foreign_file_in_the_way_aside_and_keeps_empty_folders_and_modes(tmp_path):
    site = make_site(tmp_path)
    out = site / "www"
    theirs = {
        "index.html": b"<p>my home page</p>",
        "robots.txt": b"User-agent: *",
        "404.html": b"<p>lost</p>",
        "css/site.css": b"body{}",
        "feed.xml": b"<rss/>",
    }
    for name, data in theirs.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(data)
    (out / "empty").mkdir()
    (out / "private").mkdir(mode=0o700)
    (out / "private/notes.txt").write_text("mine")
    os.chmod(out / "private", 0o700)
    os.chmod(out, 0o2750)
    done = run(site, "build", "--output", "www", "--force")
    assert done.returncode == 0, done.stderr
    for name, data in theirs.items():
        assert (out / f"{name}.orig").read_bytes() == data
        assert (out / name).read_bytes() != data
    warned = [line for line in done.stderr.splitlines() if "in the way of a page" in line]
    assert len(warned) == len(theirs) and all(any(name in line for line in warned) for name in theirs)
    assert (out / "empty").is_dir() and (out / "private/notes.txt").read_text() == "mine"
    assert stat.S_IMODE((out / "private").stat().st_mode) == 0o700
    assert stat.S_IMODE(out.stat().st_mode) == 0o2750
    again = run(site, "build", "--output", "www")  # the .orig files are the user's now, kept like any other
    assert again.returncode == 0 and all((out / f"{name}.orig").read_bytes() == data for name, data in theirs.items())
    assert "in the way" not in again.stderr


def test_a_build_that_adds_pages_keeps_a_users_empty_folders_and_folder_modes(tmp_path):
    site = make_site(tmp_path)
    assert run(site, "build").returncode == 0
    out = site / "public"
    (out / "empty").mkdir()
    (out / "news/empty-too").mkdir()
    (out / "private").mkdir()
    (out / "private/key.txt").write_text("mine")
    os.chmod(out / "private", 0o700)
    os.chmod(out / "topics", 0o750)  # a folder of ours whose mode the user changed
    write_article(site / "content", "2026-11-20-new.md", article_fields(20, topics=["Brand new topic"]))
    done = run(site, "build")
    assert done.returncode == 0, done.stderr
    assert (out / "topics/brand-new-topic/index.html").is_file()  # published by swapping in a new tree
    assert (out / "empty").is_dir() and (out / "news/empty-too").is_dir()
    assert stat.S_IMODE((out / "private").stat().st_mode) == 0o700
    assert stat.S_IMODE((out / "topics").stat().st_mode) == 0o750


@pytest.mark.parametrize("entry", ["../victim.txt", "ABSOLUTE", "news/../../victim.txt", "./../victim.txt"])
def test_a_tampered_mark_deletes_nothing_outside_the_output(tmp_path, entry):
    site = make_site(tmp_path / "site")
    assert run(site, "build").returncode == 0
    victim = tmp_path / "site" / "victim.txt"
    victim.write_text("keep me")
    named = str(victim) if entry == "ABSOLUTE" else entry
    mark = site / "public" / MARK
    header, files = mark.read_text().splitlines()
    mark.write_text(header + "\n" + json.dumps([*json.loads(files), named]) + "\n")
    (site / "content/2026-11-01-story-0.md").unlink()  # a build that removes files
    done = run(site, "build", "--no-cache")
    assert done.returncode == 0, done.stderr
    assert victim.read_text() == "keep me" and victim.parent.is_dir()
    assert any("ignored the entry" in line for line in done.stderr.splitlines())


def test_a_symlinked_folder_in_the_output_leads_no_deletion_out(tmp_path):
    site = make_site(tmp_path / "site")
    assert run(site, "build").returncode == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "index.html").write_text("keep me")
    out = site / "public"
    mark = out / MARK
    header, files = mark.read_text().splitlines()
    (out / "linked").symlink_to(elsewhere)
    mark.write_text(header + "\n" + json.dumps([*json.loads(files), "linked/index.html"]) + "\n")
    (site / "content/2026-11-01-story-0.md").unlink()
    assert run(site, "build", "--no-cache").returncode == 0
    assert (elsewhere / "index.html").read_text() == "keep me"


@pytest.mark.skipif(not IS_ROOT, reason="mounting a file system needs root (CI runs as root)")
def test_a_mount_point_inside_the_output_is_a_one_line_error_and_nothing_moves(tmp_path):
    site = make_site(tmp_path)
    assert run(site, "build").returncode == 0
    mount_point = site / "public" / "media"
    mount_point.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "none", str(mount_point)], check=True)
    try:
        (mount_point / "clip.mp4").write_bytes(b"video")
        before = tree(site / "public")
        write_article(site / "content", "2026-11-20-new.md", article_fields(20, topics=["Brand new topic"]))
        done = run(site, "build")
        assert done.returncode == 1 and "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1 and "mount point" in done.stderr and "media" in done.stderr
        assert tree(site / "public") == before
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)


def test_preview_and_published_site_never_share_a_folder(tmp_path):
    site = make_site(tmp_path)
    assert run(site, "build").returncode == 0
    assert_refused(run(site, "serve", "--output", "public", "--port", "0"), "preview", "published site")
    (site / "pv").mkdir()
    (site / "pv" / MARK).write_text(json.dumps({"format": "newsdigest-output/2", "purpose": "preview"}) + "\n[]\n")
    assert_refused(run(site, "build", "--output", "pv"), "preview folder")


def test_published_files_and_folders_get_the_umasks_modes(tmp_path):
    site = make_site(tmp_path)
    assert run(site, "build", umask=0o022).returncode == 0
    out = site / "public"

    def modes() -> set[tuple[str, int]]:
        kinds = {
            (("dir" if p.is_dir() else "file"), stat.S_IMODE(p.stat().st_mode))
            for p in out.rglob("*")
            if p.name != MARK
        }
        return kinds | {("root", stat.S_IMODE(out.stat().st_mode))}

    assert modes() == {("root", 0o755), ("dir", 0o755), ("file", 0o644)}
    out.chmod(0o700)  # the user's choice for the output folder is kept through a tree swap
    write_article(site / "content", "2026-11-22-more.md", article_fields(22, topics=["Fresh"]))  # a tree swap
    assert run(site, "build", umask=0o022).returncode == 0
    assert modes() == {("root", 0o700), ("dir", 0o755), ("file", 0o644)}
    assert run(site, "build", "--output", "group", umask=0o002).returncode == 0
    assert stat.S_IMODE((site / "group").stat().st_mode) == 0o775


def test_a_second_build_says_who_holds_the_lock(tmp_path):
    site = make_site(tmp_path)
    assert run(site, "build").returncode == 0
    before = tree(site / "public")
    with site_lock(site):
        done = run(site, "build")
    assert_refused(done, "another build is running", f"(pid {os.getpid()})")
    assert tree(site / "public") == before
    assert run(site, "build").returncode == 0  # released


def test_concurrent_builds_never_crash_or_break_the_site(tmp_path):
    site = make_site(tmp_path, 40)
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "generator", "build"],
            cwd=site,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outcomes = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in processes]
    for status, stderr in outcomes:
        assert "Traceback" not in stderr
        assert status == 0 or (status == 2 and "another build is running" in stderr), stderr
    assert any(status == 0 for status, _ in outcomes)
    assert incomplete_files(site / "public") == [] and broken_links(site / "public") == []
    assert not list(site.glob(".public.staging-*"))


def test_empty_content_over_a_live_site_needs_allow_empty(tmp_path):
    site = make_site(tmp_path)
    assert run(site, "build").returncode == 0
    before = tree(site / "public")
    for path in (site / "content").glob("*.md"):
        path.unlink()
    done = run(site, "build")
    assert done.returncode == 1 and "no articles to publish" in done.stderr and "--allow-empty" in done.stderr
    assert tree(site / "public") == before
    done = run(site, "build", "--allow-empty")
    assert done.returncode == 0, done.stderr
    assert not (site / "public/news").exists() and (site / "public/index.html").is_file()


def test_symlinks_out_of_the_content_folder_are_not_published(tmp_path):
    site = make_site(tmp_path / "site")
    secret = tmp_path / "passwd"
    secret.write_text("root:x:0:0")
    (site / "content/passwd.txt").symlink_to(secret)
    (site / "content/leak.md").symlink_to(secret)
    (site / "content/outside").symlink_to(tmp_path, target_is_directory=True)
    (site / "content/inside.txt").symlink_to(site / "content/2026-11-01-story-0.md")
    done = run(site, "build")
    assert done.returncode == 0, done.stderr
    for name in ("passwd.txt", "leak.md", "outside"):
        assert f"content/{name}: warning: symlink leads outside the content folder" in done.stderr
    assert not (site / "public/passwd.txt").exists() and not (site / "public/outside").exists()
    assert (site / "public/inside.txt").is_file()
    assert all(b"root:x:0:0" not in data for data in snapshot(site / "public").values())


@pytest.mark.skipif(not IS_ROOT, reason="mounting a tmpfs needs root (CI runs as root)")
def test_output_on_a_mount_point_and_a_full_disk(tmp_path):
    site = make_site(tmp_path / "site")
    mount = site / "public"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], check=True)
    try:
        done = run(site, "build")
        assert done.returncode == 0, done.stderr
        write_article(site / "content", "2026-11-23-added.md", article_fields(23, topics=["Mounted"]))
        done = run(site, "build")
        assert done.returncode == 0, done.stderr
        assert (mount / "topics/mounted/index.html").is_file() and broken_links(mount) == []
        # Staged inside the mount (no staging folder is left); locked in the project's cache folder, as always.
        assert sorted(p.name for p in mount.iterdir() if p.name.startswith(".")) == [MARK]
        before = snapshot(mount), (mount / MARK).read_bytes()
        (site / "content/assets").mkdir()
        (site / "content/assets/big.bin").write_bytes(os.urandom(5_000_000))  # larger than the whole file system
        done = run(site, "build")
        assert done.returncode == 1 and "Traceback" not in done.stderr
        assert "No space left on device" in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert (snapshot(mount), (mount / MARK).read_bytes()) == before
        assert not list(mount.glob(".newsdigest-staging-*"))
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_unreadable_files_and_folders_are_one_line_errors(tmp_path):
    """Root reads everything, so as root the build runs without the capability that overrides file modes."""
    site = make_site(tmp_path / "site")
    (site / "static").mkdir()
    (site / "static/secret.css").write_text("body{}")
    (site / "static/fine.css").write_text("p{}")
    (site / "static/secret.css").chmod(0o000)
    done = run(site, "build", unprivileged=True)
    assert done.returncode == 0, done.stderr
    assert "static/secret.css: warning: cannot read: Permission denied" in done.stderr
    assert (site / "public/fine.css").is_file() and (site / "public/index.html").is_file()
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    done = run(site, "build", "--output", str(locked / "out"), unprivileged=True)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert "Permission denied" in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert list(locked.iterdir()) == []


def test_a_slow_second_build_waits_briefly_instead_of_failing(tmp_path):
    site = make_site(tmp_path)
    lock = site_lock(site)
    lock.acquire()
    process = subprocess.Popen(
        [sys.executable, "-m", "generator", "build"],
        cwd=site,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(0.5)
    lock.release()
    assert process.wait(timeout=60) == 0
    assert (site / "public/index.html").is_file()


def test_a_symlinked_output_is_published_into_its_target(tmp_path):
    site = make_site(tmp_path / "site")
    target = tmp_path / "www"
    target.mkdir()
    (site / "public").symlink_to(target, target_is_directory=True)
    assert run(site, "build").returncode == 0
    write_article(site / "content", "2026-11-24-linked.md", article_fields(24, topics=["Linked"]))  # a tree swap
    assert run(site, "build").returncode == 0
    assert (site / "public").is_symlink() and (target / "topics/linked/index.html").is_file()
    assert not list(tmp_path.glob("site/.public*staging*"))


def test_a_memory_limit_that_is_no_size_is_one_line_and_nothing_is_built(tmp_path):
    site = make_site(tmp_path)
    result = run(site, "build", env={"NEWSDIGEST_MEMORY_LIMIT": "plenty"})
    assert result.returncode == 2 and not (site / "public").exists()
    assert result.stderr.strip().splitlines() == [
        "error: NEWSDIGEST_MEMORY_LIMIT='plenty' is not a size (for example 2G or 1500M)"
    ]
    # Too small to do anything beside the build: built in one process, the cache written once the site is out.
    small = run(site, "build", env={"NEWSDIGEST_MEMORY_LIMIT": "1M"})
    assert small.returncode == 0 and (site / "public/index.html").is_file()
    assert list((site / ".cache/newsdigest").glob("public-*.state"))
    again = run(site, "build", env={"NEWSDIGEST_MEMORY_LIMIT": "1M"})
    assert again.returncode == 0 and " 0 written, 0 removed" in again.stdout
