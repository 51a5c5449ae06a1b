"""Story grouping: coverage of one event across outlets, and nothing else."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from generator.core.models import Article, Provider, RelatedStory
from generator.core.words import terms
from generator.stories.grouping import group_stories

START = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)

# Background: unrelated stories, so that word rarity means something.
BACKGROUND = [
    (
        "City council approves budget for new cycle lanes",
        "The plan adds forty kilometres of protected lanes by spring.",
    ),
    ("Harbour ferry service resumes after storm repairs", "Crossings restart on Monday with a reduced timetable."),
    ("Local bakery wins regional bread competition", "Judges praised the sourdough and rye entries."),
    ("University opens new library wing to students", "The extension doubles the number of study places."),
    ("Rail operator orders twelve electric trains", "Deliveries begin next year on the coastal line."),
    ("Museum returns borrowed paintings to lender", "The exhibition closed after record attendance."),
    ("Farmers report early apple harvest", "Warm weather brought picking forward by two weeks."),
    ("Theatre festival announces autumn programme", "Twenty productions will run across five venues."),
    ("Water utility warns of pipe upgrades downtown", "Roads will close overnight during the works."),
    ("Stadium expansion plan goes to public consultation", "Residents can comment until the end of the month."),
    ("Microsoft Power Apps", "A walkthrough of building a timesheet form with galleries and collections."),
    ("Microsoft Power Apps", "Licensing changes for per-app plans take effect for new tenants next quarter."),
    ("Microsoft Power Apps", "How a hospital replaced paper rounds checklists with a canvas app."),
]


def article(slug, title, excerpt="", hours=0.0, outlet="a", quality=50, heat=10, link=None, related=()):
    return Article(
        source=f"{slug}.md",
        slug=slug,
        title=title,
        excerpt=excerpt,
        published=START + timedelta(hours=hours),
        updated=None,
        link=link or f"https://{outlet}.example/{slug}",
        original_url=None,
        type="article",
        category="",
        quality=quality,
        heat=heat,
        is_published=True,
        provider=Provider(f"{outlet}.example", outlet, f"{outlet}.example"),
        topics=(),
        images=(),
        related=tuple(RelatedStory(f"r {url}", url) for url in related),
        body_html="",
    )


def background():
    return [
        article(f"bg{n}", title, excerpt, hours=n * 3, outlet=f"bg{n}") for n, (title, excerpt) in enumerate(BACKGROUND)
    ]


def grouped(articles):
    return {frozenset(story.members) for story in group_stories(articles)}


def test_words_are_normalised():
    assert terms("The Models' launch: NVIDIA's GPUs, and a glass") == ["model", "launch", "nvidia", "gpu", "glass"]


def test_reworded_coverage_by_other_outlets_is_one_story():
    coverage = [
        article(
            "tide-1",
            "Tidewater Robotics unveils underwater inspection drone",
            "The drone maps hull corrosion for shipping firms.",
            hours=1,
            outlet="a",
        ),
        article(
            "tide-2",
            "Underwater inspection drone from Tidewater Robotics maps ship hulls",
            "Shipping firms can now check hull corrosion without divers.",
            hours=3,
            outlet="b",
        ),
        article(
            "tide-3",
            "Tidewater Robotics launches hull inspection drone for shipping",
            "The underwater drone detects corrosion on ship hulls.",
            hours=9,
            outlet="c",
        ),
    ]
    assert grouped(background() + coverage) == {frozenset({"tide-1", "tide-2", "tide-3"})}


def test_the_same_words_outside_the_window_are_another_story():
    first = article(
        "eclipse-1", "Observatory livestreams partial solar eclipse", "Cloud cover cleared at noon.", hours=0
    )
    again = article(
        "eclipse-2", "Observatory livestreams partial solar eclipse", "Cloud cover cleared at noon.", hours=24 * 10
    )
    assert grouped(background() + [first, again]) == set()


def test_generic_headlines_with_different_excerpts_stay_apart():
    assert grouped(background()) == set()


def test_no_chaining_through_one_middle_article():
    a = article(
        "chain-a",
        "Quillfeather bank cuts mortgage rates",
        "Quillfeather lowers fixed mortgage rates for buyers.",
        hours=1,
        outlet="a",
    )
    b = article(
        "chain-b",
        "Quillfeather bank cuts mortgage rates and opens Lisbon office",
        "Quillfeather lowers mortgage rates and opens an office in Lisbon.",
        hours=2,
        outlet="b",
    )
    c = article(
        "chain-c",
        "Bank opens Lisbon office",
        "A new office in Lisbon will hire forty staff in Lisbon.",
        hours=3,
        outlet="c",
    )
    groups = grouped(background() + [a, b, c])
    assert frozenset({"chain-a", "chain-b", "chain-c"}) not in groups
    assert frozenset({"chain-a", "chain-b"}) in groups


def test_related_links_between_site_articles_join_dissimilar_headlines():
    a = article(
        "meta-1",
        "Meta to launch language model LLaMA",
        "Researchers get access first.",
        hours=1,
        link="https://x.example/meta-1",
        related=["https://y.example/meta-2"],
    )
    b = article(
        "meta-2",
        "Facebook parent rolls out new research AI amid Big Tech push",
        "A model for academics.",
        hours=2,
        outlet="y",
        link="https://y.example/meta-2",
    )
    assert grouped(background() + [a, b]) == {frozenset({"meta-1", "meta-2"})}


def test_bad_related_entries_change_nothing():
    a = article(
        "self",
        "Ferry timetable changes",
        "Later sailings.",
        link="https://s.example/self",
        related=["https://s.example/self", "https://shared.example/x", "javascript:alert(1)"],
    )
    b = article("twin-1", "Bakery expands", "More ovens.", hours=1, link="https://shared.example/x")
    c = article("twin-2", "Harbour opens", "New quay.", hours=2, link="https://shared.example/x")
    assert grouped(background() + [a, b, c]) == set()


def test_lead_and_id():
    early = article(
        "lead-early",
        "Glasswing Labs opens quantum sensing facility",
        "Glasswing Labs facility opens.",
        hours=1,
        quality=40,
    )
    best = article(
        "lead-best",
        "Glasswing Labs quantum sensing facility opens",
        "Glasswing Labs opens its facility.",
        hours=2,
        quality=90,
        outlet="b",
    )
    tie = article(
        "lead-tie",
        "Quantum sensing facility opened by Glasswing Labs",
        "The Glasswing Labs facility opened.",
        hours=3,
        quality=90,
        outlet="c",
    )
    [story] = group_stories(background() + [early, best, tie])
    assert story.id == "lead-early" and story.lead == "lead-best"
    assert story.members == ("lead-early", "lead-best", "lead-tie")
    # Coverage added later keeps the id; a better article takes the lead.
    later = article(
        "lead-later",
        "Glasswing Labs quantum sensing facility tour",
        "Inside the Glasswing Labs facility.",
        hours=5,
        quality=99,
        outlet="d",
    )
    [grown] = group_stories(background() + [early, best, tie, later])
    assert grown.id == "lead-early" and grown.lead == "lead-later" and len(grown.members) == 4


def test_deterministic_whatever_the_order():
    articles = background() + [
        article(
            f"s{n}-{k}",
            f"Kestrel Motors recalls model {n} sedans over brake fault",
            f"Kestrel Motors recall covers model {n} brake lines.",
            hours=n * 80 + k,
            outlet=f"o{k}",
        )
        for n in range(4)
        for k in range(3)
    ]
    expected = group_stories(articles)
    assert len(expected) == 4 and all(len(s.members) == 3 for s in expected)
    rng = random.Random(1)
    for _ in range(5):
        rng.shuffle(articles)
        assert group_stories(articles) == expected


SYLLABLES = ("ka", "lo", "mi", "ren", "tas", "vu", "zor", "pel", "dri", "quo", "sen", "tar", "bel", "nox", "fi", "gra")


def long_archive(rng, days=100, per_day=8, events=40):
    """``days`` of filler (each article its own made-up names) with ``events`` stories of 1-3 reports."""

    def name():
        return "".join(rng.choice(SYLLABLES) for _ in range(3)).capitalize()

    articles = [
        article(
            f"f{n}",
            f"{name()} council reviews {name()} plan",
            f"The {name()} vote is next week.",
            hours=n * 24 / per_day + rng.random(),
            outlet=f"o{n % 30}",
        )
        for n in range(days * per_day)
    ]
    for n in range(events):
        hours = rng.uniform(0, days * 24)
        articles += [event_report(n, k, hours + k * rng.uniform(1, 20), f"e{k}") for k in range(rng.randint(1, 3))]
    return articles


def event_report(n, k, hours, outlet, slug=None):
    """A report of event ``n``: its own made-up names, as real stories have ("Carmera", "Woven Planet")."""
    first, second = f"Velor{n}x", f"Mintaq{n}y"
    titles = (
        f"{first} signs {second} supply deal",
        f"{second} deal with {first} confirmed",
        f"{first} and {second} agree supply terms",
    )
    return article(
        slug or f"n{n}-{k}", titles[k % 3], f"The {first} agreement covers {second} sites.", hours=hours, outlet=outlet
    )


def test_regrouping_near_a_change_gives_what_grouping_everything_gives():
    """Every kind of change, at random: the stories are exactly those of grouping everything again, and a change
    in one place looks for pairs only from the weeks around it."""
    from generator.stories.grouping import StoryGrouper

    rng = random.Random(7)
    articles = long_archive(rng)
    grouper, preview = StoryGrouper(), StoryGrouper(nearby=True)  # a build's exact way, and the preview's
    assert grouper.update(articles) == group_stories(articles) == preview.update(articles)
    assert grouper.regrouped == len(articles)
    assert sum(len(story.members) > 1 for story in grouper.stories) >= 20
    for step in range(16):
        victim = rng.randrange(len(articles))
        old = articles[victim]
        hours = (old.published - START).total_seconds() / 3600
        n = rng.randrange(40)
        if step % 4 == 0:
            articles.pop(victim)  # deleted
        elif step % 4 == 1:  # moved to another time, as a report of another event
            articles[victim] = event_report(n, 1, rng.uniform(0, 2400), "m", slug=old.slug)
        elif step % 4 == 2:  # its headline rewritten: now a report of another event, at its own time
            articles[victim] = event_report(n, 2, hours, "z", slug=old.slug)
        else:  # a new report
            articles.append(event_report(n, 5, hours + 2, "new", slug=f"added-{step}"))
        before = set(grouper.stories)
        incremental = grouper.update(articles)
        assert incremental == group_stories(articles), step
        # The preview leaves the pairs of articles beyond the window whose weights shifted: nearly the same.
        assert len(set(preview.update(articles)) ^ set(incremental)) <= 4 and preview.regrouped < grouper.regrouped
        if step % 4 != 1:  # a move changes two places
            assert grouper.regrouped < len(articles) / 2, step  # only the weeks around the change
            assert len(before & set(incremental)) >= len(incremental) - 4  # stories far from it kept as they were


def test_a_change_regroups_whole_stories_that_reach_into_its_window():
    from generator.stories.grouping import StoryGrouper

    early = article(
        "long-1", "Velorix Mintaq merger cleared by regulators", "Velorix and Mintaq may now merge.", hours=0
    )
    late = article(
        "long-2",
        "Regulators clear Velorix Mintaq merger",
        "The Velorix Mintaq merger was cleared.",
        hours=70,
        outlet="b",
    )
    other = article("other", "Harbour bakery expands", "The bakery doubles its ovens.", hours=100, outlet="c")
    grouper = StoryGrouper()
    assert [s.members for s in grouper.update([*background(), early, late, other])] == [("long-1", "long-2")]
    edited = article("other", "Harbour bakery expands again", "The bakery adds a second shop.", hours=100, outlet="c")
    assert [s.members for s in grouper.update([*background(), early, late, edited])] == [("long-1", "long-2")]


def test_words_made_while_reading_group_as_words_made_while_grouping(tmp_path):
    """Reading with story_words (the build's reading workers) gives grouping the words it would make itself."""
    from dataclasses import replace

    from generator.content.read import ReadLimits, parse_article
    from generator.core.words import words_of
    from helpers import article_fields, write_article

    text = write_article(
        tmp_path, "a.md", article_fields(1, title="Self-driving car maker NTSB National Safety Board")
    ).read_text()
    read = parse_article(text, "a.md", timezone.utc, limits=ReadLimits(story_words=True)).article
    assert read is not None and read.story_words == words_of(read.title, read.excerpt) and read.story_words.title
    assert parse_article(text, "a.md", timezone.utc).article.story_words is None  # type: ignore[union-attr]

    plain = background() + [
        article("x1", "Rover finds ice at the lunar south pole", hours=1, outlet="x"),
        article("x2", "Lunar rover finds water ice near south pole", hours=2, outlet="y"),
    ]
    with_words = [replace(a, story_words=words_of(a.title, a.excerpt)) for a in plain]
    assert group_stories(with_words) == group_stories(plain) and group_stories(plain)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab1-. X\u00e9", max_size=40))
def test_compound_words_are_found_as_the_plain_pattern_finds_them(text):
    import re

    from generator.core.words import _COMPOUND

    assert _COMPOUND.findall(text) == re.findall(r"[a-z0-9]+(?:[-.][a-z0-9]+)+", text)


def test_articles_added_or_moved_in_time_regroup_as_grouping_everything():
    from generator.stories.grouping import StoryGrouper

    articles = background() + [
        article(
            f"m{n}",
            f"Quorvane{n} opens Taldrix{n} plant",
            f"Quorvane{n} and Taldrix{n} open it.",
            hours=n * 30,
            outlet="o1",
        )
        for n in range(6)
    ]
    grouper = StoryGrouper()
    grouper.update(articles)
    articles[-1] = article(
        "m5", "Quorvane2 opens Taldrix2 plant", "Quorvane2 and Taldrix2 open it.", hours=5 * 30, outlet="o2"
    )  # m2's event, reported three days later: a story of its own
    assert grouper.update(articles) == group_stories(articles)
    articles[-1] = article(
        "m5", "Quorvane2 opens Taldrix2 plant", "Quorvane2 and Taldrix2 open it.", hours=2 * 30 + 1, outlet="o2"
    )  # the same report, moved beside m2
    assert grouper.update(articles) == group_stories(articles)
    assert any({"m5", "m2"} <= set(story.members) for story in grouper.stories)
    articles.append(
        article(
            "m9", "Quorvane4 opens Taldrix4 plant", "Quorvane4 and Taldrix4 open it.", hours=4 * 30 + 2, outlet="o3"
        )
    )
    assert grouper.update(articles) == group_stories(articles)
    assert any({"m9", "m4"} <= set(story.members) for story in grouper.stories)


def test_two_outlets_with_one_headline_within_two_days_are_one_story_whatever_their_excerpts():
    headline = "Kelomar Robotics recalls warehouse picking arms after sensor fault"
    first = article(
        "same-1",
        headline,
        "Shareholders questioned quarterly margins, dividend timing, supplier contracts, "
        "regional expansion plans and board succession during Tuesday's lengthy annual meeting.",
        hours=1,
        outlet="a",
    )
    later = article(
        "same-2",
        headline.upper() + "!",
        "Insurers, unions, logistics consultants and municipal inspectors "
        "offered diverging opinions about liability, overtime rules and neighbourhood noise complaints.",
        hours=33,
        outlet="b",
    )
    assert grouped(background() + [first, later]) == {frozenset({"same-1", "same-2"})}
    # A short headline ("Robotics news today") is no evidence.
    short = [
        article("short-1", "Robotics news today", "Cranes at the port.", hours=1, outlet="a"),
        article("short-2", "Robotics news today", "A new lab opened.", hours=2, outlet="b"),
    ]
    assert grouped(background() + short) == set()


def test_a_story_is_found_by_names_its_headlines_leave_to_the_excerpts():
    # Headlines that share one rare word; the excerpts name the same deal and the same buyer.
    one = article(
        "deal-1",
        "Quarto acquires mapping startup",
        "Quarto will pay for Veltrane, whose lidar maps cover forty cities.",
        hours=1,
        outlet="a",
    )
    two = article(
        "deal-2",
        "Quarto buys firm behind city lidar maps",
        "Veltrane, the lidar mapping startup, agreed to be bought by Quarto.",
        hours=3,
        outlet="b",
    )
    assert grouped(background() + [one, two]) == {frozenset({"deal-1", "deal-2"})}


def test_pairs_found_in_forked_workers_group_as_in_one_process():
    """A large one-off build looks for pairs in worker processes, each inheriting the weights: same stories."""
    from generator.core.parallel import worker_count
    from generator.stories.grouping import StoryGrouper

    articles = long_archive(random.Random(11), days=100, per_day=12, events=60)
    assert worker_count(len(articles), 2) == 2  # enough articles to fork
    forked = StoryGrouper().update(articles, jobs=2)
    assert forked == StoryGrouper().update(articles, jobs=1) == group_stories(articles)
    assert sum(len(story.members) > 1 for story in forked) >= 30


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(0, 400 * 86400, allow_nan=False), min_size=0, max_size=900),
    st.floats(-20 * 86400, 420 * 86400, allow_nan=False),
)
def test_the_span_a_change_reaches_holds_every_article_whose_background_holds_it(times, when):
    from generator.stories.rarity import background_reach, weighed_span

    ordered = sorted(times)
    low, high = weighed_span(ordered, when)
    assert low <= when <= high
    assert all(low <= t <= high for t in ordered if abs(t - when) <= background_reach(ordered, t))


def test_surroundings_kept_up_to_date_count_as_surroundings_made_afresh():
    """The preview adds and removes articles from its word counts instead of counting again: the same counts."""
    from generator.core.words import words_of
    from generator.stories.pairs import Surroundings, Weighing

    rng = random.Random(3)
    articles = long_archive(rng, days=40, per_day=10, events=20)
    words = {a.slug: words_of(a.title, a.excerpt) for a in articles}
    by_time = sorted(articles, key=lambda a: (a.published, a.slug))
    kept = Surroundings(by_time[:300], words, 72 * 3600.0, changing=True)
    for article in by_time[300:]:
        kept.add(article.published.timestamp(), words[article.slug])
    gone = rng.sample(by_time, 80)
    for article in gone:
        kept.remove(article.published.timestamp(), words[article.slug])
    left = [a for a in by_time if a not in gone]
    fresh = Surroundings(left, words, 72 * 3600.0)
    for article in rng.sample(left, 40) + gone[:20]:  # the headlines gone too
        when, own = article.published.timestamp(), words[article.slug]
        assert kept.around.articles(when) == fresh.around.articles(when)
        assert kept.around.weights(own.distinct, when) == fresh.around.weights(own.distinct, when)
        assert Weighing(kept, words).headline_repeats(frozenset(own.title), when) == Weighing(
            fresh, words
        ).headline_repeats(frozenset(own.title), when)
