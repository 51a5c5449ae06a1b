"""Story grouping measured on real coverage judged by hand (tests/stories/real_coverage.yaml)."""
from __future__ import annotations

import itertools
from datetime import timezone

import pytest
import yaml

import story_quality
from generator.content.read import read_article
from generator.stories.grouping import group_stories

pytestmark = pytest.mark.skipif(
    not (story_quality.FIXTURES / "real-ai").is_dir(),
    reason=f"the crawler's real examples are not at {story_quality.FIXTURES} (set NEWSDIGEST_FIXTURES)")


def test_every_judged_item_exists_in_the_fixture():
    judged = yaml.safe_load(story_quality.JUDGEMENTS.read_text())
    items, _lists = story_quality.load()
    named = [m for members in judged["stories"].values() for m in members] + judged["unsure"]
    assert [m for m in named if m not in items] == []
    assert len({items[m].slug for m in named}) >= 85  # distinct items: shared entries are one


def test_same_story_recall_and_false_merges_meet_the_targets():
    # Issue 12's targets on real coverage: recall >= 0.85 with <= 2% false merges (0.86 and 1.1% today).
    quality = story_quality.measure()
    assert quality.theme_pairs > 500 and quality.same_pairs > 200
    assert quality.false_merge_rate <= 0.02, quality
    assert quality.recall >= 0.85, quality


def test_the_plain_fixture_groups_deterministically_and_modestly():
    paths = sorted((story_quality.FIXTURES / "real-ai/_news").glob("*.md"))
    articles = [a for p in paths if (a := read_article(p, p.name, timezone.utc).article)]
    first = group_stories(articles)
    assert group_stories(list(reversed(articles))) == first
    assert first and max(len(s.members) for s in first) <= 8
    llama = next(s for s in first if "2023-02-24-meta-to-launch-ai-language-model-llama" in s.members)
    assert llama.id == "2023-02-24-meta-to-launch-ai-language-model-llama"
    # Judged by hand: different events that share only a compound ("real-time", "self-driving"), on the
    # site as published.
    published = group_stories([a for a in articles if a.is_published])
    together = {frozenset(pair) for s in published for pair in itertools.combinations(s.members, 2)}
    assert frozenset({"2021-03-04-prosthetic-offers-real-time-mind-control-of-robotic-hand",
                      "2021-03-05-orlando-police-testing-amazons-real-time-facial-recognition"}) not in together
    assert frozenset({"2021-03-10-why-self-driving-cars-are-designed-to-look-like-overgrown-toys",
                      "2021-03-10-self-driving-electric-buses-are-here-and-theyre-cruising-round-malaga"}) not in together
