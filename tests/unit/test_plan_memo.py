"""The plan memo and the days memo: a plan made with them equals one made without, and what they keep is taken
only while it is still right (the same slugs naming the same files, the same configuration, unchanged days)."""
from __future__ import annotations

import pickle
from dataclasses import replace
from datetime import timezone

from test_index import NO_META, make

from generator.content.metadata import Metadata
from generator.core.memo import RoundMemo, Same
from generator.core.models import ProviderMeta, SiteConfig
from generator.index.days import DayMemo
from generator.index.site_index import DescribedMemo, apply_metadata, build_index
from generator.pages.plan import plan_site
from generator.pages.plan_memo import PlanMemo

CONFIG = SiteConfig(page_size=3)


def corpus(extra: int = 0):
    articles = [make(f"a{n}", n * 7, ["ai", "chips" if n % 2 else "policy"], heat=n % 4) for n in range(12 + extra)]
    return articles


def index_of(articles, days_memo: DayMemo | None = None):
    return build_index(articles, NO_META, timezone.utc, days_memo=days_memo)


def test_a_plan_with_the_memos_equals_a_plan_without_them_after_each_change():
    memo, days_memo = PlanMemo(), RoundMemo()
    steps = [corpus(), corpus(1), corpus(1), [replace(a, heat=9) if a.slug == "a3" else a for a in corpus(1)],
             [replace(a, is_published=False) if a.slug == "a5" else a for a in corpus(1)], corpus()[:-2]]
    for articles in steps:
        with_memo = plan_site(index_of(articles, days_memo), CONFIG, memo)
        assert with_memo == plan_site(index_of(articles), CONFIG)


def test_unchanged_parts_are_taken_as_they_were():
    memo, days_memo = PlanMemo(), RoundMemo()
    first = {p.path: p for p in plan_site(index_of(corpus(), days_memo), CONFIG, memo)}
    second = {p.path: p for p in plan_site(index_of(corpus(), days_memo), CONFIG, memo)}
    kept = {page.kind for path, page in second.items() if page is first[path]}
    remade = {page.kind for path, page in second.items() if page is not first[path]}
    assert {
        "article",
        "day",
        "day_email",
        "api_day",
        "topic",
        "provider",
        "api_list",
        "feed",
        "feed_json",
    } <= kept - remade


def test_a_slug_naming_another_file_forgets_everything():
    memo = PlanMemo()
    plan_site(index_of(corpus()), CONFIG, memo)
    moved = [replace(a, source="renamed.md") if a.slug == "a4" else a for a in corpus()]
    planned = {p.path: p for p in plan_site(index_of(moved), CONFIG, memo)}
    assert planned["news/a4/index.html"].sources[0] == "renamed.md"
    assert planned == {p.path: p for p in plan_site(index_of(moved), CONFIG)}


def test_another_configuration_forgets_everything():
    memo = PlanMemo()
    plan_site(index_of(corpus()), CONFIG, memo)
    other = replace(CONFIG, digest=replace(CONFIG.digest, email_stories=CONFIG.digest.email_stories + 1))
    assert plan_site(index_of(corpus()), other, memo) == plan_site(index_of(corpus()), other)


def test_a_plan_that_failed_half_way_is_not_trusted():
    memo = PlanMemo()
    plan_site(index_of(corpus()), CONFIG, memo)
    moved = [replace(a, source="renamed.md") if a.slug == "a4" else a for a in corpus()]
    memo.start(index_of(moved), CONFIG)  # a plan that raised before its end()
    # The next plan sees the same slugs as the failed one, but what the memo holds was made before the move.
    assert plan_site(index_of(moved), CONFIG, memo) == plan_site(index_of(moved), CONFIG)


def test_a_day_keeps_its_object_only_while_its_articles_are_equal():
    days_memo: DayMemo = RoundMemo()
    first = index_of(corpus(), days_memo).days
    again = index_of(corpus(), days_memo).days
    assert all(again[d] is first[d] for d in first)
    retitled = [replace(a, title="Other") if a.slug == "a0" else a for a in corpus()]
    third = index_of(retitled, days_memo).days
    day = next(d for d in third if any("a0" in e.articles for e in third[d].entries))
    assert third[day] == first[day] and third[day] is not first[day]  # equal fields, other articles: a new Day


def test_same_is_identity():
    value = (1, 2)
    assert Same(value) == Same(value) and Same(value) != Same(tuple([1, 2])) and Same(value) != value


def test_a_memo_from_the_build_cache_is_used_as_before():
    memo, days_memo = PlanMemo(), RoundMemo()
    first = plan_site(index_of(corpus(), days_memo), CONFIG, memo)
    memo, days_memo, first = pickle.loads(pickle.dumps((memo, days_memo, first)))
    again = {p.path: p for p in plan_site(index_of(corpus(), days_memo), CONFIG, memo)}
    assert list(again.values()) == plan_site(index_of(corpus()), CONFIG)
    kept = {p.kind for p in first if again[p.path] is p}
    assert {"article", "day", "topic", "feed"} <= kept


def test_described_articles_stay_the_same_objects_while_article_and_metadata_are():
    meta = Metadata({}, {"p.example": ProviderMeta("p.example", "Proper Name", "p.example")}, ())
    articles, described = corpus(), DescribedMemo()
    first = described.apply(articles, meta)
    assert first == [apply_metadata(a, meta) for a in articles] and first[0].provider.name == "Proper Name"
    edited = [replace(articles[0], title="Edited"), *articles[1:]]
    second = described.apply(edited, Metadata({}, dict(meta.providers), ()))  # equal metadata, another object
    assert second[0].title == "Edited" and second[0] is not first[0]
    assert all(new is old for new, old in zip(second[1:], first[1:], strict=True))
    renamed = Metadata({}, {"p.example": ProviderMeta("p.example", "New Name", "p.example")}, ())
    assert {a.provider.name for a in described.apply(edited, renamed)} == {"New Name"}
    memo, days_memo = PlanMemo(), RoundMemo()
    for metadata in (meta, renamed):  # an index built through the memo plans as one built without it
        index = build_index(articles, metadata, timezone.utc, days_memo=days_memo, described=described)
        assert plan_site(index, CONFIG, memo) == plan_site(build_index(articles, metadata, timezone.utc), CONFIG)
