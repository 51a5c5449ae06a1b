"""The persistent build cache: a new process starts from the last build's state, and is never wrong for it."""
from __future__ import annotations

import random
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from generator.build import cache_layout
from helpers import NOW, article_fields, build_site, site_cache, snapshot, write_article, write_config

REPO = Path(__file__).resolve().parents[2]


def make_site(root: Path, count: int = 8) -> Path:
    write_config(root, search=False)
    for n in range(count):
        write_article(
            root / "content", f"2026-11-{n % 20 + 1:02d}-c{n}.md", article_fields(n, topics=["AI", f"T{n % 3}"])
        )
    return root


def clean_build(site: Path, **options) -> dict[str, bytes]:
    """The same site built from nothing into a folder of its own."""
    other = site.parent / f"{site.name}-clean"
    shutil.rmtree(other, ignore_errors=True)
    other.mkdir()
    for name in ("content", "site.yaml", "templates", "static"):
        if (site / name).is_dir():
            shutil.copytree(site / name, other / name)
        elif (site / name).exists():
            (other / name).write_bytes((site / name).read_bytes())
    assert not build_site(other, cache=False, **options).failed
    return snapshot(other / "public")


def test_a_second_build_starts_from_the_cache_and_renders_and_writes_nothing(tmp_path):
    site = make_site(tmp_path)
    first = build_site(site)
    assert first.rendered > 20 and site_cache(site).is_file()
    again = build_site(site)  # a new Builder, as a new process would make
    assert again.rendered == 0 and again.report.written == [] and again.report.removed == []
    assert [p for p in again.problems if p.path == "cache"] == []
    without = build_site(site, cache=False)
    assert without.rendered == first.rendered and without.report.written == []


@pytest.fixture(params=["one stream", "records apart"])
def layout(request, monkeypatch):
    """Both layouts of the cache file (build/cache_layout.py): a small site's, and a large site's forced."""
    if request.param == "records apart":
        monkeypatch.setattr(cache_layout, "RECORDS_APART_FROM", 0)
    return request.param


def test_an_edit_renders_only_the_pages_that_show_it(tmp_path, layout):
    site = make_site(tmp_path)
    build_site(site)
    write_article(
        site / "content", "2026-11-03-c2.md", article_fields(2, title="A corrected headline", topics=["AI", "T2"])
    )
    edited = build_site(site)
    assert 0 < edited.rendered < edited.pages / 2 and "news/2026-11-03-c2/index.html" in edited.report.written
    assert snapshot(site / "public") == clean_build(site)


def test_a_damaged_foreign_or_stale_cache_is_ignored_with_a_note_and_the_output_is_still_right(tmp_path):
    site = make_site(tmp_path)
    build_site(site)
    cache = site_cache(site)
    good = cache.read_bytes()
    for damaged, reason in [
        (good[: len(good) // 2], "truncated or corrupt"),
        (good.replace(good.split(b"\n")[1], b"0" * 32, 1), "another version"),  # the key of other code
        (b"\x00garbage", "not a cache of this format"),
    ]:
        cache.write_bytes(damaged)
        write_article(site / "content", "2026-11-05-c4.md", article_fields(4, title=f"Edited for {reason}"))
        result = build_site(site)
        [note] = [p for p in result.problems if p.path == "cache"]
        assert note.severity == "note" and reason in note.message and "\n" not in str(note)
        assert result.rendered > 20  # from scratch
        assert snapshot(site / "public") == clean_build(site)
    (site / "public/news/2026-11-02-c1/index.html").unlink()  # someone else changed the output
    result = build_site(site)
    assert any("files of the output were changed or removed" in p.message for p in result.problems if p.path == "cache")
    assert snapshot(site / "public") == clean_build(site)


def test_the_cache_is_gone_while_the_output_changes(tmp_path, monkeypatch):
    """A build killed while publishing must not leave a cache describing the output before it."""
    from generator.publish import write

    site = make_site(tmp_path)
    build_site(site)
    cache = site_cache(site)
    seen = []
    commit = write.Publisher.commit

    def watched(self):
        seen.append(cache.exists())
        return commit(self)

    monkeypatch.setattr(write.Publisher, "commit", watched)
    write_article(site / "content", "2026-11-02-c1.md", article_fields(1, title="Changed"))
    build_site(site)
    assert seen == [False] and cache.exists()


def test_a_new_day_moves_today_on_a_cached_build(tmp_path):
    site = make_site(tmp_path)
    build_site(site, now=NOW)
    later = NOW + timedelta(days=1)
    result = build_site(site, now=later)
    assert result.rendered > 0
    assert snapshot(site / "public") == clean_build(site, now=later)


def test_random_changes_across_separate_processes_match_a_clean_build(tmp_path):
    """Edits, additions, deletions, a template override and a config change, each built by a new process."""
    rng = random.Random(15)
    site = make_site(tmp_path, count=12)
    content = site / "content"

    def build() -> None:
        done = subprocess.run(
            [sys.executable, "-m", "generator", "build", "--quiet"],
            cwd=site,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr

    build()
    for step in range(14):
        names = sorted(p.name for p in content.glob("*.md"))
        action = rng.choice(["title", "topics", "add", "delete", "unpublish", "template", "touch", "config"])
        if action == "add" or len(names) < 4:
            write_article(
                content, f"2026-10-{step + 1:02d}-new{step}.md", article_fields(40 + step, topics=["AI", "T9"])
            )
        elif action == "delete":
            (content / rng.choice(names)).unlink()
        elif action == "template":
            (site / "templates").mkdir(exist_ok=True)
            (site / "templates/404.html").write_text(
                f"{{% extends 'base.html' %}}{{% block content %}}Gone {step}{{% endblock %}}"
            )
        elif action == "touch":
            path = content / rng.choice(names)
            path.write_bytes(path.read_bytes())
        elif action == "config":
            write_config(site, search=False, page_size=rng.choice([3, 5, 20]))
        else:
            n = rng.randrange(100)
            write_article(
                content,
                rng.choice(names),
                article_fields(
                    n,
                    title=f"Step {step} headline",
                    topics=["AI", rng.choice(["T0", "T1", "T5"])],
                    published=action != "unpublish",
                ),
            )
        build()
        assert snapshot(site / "public") == clean_build(site, now=None), f"step {step}: {action}"


def test_a_new_story_rewrites_the_first_page_of_its_lists_and_no_numbered_page(tmp_path):
    write_config(tmp_path, search=False, page_size=4)
    for n in range(41):
        write_article(
            tmp_path / "content",
            f"2026-10-{n % 28 + 1:02d}-p{n}.md",
            article_fields(
                n,
                title=f"Distinct headline {n} about item{n}",
                topics=["AI", "Robotics"],
                publishedDateTime=f"2026-10-{n % 28 + 1:02d}T{n % 24:02d}:00:00Z",
            ),
        )
    build_site(tmp_path)
    numbered = {p for p in snapshot(tmp_path / "public") if "/page/" in p or p.startswith("page/")}
    assert len(numbered) > 20
    write_article(
        tmp_path / "content",
        "2026-11-20-fresh.md",
        article_fields(
            77,
            title="A wholly fresh report on Quillon",
            topics=["AI", "Robotics"],
            publishedDateTime="2026-11-20T09:00:00Z",
        ),
    )
    result = build_site(tmp_path)
    assert "news/2026-11-20-fresh/index.html" in result.report.written
    assert {"index.html", "topics/robotics/index.html", "api/news/index.json"} <= set(result.report.written)
    moved = sorted(numbered & set(result.report.written))
    # Only where the new story completes a chunk: the new highest page appears, and the two below it link to it.
    by_list: dict[str, list[int]] = {}
    for path in moved:
        head, number = path.rsplit("page/", 1)
        by_list.setdefault(head, []).append(int(number.split("/")[0]))
    assert all(len(numbers) <= 2 for numbers in by_list.values()), by_list
    assert len(moved) < len(numbered) / 5 and len(result.report.written) < 60
    assert snapshot(tmp_path / "public") == clean_build(tmp_path)


def test_a_second_build_at_once_is_refused_by_the_lock_and_leaves_the_cache_alone(tmp_path):
    import pytest

    from generator.build.builder import Builder, BuildOptions
    from generator.publish.output import OutputBusy

    site = make_site(tmp_path)
    build_site(site)
    cache = site_cache(site)
    before = cache.read_bytes()
    holder = Builder(
        BuildOptions(content_dir=site / "content", output_dir=site / "public", config_path=site / "site.yaml")
    )
    holder.claim_output()  # a build in progress holds the output's lock, under which the cache is read and written
    try:
        write_article(site / "content", "2026-11-02-c1.md", article_fields(1, title="Changed meanwhile"))
        with pytest.raises(OutputBusy):
            build_site(site)
        assert cache.read_bytes() == before
    finally:
        holder.close()
    assert "news/2026-11-02-c1/index.html" in build_site(site).report.written


def test_with_nothing_changed_the_state_is_not_even_loaded(tmp_path, monkeypatch):
    """The cache's manifest lists every input file's stat: the same files, day and output give the last
    result without loading the state; any change to any of them loads it (and builds right)."""
    from generator.build import cache
    from generator.content import files as content

    monkeypatch.setattr(content, "RACY_NS", 0)  # as when the files were written long before the build
    site = make_site(tmp_path)
    write_article(site / "content", "broken.md", {"title": "no date"})  # a problem the quick answer must repeat
    first = build_site(site, now=NOW)
    loads: list[int] = []
    monkeypatch.setattr(cache, "load", _counting(cache.load, loads))
    quick = build_site(site, now=NOW)
    assert loads == [] and quick.rendered == 0 and quick.report.written == [] and quick.articles == first.articles
    assert quick.pages == first.pages and [str(p) for p in quick.problems] == [str(p) for p in first.problems]
    assert quick.report.unchanged == len(snapshot(site / "public"))
    changes = [
        lambda: (site / "content/2026-11-02-c1.md").touch(),  # touched: same bytes, another stat
        lambda: (site / "content/assets").mkdir() or (site / "content/assets/logo.png").write_bytes(b"png"),
        lambda: (
            (site / "content/_data/topics").mkdir(parents=True)
            or (site / "content/_data/topics/t1.yaml").write_text("name: T1\ndescription: About T1\n")
        ),
        lambda: (site / "templates").mkdir() or (site / "templates/404.html").write_text("{% extends 'base.html' %}\n"),
        lambda: (site / "static").mkdir() or (site / "static/robots-extra.txt").write_text("x"),
        lambda: write_config(site, search=False, title="Renamed"),
    ]
    for change in changes:
        change()
        loads.clear()
        build_site(site, now=NOW)
        assert loads == [1], change
        assert snapshot(site / "public") == clean_build(site, now=NOW)
        loads.clear()
        build_site(site, now=NOW)
        assert loads == []  # and quick again
    build_site(site, now=NOW + timedelta(days=1))  # a new day: "Today" moves
    assert loads == [1]


def _counting(function, calls):
    def counted(*args):
        calls.append(1)
        return function(*args)

    return counted


def test_a_cache_written_while_workers_render_serves_the_next_builds_and_a_failed_build_leaves_none(
    tmp_path, monkeypatch
):
    """Where pages render in forked workers, the cache's first part is written meanwhile; the next builds
    start from it (nothing to write, then an edit built as a clean build would build it); a temporary file a
    killed build left is removed; a build that fails while publishing leaves no cache and no temporary file."""
    import pytest

    from generator.build import cache
    from generator.content import files as content
    from generator.core import parallel
    from generator.publish import write

    monkeypatch.setattr(content, "RACY_NS", 0)  # as when the files were written long before the build
    monkeypatch.setattr(parallel, "MIN_ITEMS", 1)  # fork for this small site as for a large one
    begun_with_workers: list[bool] = []
    begin = cache.Saving.begin
    working: set[int] = set()  # pools of forked workers now running
    start, stop = parallel._Workers.start, parallel._Workers.stop
    monkeypatch.setattr(parallel._Workers, "start", lambda self, task: working.add(id(self)) or start(self, task))
    monkeypatch.setattr(parallel._Workers, "stop", lambda self: working.discard(id(self)) or stop(self))

    def watched_begin(self):
        if not self._begun:  # the first part is written now
            begun_with_workers.append(bool(working))
        begin(self)

    monkeypatch.setattr(cache.Saving, "begin", watched_begin)
    site = make_site(tmp_path)
    state = site_cache(site)
    state.parent.mkdir(parents=True)
    leftover = state.parent / f".{state.name}.killed"  # as a build killed while writing the cache leaves it
    leftover.write_bytes(b"half a cache")
    first = build_site(site, jobs=2)
    assert first.rendered > 20 and begun_with_workers == [True] and state.is_file() and not leftover.exists()
    again = build_site(site, jobs=2)
    assert again.rendered == 0 and again.report.written == [] and [p for p in again.problems if p.path == "cache"] == []
    write_article(
        site / "content",
        "2026-11-03-c2.md",
        article_fields(2, title="Edited after a parallel build", topics=["AI", "T2"]),
    )
    monkeypatch.setattr(parallel, "MIN_ITEMS", 1000)  # an edit renders a few pages, in this process
    edited = build_site(site, jobs=2)
    assert 0 < edited.rendered < edited.pages / 2 and begun_with_workers == [True, False]
    assert snapshot(site / "public") == clean_build(site)

    monkeypatch.setattr(parallel, "MIN_ITEMS", 1)

    def failing_commit(self):
        raise OSError("disk full")

    monkeypatch.setattr(write.Publisher, "commit", failing_commit)
    (site / "site.yaml").write_text((site / "site.yaml").read_text() + "page_size: 3\n")  # every page renders again
    with pytest.raises(OSError):
        build_site(site, jobs=2)
    assert begun_with_workers[-1] is True
    assert not state.exists() and list(state.parent.glob(f".{state.name}.*")) == []


def _state_loaded_from_cache(site: Path):
    from generator.build.builder import Builder
    from generator.core.options import BuildOptions

    builder = Builder(BuildOptions(site / "content", site / "public", config_path=site / "site.yaml", now=NOW))
    builder.claim_output()
    try:
        assert builder._load_cache() == []
        return builder.state
    finally:
        builder.close()


def test_the_cached_state_shares_its_objects_as_the_built_one_did(tmp_path, layout):
    """The cache writes each article apart (so its pickler's table stays small) and the rest of the state by
    reference to them: once loaded, the index and stories hold the very articles read, their texts are not
    copies, and an outlet or a topic is one object however many articles name it."""
    site = make_site(tmp_path, count=12)
    organizations = site / "content/_data/organizations"
    organizations.mkdir(parents=True)
    (organizations / "outlet1.example").write_text("---\n_id: outlet1.example\nname: Outlet One\n"
                                                   "domain: outlet1.example\n---")
    assert not build_site(site).failed
    state = _state_loaded_from_cache(site)
    read = {source.article.slug: source.article for source in state.content.sources.values()}
    assert state.index is not None and state.grouper is not None and len(read) == 12
    described = 0
    for slug, article in state.index.articles.items():
        original = read[slug]
        if article is original:
            continue
        described += 1  # outlet metadata applied: a copy, holding the same texts
        assert article.provider.name == "Outlet One" and original.provider.name == "Outlet 1"
        assert article.title is original.title and article.body_html is original.body_html
        assert article.slug is original.slug and article.published is original.published
    assert described == 4  # articles 1, 4, 7, 10 are Outlet 1's
    assert all(state.grouper._seen[slug] in (read[slug], state.index.articles[slug]) for slug in read)
    assert len({id(topic) for a in read.values() for topic in a.topics if topic.slug == "ai"}) == 1
    assert len({id(a.provider) for a in read.values() if a.provider.key == "outlet2.example"}) == 1
    assert {path for path in state.rendered} == {page.path for page in state.pages}
