"""Measure story grouping on real coverage judged by hand (tests/stories/real_coverage.yaml).

    python tests/story_quality.py            # prints recall and false merges

Every article of the real-ai fixture that carries `related` coverage, and
each of those related entries, becomes an article; the judgements say which
of them report one event. Recall counts same-story pairs published within
the grouping window that end up in one story; a false merge is a pair judged
different news that ends up in one story: two items of one article's list
that no story names together (they share its theme), or two items of
different lists published within the window that no story names together
(the same day's other news, often of the same company: hard negatives).
"""
from __future__ import annotations

import itertools
import os
import sys
from dataclasses import dataclass, replace
from datetime import timezone
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generator.content.read import read_article  # noqa: E402
from generator.core.models import Article  # noqa: E402
from generator.stories.grouping import DEFAULT_WINDOW, group_stories  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(os.environ.get("NEWSDIGEST_FIXTURES") or REPO.parent / "shared" / "fixtures")
JUDGEMENTS = REPO / "tests/stories/real_coverage.yaml"


@dataclass(frozen=True)
class Quality:
    recall: float
    same_pairs: int
    false_merge_rate: float
    theme_pairs: int  # judged different: within one article's list, and across lists within the window
    across_pairs: int  # of them, across lists
    largest_story: int


def load() -> tuple[dict[str, Article], list[list[str]]]:
    """Articles by item name ("<stem>" or "<stem>#<n>"; one URL, one item) and each article's list of items."""
    items: dict[str, Article] = {}
    by_url: dict[str, str] = {}
    read = []
    for path in sorted((FIXTURES / "real-ai/_news").glob("*.md")):
        article = read_article(path, path.name, timezone.utc).article
        if article is not None:
            # The site's own articles, those without `related` too: background that makes word rarity realistic.
            items[path.stem] = replace(article, related=(), slug=path.stem)
            by_url.setdefault(article.link or path.stem, path.stem)
            read.append((path.stem, article))
    lists = []
    for stem, article in read:
        if not article.related:
            continue
        names = [stem]
        for n, entry in enumerate(article.related):
            name = f"{stem}#{n}"
            if entry.url in by_url:  # coverage that is itself an article of the site, or listed twice
                items[name] = items[by_url[entry.url]]
            else:
                items[name] = Article(
                    source=name, slug=name.replace("#", "-r"), title=entry.title, excerpt=entry.excerpt,
                    published=entry.published or article.published, updated=None, link=entry.url, original_url=None,
                    type="article", category="", quality=0, heat=0, is_published=True, provider=entry.provider,
                    topics=(), images=(), related=(), body_html="")
                if entry.url:
                    by_url[entry.url] = name
            names.append(name)
        lists.append(names)
    return items, lists


def measure() -> Quality:
    judged = yaml.safe_load(JUDGEMENTS.read_text())
    items, lists = load()
    distinct = {id(a): a for a in items.values()}
    stories = group_stories(distinct.values())
    story_of = {slug: n for n, story in enumerate(stories) for slug in story.members}

    def together(a: str, b: str) -> bool:
        return a in story_of and story_of[a] == story_of.get(b)

    # Pairs are of articles (slugs): an entry listed under two articles is one article.
    slug = {name: article.slug for name, article in items.items()}
    label = {slug[m]: name for name, members in judged["stories"].items() for m in members}
    unsure = {slug[m] for m in judged["unsure"]}
    same = {frozenset((slug[a], slug[b])) for members in judged["stories"].values()
            for a, b in itertools.combinations(members, 2)
            if slug[a] != slug[b] and abs(items[a].published - items[b].published) <= DEFAULT_WINDOW}
    theme = {frozenset((slug[a], slug[b])) for names in lists for a, b in itertools.combinations(names, 2)
             if slug[a] != slug[b] and not {slug[a], slug[b]} & unsure
             and (label.get(slug[a]) is None or label.get(slug[a]) != label.get(slug[b]))}
    owners: dict[str, set[int]] = {}
    for n, names in enumerate(lists):
        for name in names:
            owners.setdefault(slug[name], set()).add(n)
    # One name per article, in time order (an entry listed under two articles is one article).
    named = sorted({slug[name]: name for name in items}.values(), key=lambda name: (items[name].published, slug[name]))
    across = {frozenset((slug[a], slug[b])) for a, b in itertools.combinations(named, 2)
              if abs(items[a].published - items[b].published) <= DEFAULT_WINDOW
              and not owners.get(slug[a], set()) & owners.get(slug[b], set())
              and not {slug[a], slug[b]} & unsure
              and (label.get(slug[a]) is None or label.get(slug[a]) != label.get(slug[b]))}
    theme |= across
    found = sum(1 for pair in same if together(*pair))
    merged = sum(1 for pair in theme if together(*pair))
    return Quality(recall=found / len(same), same_pairs=len(same), false_merge_rate=merged / len(theme),
                   theme_pairs=len(theme), across_pairs=len(across),
                   largest_story=max((len(s.members) for s in stories), default=0))


if __name__ == "__main__":
    quality = measure()
    print(
        f"same-story recall {quality.recall:.2f} of {quality.same_pairs} pairs; false merges "
        f"{quality.false_merge_rate:.3f} of {quality.theme_pairs} pairs judged different "
        f"({quality.across_pairs} across "
        f"lists); largest story {quality.largest_story}"
    )
