"""The build cache is never wrong: a cached build always equals a clean one, whatever happened in between."""
from __future__ import annotations

import json
import os
import pickle
import re
import shutil
from pathlib import Path

import pytest

from generator.build import cache as cache_module
from generator.build import cache_keys
from generator.content import files as content_module
from helpers import NOW, article_fields, build_site, site_cache, snapshot, write_article, write_config
from make_corpus import write_corpus
from test_cache import clean_build, make_site


def test_new_articles_that_change_a_words_rarity_regroup_what_a_clean_build_regroups(tmp_path):
    """Grouping weighs words by their rarity over the whole site: adding articles that use a word moves the
    weights of articles far from them in time, and the cached build must follow."""
    site = tmp_path / "site"
    write_config(site, search=False)
    content = site / "content"
    write_corpus(1500, content, seed=3)
    files = sorted(content.glob("*.md"))
    for n, path in enumerate(files[::70][:20]):  # twenty headlines across the archive share a word
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace('title: "', f'title: "Kill probe {n} ', 1), encoding="utf-8")
    assert not build_site(site).failed
    for n in range(30):  # the word becomes common in a burst of new articles
        fields = article_fields(n, title=f"Kill switch debate {n} returns to parliament",
                                excerpt=f"Lawmakers argue over a kill switch for the {n}th time.",
                                publishedDateTime=f"2026-11-{n % 18 + 1:02d}T10:{n:02d}:00Z")
        write_article(content, f"2026-11-{n % 18 + 1:02d}-kill-{n}.md", fields)
    assert not build_site(site).failed
    assert snapshot(site / "public") == clean_build(site)


def test_an_edit_that_keeps_the_files_size_and_time_is_seen(tmp_path, monkeypatch):
    """touch -r, cp -p, rsync -t and tar restore the mtime; the ctime they cannot restore says the file changed."""
    monkeypatch.setattr(content_module, "RACY_NS", 0)  # trust every stat, as a build long after the edit would
    site = make_site(tmp_path)
    build_site(site)
    path = site / "content/2026-11-04-c3.md"
    before = path.stat()
    text = path.read_text(encoding="utf-8")
    edited = text.replace("Story number 3", "Story NUMBER 3")
    assert len(edited) == len(text) and edited != text
    path.write_text(edited, encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # what touch -r does
    assert path.stat().st_mtime_ns == before.st_mtime_ns and path.stat().st_size == before.st_size
    result = build_site(site)
    assert "news/2026-11-04-c3/index.html" in result.report.written
    assert snapshot(site / "public") == clean_build(site)


def test_a_file_changed_just_after_it_was_read_is_read_again(tmp_path):
    """A stat taken within the file system's clock resolution of a change is not trusted."""
    site = make_site(tmp_path)
    build_site(site)
    path = site / "content/2026-11-04-c3.md"
    stamp = path.stat()
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Story number 3", "Story NUMBER 3"), encoding="utf-8")
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert "news/2026-11-04-c3/index.html" in build_site(site).report.written


@pytest.mark.parametrize("damage", ["truncate", "append", "remove"])
def test_damaged_output_is_repaired_by_the_next_build(tmp_path, damage):
    site = make_site(tmp_path)
    build_site(site)
    good = snapshot(site / "public")
    page = site / "public/news/2026-11-02-c1/index.html"
    stylesheet = next((site / "public/css").glob("site.*.css"))
    for victim in (page, stylesheet):
        if damage == "truncate":
            victim.write_bytes(b"")
        elif damage == "append":
            with victim.open("ab") as file:
                file.write(b"<script>injected</script>")
        else:
            victim.unlink()
    result = build_site(site)
    assert any("files of the output were changed or removed" in p.message for p in result.problems if p.path == "cache")
    assert snapshot(site / "public") == good
    again = build_site(site)
    assert again.report.written == [] and [p for p in again.problems if p.path == "cache"] == []


def test_a_damaged_search_bundle_is_made_again(tmp_path):
    site = make_site(tmp_path)
    write_config(site, search=True)
    build_site(site)
    bundle = site / "public" / json.loads((site / "public/pagefind/bundles.json").read_text())["bundles"][0]
    index = bundle / "pagefind-entry.json"
    good = index.read_bytes()
    fragments = sorted((bundle / "fragment").glob("*.pf_fragment"))
    fragment_bytes = fragments[0].read_bytes()
    index.write_bytes(b"{}")
    fragments[0].write_bytes(b"")
    assert not build_site(site, cache=False).failed  # even with no cache to say what was published
    assert index.read_bytes() != b"{}" and fragments[0].read_bytes() == fragment_bytes
    assert good.startswith(b"{") and index.read_bytes().startswith(b"{\"version\"")


def _header_lines(path: Path) -> list[bytes]:
    return path.read_bytes()[: cache_module.HEADER_SIZE].split(b"\n")


@pytest.mark.parametrize("field", [5, 6])  # the payload's and the manifest's size
def test_a_cache_header_with_impossible_sizes_is_a_note_and_a_clean_build(tmp_path, field):
    site = make_site(tmp_path)
    build_site(site)
    path = site_cache(site)
    data = bytearray(path.read_bytes())
    lines = _header_lines(path)
    offset = sum(len(line) + 1 for line in lines[:field])
    data[offset : offset + 16] = b"9" * 16  # 10^16 - 1 bytes: a seek past any file, a read of all memory
    path.write_bytes(bytes(data))
    write_article(site / "content", "2026-11-05-c4.md", article_fields(4, title="Edited after the damage"))
    result = build_site(site)
    assert not result.failed
    [note] = [p for p in result.problems if p.path == "cache"]
    assert note.severity == "note" and "truncated or corrupt" in note.message
    assert snapshot(site / "public") == clean_build(site)


def test_damaged_compiled_templates_are_compiled_again_and_no_cache_ignores_them(tmp_path):
    site = make_site(tmp_path)
    build_site(site)
    compiled = [p for p in site_cache(site).parent.glob("templates-*/*") if p.is_file()]
    assert compiled
    for path in compiled:
        path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 3])
    write_article(site / "content", "2026-11-05-c4.md", article_fields(4, title="Edited with damaged templates"))
    assert not build_site(site).failed
    assert snapshot(site / "public") == clean_build(site)
    for path in compiled:
        path.write_bytes(b"\x00" * 7)
    (site / "public").rename(site / "public-old")
    assert not build_site(site, cache=False).failed
    assert snapshot(site / "public") == clean_build(site)


def test_a_forged_cache_runs_no_code(tmp_path):
    """Whoever can write the cache but not the key (outside the cache folder) cannot make a build run code."""
    site = make_site(tmp_path)
    build_site(site)
    path = site_cache(site)
    witness = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (Path.touch, (witness,))

    key = _header_lines(path)[1]
    manifest = pickle.dumps(Payload())
    forged_payload = pickle.dumps(Payload()) * cache_module.STATE_PARTS
    import hashlib

    def plain(data: bytes) -> bytes:  # a digest with no key, all a forger can compute
        return hashlib.blake2b(data, digest_size=16).hexdigest().encode()

    mark = (site / "public" / ".newsdigest-output").read_bytes()
    header = cache_module.Header(key, plain(forged_payload), plain(mark), plain(manifest), len(forged_payload),
                                  len(manifest)).encode()
    path.write_bytes(header + forged_payload + manifest)
    result = build_site(site, now=NOW)
    assert not witness.exists()
    assert any("build cache ignored" in p.message for p in result.problems if p.path == "cache")
    assert cache_keys.key_file().stat().st_mode & 0o077 == 0  # the key is the user's alone


def test_the_key_lives_outside_every_cache_folder(tmp_path):
    site = make_site(tmp_path)
    build_site(site)
    key = cache_keys.key_file().resolve()
    assert site_cache(site).parent.resolve() not in key.parents
    assert site.resolve() not in key.parents


def test_a_fifo_as_the_cache_or_in_the_content_is_skipped(tmp_path):
    site = make_site(tmp_path)
    build_site(site)
    path = site_cache(site)
    path.unlink()
    os.mkfifo(path)
    os.mkfifo(site / "content" / "2026-11-09-pipe.md")
    os.mkfifo(site / "content" / "pipe.txt")
    write_article(site / "content", "2026-11-05-c4.md", article_fields(4, title="Edited beside a FIFO"))
    result = build_site(site)  # would block for ever on opening a FIFO to read
    assert not result.failed
    warned = {p.path for p in result.problems if "not a regular file" in p.message}
    assert {"2026-11-09-pipe.md", "pipe.txt"} <= warned
    assert any("build cache ignored" in p.message for p in result.problems if p.path == "cache")
    os.unlink(site / "content" / "2026-11-09-pipe.md")
    os.unlink(site / "content" / "pipe.txt")
    shutil.rmtree(site.parent / f"{site.name}-clean", ignore_errors=True)
    assert snapshot(site / "public") == clean_build(site)


def test_symlink_loops_in_content_and_links_out_of_static_are_skipped_with_a_warning(tmp_path):
    site = make_site(tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0")
    (site / "static").mkdir()
    (site / "static" / "leak.txt").symlink_to(secret)
    (site / "static" / "leakdir").symlink_to(tmp_path)
    (site / "content" / "loop-a.md").symlink_to(site / "content" / "loop-b.md")
    (site / "content" / "loop-b.md").symlink_to(site / "content" / "loop-a.md")
    result = build_site(site)
    assert not result.failed and result.articles == 8
    assert not (site / "public" / "leak.txt").exists() and not (site / "public" / "leakdir").exists()
    messages = [str(p) for p in result.problems]
    assert any("leak.txt" in m and "outside" in m for m in messages)
    assert any("loop-a.md" in m and "loop" in m for m in messages)
    assert not any(re.search(r"root:x", path.read_text(errors="replace")) for path in (site / "public").rglob("*")
                   if path.is_file())


def test_a_damaged_key_is_made_anew_and_the_cache_it_signed_is_not_trusted(tmp_path, monkeypatch):
    key = tmp_path / "config" / "cache.key"
    monkeypatch.setenv("NEWSDIGEST_CACHE_KEY", str(key))
    cache_keys.secret_key.cache_clear()
    try:
        site = make_site(tmp_path / "site")
        build_site(site)
        assert key.stat().st_mode & 0o777 == 0o600 and len(key.read_bytes()) == 32
        key.write_bytes(b"short")
        cache_keys.secret_key.cache_clear()  # a new process
        result = build_site(site)
        assert not result.failed and len(key.read_bytes()) == 32
        assert any("build cache ignored" in p.message for p in result.problems if p.path == "cache")
    finally:
        cache_keys.secret_key.cache_clear()
