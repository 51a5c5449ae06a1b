"""Each derived structure declares the article fields it reads; an edit touching none of them keeps it.

Incremental builds trust these declarations (``reindex.structure``): a field
read but not declared would leave stale pages behind. These tests record
every field the real functions read and fail on an undeclared one.
"""
from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

from generator.content.metadata import Metadata
from generator.core.models import Article, Image, Provider, RelatedStory, SiteConfig, TopicRef
from generator.index import site_index as index_module
from generator.index.site_index import build_index
from generator.pages import plan as plan_module
from generator.pages.plan import plan_site

FIELDS = {f.name for f in dataclasses.fields(Article)}


class Recording(Article):
    """An Article that notes which of its fields are read."""

    reads: set[str] = set()

    def __getattribute__(self, name: str):  # type: ignore[no-untyped-def]
        if name in FIELDS:
            Recording.reads.add(name)
        return super().__getattribute__(name)


def corpus() -> list[Article]:
    start = datetime(2026, 11, 1, tzinfo=timezone.utc)
    articles = []
    for n in range(30):
        articles.append(Recording(
            source=f"a{n}.md", slug=f"a{n}", title=f"T{n}", excerpt="e", published=start + timedelta(hours=5 * n),
            updated=start + timedelta(hours=5 * n + 1) if n % 4 == 0 else None, link="https://x.example/a",
            original_url=None, type="article", category="", quality=n % 5, heat=n % 7, is_published=n % 6 != 0,
            provider=Provider(f"p{n % 3}.example", f"P{n % 3}", f"p{n % 3}.example",
                              Image("https://x.example/l.png", 40, 40) if n % 2 else None),
            topics=(TopicRef("ai", "AI"), TopicRef(f"t{n % 4}", f"T{n % 4}")),
            images=(Image("https://x.example/i.jpg", 800, 450),), body_html="<p>b</p>",
            related=(RelatedStory("r", "https://y.example/r"),)))
    return articles


def test_the_index_reads_only_what_it_declares():
    Recording.reads = set()
    build_index(corpus(), Metadata({}, {}, ()), timezone.utc)
    assert Recording.reads <= index_module.READS, Recording.reads - index_module.READS
    assert Recording.reads, "the recorder saw nothing"


def test_more_on_topic_reads_only_what_it_declares():
    from generator.index import similar

    articles = {a.slug: a for a in corpus()}
    newest_first = sorted(articles.values(), key=lambda a: -a.published.timestamp())
    members = {t.slug: [a.slug for a in newest_first if t in a.topics] for a in newest_first for t in a.topics}
    Recording.reads = set()
    similar.more_on_topic(articles, members)
    assert Recording.reads and Recording.reads <= similar.READS, Recording.reads - similar.READS


def test_the_plan_reads_only_what_it_declares():
    index = build_index(corpus(), Metadata({}, {}, ()), timezone.utc)
    Recording.reads = set()
    plan_site(index, SiteConfig(page_size=4))
    assert Recording.reads <= plan_module.READS, Recording.reads - plan_module.READS
    assert "published" in Recording.reads


def test_story_grouping_reads_only_what_it_declares():
    from generator.stories import grouping as stories

    Recording.reads = set()
    stories.group_stories(corpus())
    assert Recording.reads and Recording.reads <= stories.READS, Recording.reads - stories.READS
