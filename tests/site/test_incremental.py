"""Incremental rebuilds must leave exactly what a clean full build produces."""
from __future__ import annotations

import os
import random
import re
from pathlib import Path

import pytest

from generator.build import cache_layout
from generator.build.builder import Builder, BuildOptions, Changes
from helpers import NOW, article_fields, snapshot, write_article, write_config

TOPICS = ["AI", "Robotics", "Vision", "Chips", "Policy"]


def options(site, out="public", unpublished=True):
    return BuildOptions(content_dir=site / "content", output_dir=site / out, config_path=site / "site.yaml",
                        include_unpublished=unpublished, now=NOW, fingerprint_assets=False)


def fields_for(n, rng):
    return article_fields(n, topics=rng.sample(TOPICS, rng.randint(1, 3)), heat=rng.randint(0, 9),
                          provider={"name": f"Outlet {n % 4}", "domain": f"o{n % 4}.example"})


def touch_later(path):
    """Editors save within the same mtime tick; make sure (mtime, size) differs as on a real save."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))


@pytest.fixture
def site(tmp_path):
    write_config(tmp_path, page_size=4)
    rng = random.Random(3)
    for n in range(24):
        write_article(tmp_path / "content", f"2026-11-{n % 28 + 1:02d}-s{n}.md", fields_for(n, rng))
    return tmp_path


def assert_equals_clean_build(site, unpublished=True):
    clean = Builder(options(site, "clean", unpublished)).build()
    assert not clean.failed
    assert snapshot(site / "public") == snapshot(site / "clean")


def test_title_edit_rerenders_only_pages_that_show_the_article(site):
    builder = Builder(options(site))
    first = builder.build()
    path = site / "content/2026-11-05-s4.md"
    write_article(site / "content", path.name, article_fields(4, title="A brand new headline", topics=["Policy"]))
    touch_later(path)
    # A structural change (topics) first: full re-index, but only changed pages are rendered.
    second = builder.build(Changes(content=frozenset([path.name])))
    assert 0 < second.rendered < first.rendered
    text = path.read_text().replace("A brand new headline", "An edited headline")
    path.write_text(text)
    touch_later(path)
    third = builder.build(Changes(content=frozenset([path.name])))
    pages_showing = {
        p for p in snapshot(site / "public") if b"An edited headline" in (site / "public" / p).read_bytes()
    }
    written = set(third.report.written)
    assert {p for p in written if not p.startswith("pagefind/")} == pages_showing
    # The search index follows the new headline: its part is indexed again.
    assert [p for p in written if p.startswith("pagefind/") and p.endswith("/pagefind-entry.json")]
    assert third.rendered <= len(pages_showing) + 1
    assert [p for p in third.report.removed if not p.startswith("pagefind/")] == []  # the bundle's old files go
    assert_equals_clean_build(site)


@pytest.mark.parametrize("seed", [11, 23])
def test_random_edit_sequence_matches_clean_build(site, seed, monkeypatch):
    """The clean builds load the cache of the one before: with seed 11 in the layout of a large site."""
    if seed == 11:
        monkeypatch.setattr(cache_layout, "RECORDS_APART_FROM", 0)
    rng = random.Random(seed)
    builder = Builder(options(site))
    builder.build()
    content = site / "content"
    next_n = 100
    for step in range(40):
        files = sorted(p.name for p in content.glob("*.md"))
        name = rng.choice(files)
        action = rng.choice(
            ["title", "topics", "date", "publish", "delete", "create", "rename", "provider", "body", "break"]
        )
        changed = {name}
        fields = fields_for(int(re.search(r"-s(\d+)", name).group(1)), rng)
        if action == "title":
            fields["title"] = f"Retitled {step}"
        elif action == "date":
            fields["publishedDateTime"] = f"2026-10-{rng.randint(1, 28):02d}T08:00:00Z"
        elif action == "publish":
            fields["published"] = rng.choice([True, False])
        elif action == "provider":
            fields["provider"] = {"name": "Switched", "domain": "switched.example"}
        elif action == "delete":
            (content / name).unlink()
        elif action == "create":
            name = f"2026-11-{rng.randint(1, 28):02d}-s{next_n}.md"
            next_n += 1
            changed = {name}
        elif action == "rename":
            new_name = name.replace(".md", "-moved.md")
            os.replace(content / name, content / new_name)
            changed.add(new_name)
        if action == "break":
            (content / name).write_text("---\ntitle: [broken\n---\n")
        elif action not in ("delete", "rename"):
            write_article(content, name, fields, body=f"Body {step}" if action == "body" else "")
        if (content / name).exists():
            touch_later(content / name)
        result = builder.build(Changes(content=frozenset(changed)))
        assert not result.failed
        assert_equals_clean_build(site)


def test_template_and_metadata_changes(site):
    builder = Builder(options(site))
    builder.build()
    (site / "templates").mkdir()
    (site / "templates/404.html").write_text(
        "{% extends 'base.html' %}{% block content %}Custom missing page{% endblock %}"
    )
    result = builder.build(Changes(templates=True))
    assert "404.html" in result.report.written and len(result.report.written) == 1
    (site / "content/_data/topics").mkdir(parents=True)
    (site / "content/_data/topics/ai.yaml").write_text("name: AI\ndescription: All of it.\n")
    builder.build(Changes(content=frozenset(["_data/topics/ai.yaml"])))
    assert "All of it." in (site / "public/topics/ai/index.html").read_text()
    assert_equals_clean_build(site)


def test_public_build_publishing_and_unpublishing(site):
    builder = Builder(options(site, unpublished=False))
    builder.build()
    path = site / "content/2026-11-03-s2.md"
    rng = random.Random(5)
    for published in (False, True, False):
        write_article(site / "content", path.name, fields_for(2, rng) | {"published": published})
        touch_later(path)
        builder.build(Changes(content=frozenset([path.name])))
        assert (site / "public/news/2026-11-03-s2/index.html").exists() is published
        assert_equals_clean_build(site, unpublished=False)


def test_serve_keeps_the_last_good_version_of_a_broken_file(site):
    builder = Builder(options(site), preview=True)
    builder.build()
    page = site / "public/news/2026-11-02-s1/index.html"
    before = page.read_bytes()
    path = site / "content/2026-11-02-s1.md"
    path.write_text("---\ntitle: [broken\n---\n")
    result = builder.build(Changes(content=frozenset([path.name])))
    assert page.read_bytes() == before
    assert [str(p) for p in result.errors] == [
        f"{path.name}:2: error: invalid YAML: did not find expected ',' or ']' "
        "(noticed on line 3, while parsing a flow sequence)"
    ]


def test_parallel_one_off_build_equals_sequential_build(tmp_path):
    """Large one-off builds read and render in forked workers; the output must not depend on it."""
    from generator.core.parallel import MIN_ITEMS, worker_count
    from make_corpus import write_corpus

    write_corpus(MIN_ITEMS + 100, tmp_path / "content")
    parallel = Builder(
        BuildOptions(content_dir=tmp_path / "content", output_dir=tmp_path / "parallel", now=NOW)
    ).build()
    sequential = Builder(
        BuildOptions(content_dir=tmp_path / "content", output_dir=tmp_path / "sequential", now=NOW, jobs=1)
    ).build()
    assert worker_count(parallel.pages) > 1 or os.cpu_count() == 1
    assert parallel.articles == sequential.articles and parallel.problems == sequential.problems
    assert snapshot(tmp_path / "parallel") == snapshot(tmp_path / "sequential")


def test_a_one_off_build_keeps_cards_only_while_its_run_of_pages_shows_them(site, monkeypatch):
    """Pages render in runs ordered by time (each forked worker takes runs): a card made for one run is dropped
    when a later run does not show its article, so no process holds every article's HTML to its end; once the
    pages are staged the build lets go of them all. The preview keeps them all for its next build."""
    held = []  # the cards kept as each run of pages ends
    render_chunk = Builder._render_chunk

    def recording(self, publisher, pages):
        results = render_chunk(self, publisher, pages)
        held.append(len(self.remembered()["fragments"]))
        return results

    monkeypatch.setattr(Builder, "_render_chunk", recording)
    one_off = Builder(options(site))
    assert not one_off.build().failed
    assert len(held) > 2 and max(held) < 24 and sum(held) > 0  # never every article's card at once
    assert one_off.remembered()["fragments"] == set()  # let go of once the pages are staged
    preview = Builder(options(site, "preview"), preview=True)
    assert not preview.build().failed
    assert len(preview.remembered()["fragments"]) == 24
    preview.close()


def test_preview_caches_forget_deleted_articles(site):
    builder = Builder(options(site), preview=True)
    builder.build()
    gone = "2026-11-02-s1"
    kept = builder.remembered()
    assert gone in kept["fragments"] and gone in kept["items"]  # cards and feed items were made
    (site / f"content/{gone}.md").unlink()
    builder.build(Changes(content=frozenset([f"{gone}.md"])))
    kept = builder.remembered()
    assert gone not in kept["fragments"] and gone not in kept["items"]
    assert len(kept["fragments"]) > 10
    builder.close()


def test_build_steps_add_outputs_that_publish_atomically_and_follow_the_no_change_rule(site):
    """A step after rendering (the search index, later) adds files; the publisher owns them like pages."""
    from generator.core.options import StepInput

    def page_index(step: StepInput):
        html = sorted(p.path for p in step.pages if p.path.endswith(".html"))
        titles = [step.read(p).split(b"<title>", 1)[1].split(b"</title>", 1)[0] for p in html]
        yield (
            "steps/pages.txt",
            b"\n".join(path.encode() + b" " + title for path, title in zip(html, titles, strict=True)),
        )

    builder = Builder(options(site), steps=[page_index])
    first = builder.build()
    listing = (site / "public/steps/pages.txt").read_bytes()
    assert "steps/pages.txt" in first.report.written and b"news/2026-11-02-s1/index.html Story number 1" in listing
    again = Builder(options(site), steps=[page_index]).build()
    assert again.report.written == [] and again.report.removed == []  # no change writes nothing, step output included
    # An edit: the step sees the newly rendered bytes, not the old output.
    write_article(site / "content", "2026-11-02-s1.md", article_fields(1, title="Renamed story"))
    edited = Builder(options(site), steps=[page_index]).build()
    assert "steps/pages.txt" in edited.report.written
    assert b"news/2026-11-02-s1/index.html Renamed story" in (site / "public/steps/pages.txt").read_bytes()
    # A new topic swaps in a whole new tree: the step's file is part of it.
    write_article(site / "content", "2026-11-25-fresh.md", article_fields(50, topics=["Brand new"]))
    swapped = Builder(options(site), steps=[page_index]).build()
    assert swapped.report.swapped and b"topics/brand-new/index.html" in (site / "public/steps/pages.txt").read_bytes()
    # A build without the step removes its file, which the generator owns.
    removed = Builder(options(site)).build()
    assert removed.report.removed == ["steps/pages.txt"] and not (site / "public/steps").exists()


def test_a_step_may_hand_its_files_over_as_files_left_in_its_scratch_folder(site, monkeypatch):
    """A large output need not sit in memory: the step leaves it in the folder the build gives it, which the build
    removes once the file is staged."""
    from generator.core.options import StepInput

    seen = []

    def large(step: StepInput):
        assert step.scratch is not None and step.scratch.is_dir()
        seen.append(step.scratch)
        (step.scratch / "big.bin").write_bytes(b"x" * 100_000)
        return [("steps/big.bin", step.scratch / "big.bin"), ("steps/small.txt", b"small")]

    first = Builder(options(site), steps=[large]).build()
    assert {"steps/big.bin", "steps/small.txt"} <= set(first.report.written)
    assert (site / "public/steps/big.bin").read_bytes() == b"x" * 100_000 and not seen[0].exists()
    again = Builder(options(site), steps=[large]).build()
    assert again.report.written == [] and not seen[1].exists()  # unchanged: not rewritten

    def kept(step: StepInput):  # as the search step hands over a part it keeps: the published file itself
        assert step.published is not None
        return [("steps/big.bin", step.published("steps/big.bin")), ("steps/small.txt", b"small")]

    read = []
    read_bytes = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: read.append(self.name) or read_bytes(self))
    third = Builder(options(site), steps=[kept]).build()
    assert third.report.written == [] and third.report.removed == [] and "big.bin" not in read  # kept, not read


def test_a_new_page_kind_is_one_registry_entry_and_a_template(site, monkeypatch):
    """What the README promises for days, stories and search: no other code changes."""
    from generator.core.models import OutputPage
    from generator.pages import plan
    from generator.pages.kinds import PageKind

    about = PageKind(
        "about",
        lambda given: [OutputPage("about/index.html", "about.html", "about")],
        lambda site, page: {"page_path": "about/", "stories": len(site.index.articles)},
        sitemap="list",
    )
    first_feed = plan.REGISTRY.index(plan.BY_NAME["feed"])
    registry = (*plan.REGISTRY[:first_feed], about, *plan.REGISTRY[first_feed:])  # before the feeds and sitemaps
    monkeypatch.setattr(plan, "REGISTRY", registry)
    monkeypatch.setattr(plan, "BY_NAME", {kind.name: kind for kind in registry})
    (site / "templates").mkdir()
    (site / "templates/about.html").write_text(
        '{% extends "base.html" %}{% block content %}<h1>About</h1><p id="n">{{ stories }} stories</p>{% endblock %}'
    )
    Builder(options(site)).build()
    page = (site / "public/about/index.html").read_text()
    assert '<p id="n">24 stories</p>' in page and "<title>" in page
    assert "https://news.example/about/" in (site / "public/sitemap.xml").read_text()


def test_an_edit_whose_build_failed_is_rendered_by_the_next_build(site, monkeypatch):
    """The preview keeps its state in memory: pages showing a file changed in a build that failed while
    rendering must render in the next build, even when that build's own change is elsewhere."""
    import generator.render.session

    builder = Builder(options(site), preview=True)
    builder.build()
    first, second = sorted((site / "content").glob("*.md"))[:2]
    first.write_text(first.read_text().replace("Story number", "Edited story number"))
    touch_later(first)
    real_render = generator.render.session.render_page

    def failing(env, page, context):
        raise RuntimeError("injected failure")

    monkeypatch.setattr(generator.render.session, "render_page", failing)
    with pytest.raises(RuntimeError, match="injected failure"):
        builder.build(Changes(content=frozenset([first.name])))
    monkeypatch.setattr(generator.render.session, "render_page", real_render)
    second.write_text(second.read_text().replace("Summary of story", "A new summary of story"))
    touch_later(second)
    builder.build(Changes(content=frozenset([second.name])))
    builder.close()
    Builder(options(site, "clean")).build()
    assert any(b"Edited story number" in page.read_bytes() for page in (site / "public").rglob("*.html"))
    assert snapshot(site / "public") == snapshot(site / "clean")
