import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

from generator.content.metadata import Metadata
from generator.core.models import Article, Provider, ProviderMeta, Story, TopicRef
from generator.index.similar import more_on_topic, topic_weight
from generator.index.site_index import build_index

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)
NO_META = Metadata({}, {}, ())


def make(
    slug: str, hours: float, topics: list[str], heat: int = 0, quality: int = 0, provider: str | None = "p.example"
) -> Article:
    return Article(
        source=f"{slug}.md",
        slug=slug,
        title=slug,
        excerpt="",
        published=T0 + timedelta(hours=hours),
        updated=None,
        link=None,
        original_url=None,
        type="article",
        category="news",
        quality=quality,
        heat=heat,
        is_published=True,
        provider=Provider(provider, provider.upper(), provider) if provider else None,
        topics=tuple(TopicRef(t, t.title()) for t in topics),
        images=(),
        related=(),
        body_html="",
    )


def test_rarer_shared_topic_ranks_first_then_closeness_in_time():
    articles = [
        make("me", 100, ["ai", "robotics"]),
        make("common-near", 101, ["ai"]),
        make("rare-far", 90, ["ai", "robotics"]),
        make("rare-only", 80, ["robotics"]),
        *[make(f"filler{i}", 50 + i, ["ai"]) for i in range(5)],
    ]
    index = build_index(articles, NO_META, timezone.utc)
    assert index.more_on_topic["me"][:3] == ("rare-far", "rare-only", "common-near")
    assert "me" not in index.more_on_topic["me"]


def test_more_on_topic_looks_only_at_a_bounded_window():
    # One topic holding every article: each article may only consider its nearest neighbours.
    articles = {f"a{i:04d}": make(f"a{i:04d}", i, ["ai"]) for i in range(2000)}
    members = {"ai": sorted(articles, key=lambda s: -articles[s].published.timestamp())}
    result = more_on_topic(articles, members, limit=5, window=8)
    assert result["a1000"] == ("a0999", "a1001", "a0998", "a1002", "a0997")
    assert all(len(v) == 5 for v in result.values())


def test_newest_first_and_groups():
    articles = [
        make("old", 1, ["ai"]),
        make("new", 5, ["ai", "vision"], provider="q.example"),
        make("mid", 3, ["vision"], provider=None),
    ]
    index = build_index(articles, NO_META, timezone.utc)
    assert index.newest == ("new", "mid", "old")
    assert index.topics["vision"].articles == ("new", "mid")
    assert set(index.providers) == {"p.example", "q.example"}


def test_top_stories_are_the_most_covered_then_hottest_of_the_last_two_days():
    articles = [
        make("old-hot", -60, ["ai"], heat=99),
        make("yesterday-hot", -20, ["ai"], heat=80),
        make("today-a", 10, ["ai"], heat=5),
        make("today-b", 11, ["ai"], heat=50),
        make("today-c", 12, ["ai"], heat=5, quality=9),
        make("covered-1", 1, ["ai"], provider="one.example"),
        make("covered-2", 2, ["ai"], provider="two.example"),
    ]
    story = Story("covered-1", "covered-1", ("covered-1", "covered-2"))
    index = build_index(articles, NO_META, timezone.utc, [story])
    # Two outlets cover one story: it leads; then heat, quality, newest. "old-hot" is 72 h before the newest.
    assert index.top_stories == ("covered-1", "yesterday-hot", "today-b", "today-c", "today-a")  # by its lead
    alone = build_index([make("only", 0, ["ai"]), make("long-ago", -100, ["ai"])], NO_META, timezone.utc)
    assert alone.top_stories == ()  # one story in the window: no block that repeats the list


def test_provider_metadata_names_the_outlet_everywhere():
    meta = Metadata({}, {"p.example": ProviderMeta("p.example", "Proper Name", "p.example")}, ())
    index = build_index([make("x", 1, ["ai"])], meta, timezone.utc)
    assert index.articles["x"].provider.name == "Proper Name"
    assert index.providers["p.example"].name == "Proper Name"
    # The outlets of its "related" coverage too; an outlet without metadata keeps what the file says.
    from dataclasses import replace

    from generator.core.models import RelatedStory

    related = (
        RelatedStory("Elsewhere", "https://p.example/b", provider=Provider("p.example", "p", "p.example")),
        RelatedStory("Other", "https://q.example/c", provider=Provider("q.example", "Q Daily", "q.example")),
    )
    index = build_index([replace(make("y", 1, ["ai"]), related=related)], meta, timezone.utc)
    assert [r.provider.name for r in index.articles["y"].related] == ["Proper Name", "Q Daily"]
    assert index.articles["y"].related[1] is related[1]


def test_more_on_topic_is_the_same_whatever_the_hash_seed():
    # Candidates sharing the same topics must tie exactly, so closeness in time decides, not the order in
    # which a set of topic names happens to be summed (that order changes with PYTHONHASHSEED).
    script = """
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
import sys
sys.path.insert(0, "tests/unit")
from test_index import make
from generator.index.similar import more_on_topic, topic_weight
import random
rng = random.Random(7)
topics = [f"topic-{n}" for n in range(12)]
# Pairs of articles with the same topics, equally far in time from a third: only time may order them.
articles = {f"a{i:03d}": make(f"a{i:03d}", i // 2 * 3 + (i % 2) * 0.5, rng.sample(topics, 4)) for i in range(400)}
members = {t: sorted((s for s, a in articles.items() if any(x.slug == t for x in a.topics)),
                     key=lambda s: -articles[s].published.timestamp()) for t in topics}
print(sorted(more_on_topic(articles, members).items()))
"""
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
        ).stdout
        for seed in range(6)
    }
    assert len(outputs) == 1


def test_one_new_article_leaves_more_on_of_unrelated_articles_alone():
    # Topic weights depend on their own topic's size only, in whole hundredths: the new article's topics
    # ("ai", on every article) shift by far less than that, so only lists that can reach it change.
    import random

    rng = random.Random(3)
    topics = [f"t{n}" for n in range(30)]
    before = {f"a{i:04d}": make(f"a{i:04d}", i, ["ai", *rng.sample(topics, 2)]) for i in range(3000)}
    after = {**before, "new": make("new", 3000.5, ["ai", "t1", "t2"])}

    def more_on(articles):
        members = {}
        for slug in sorted(articles, key=lambda s: -articles[s].published.timestamp()):
            for topic in articles[slug].topics:
                members.setdefault(topic.slug, []).append(slug)
        return more_on_topic(articles, members)

    sizes = {t: sum(1 for a in before.values() if any(x.slug == t for x in a.topics)) for t in ("ai", "t1", "t2")}
    assert all(topic_weight(n) == topic_weight(n + 1) for n in sizes.values())  # the usual case: no class changes
    old, new = more_on(before), more_on(after)
    changed = [slug for slug in before if old[slug] != new[slug]]
    assert changed and all("new" in new[slug] for slug in changed)


def test_more_on_kept_from_the_previous_index_equals_computing_it_afresh():
    # Random additions, removals, topic and time changes: the lists an index keeps from the one before must be
    # exactly those a full computation gives.
    import random
    from dataclasses import replace

    from generator.index.similar import Before

    rng = random.Random(11)
    topics = ["ai", *[f"t{n}" for n in range(12)]]
    articles = {
        f"a{i:04d}": make(f"a{i:04d}", i * 0.7, ["ai", *rng.sample(topics[1:], rng.randint(0, 3))]) for i in range(1500)
    }

    def members_of(pool):
        found = {}
        for slug in sorted(pool, key=lambda s: (-pool[s].published.timestamp(), s)):
            for topic in pool[slug].topics:
                found.setdefault(topic.slug, []).append(slug)
        return {t: tuple(v) for t, v in found.items()}

    result = more_on_topic(articles, members_of(articles))
    for step in range(25):
        before = Before(articles, members_of(articles), result)
        articles = dict(articles)
        for _ in range(rng.randint(1, 4)):
            slug = rng.choice(sorted(articles))
            action = rng.choice(["add", "remove", "topics", "time"])
            if action == "add":
                articles[f"n{step}-{slug}"] = make(
                    f"n{step}-{slug}", rng.uniform(0, 1100), ["ai", rng.choice(topics[1:])]
                )
            elif action == "remove":
                del articles[slug]
            elif action == "topics":
                articles[slug] = replace(articles[slug], topics=make(slug, 0, rng.sample(topics, 2)).topics)
            else:
                articles[slug] = replace(
                    articles[slug], published=articles[slug].published + timedelta(hours=rng.uniform(-30, 30))
                )
        members = members_of(articles)
        result = more_on_topic(articles, members, before=before)
        assert result == more_on_topic(articles, members), step


def test_more_on_ranked_in_forked_workers_equals_ranking_in_one_process():
    import random

    rng = random.Random(11)
    topics = [f"t{n}" for n in range(40)]
    articles = {
        f"a{i:04d}": make(f"a{i:04d}", i * 0.7, ["ai", *rng.sample(topics, rng.randint(1, 4))]) for i in range(2500)
    }
    members = {}
    for slug, article in sorted(articles.items(), key=lambda item: -item[1].published.timestamp()):
        for topic in article.topics:
            members.setdefault(topic.slug, []).append(slug)
    alone = more_on_topic(articles, members, jobs=1)
    assert more_on_topic(articles, members, jobs=2, parallel_min=1000) == alone
    assert list(alone) == list(articles) and sum(1 for shown in alone.values() if len(shown) == 5) > 2000
