"""Story grouping at scale: time and memory for N synthetic articles with planted re-reports.

    python bench/bench_stories.py 10000 100000

Articles are made in memory (reading 100,000 files would measure YAML, not
grouping), each with its words split as the reading workers split them. About 3% of stories are re-reported
by two to four other outlets
within a day, with reworded headlines (words dropped, reordered, one
synonym; the story's subject and one more of its names kept) and excerpts telling some of
the same facts; the script reports how many planted groups were found whole and
how many found stories mix articles of different plants.
"""

from __future__ import annotations

import random
import resource
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generator.core.models import Article, Provider  # noqa: E402
from generator.core.words import words_of  # noqa: E402
from generator.stories.grouping import group_stories  # noqa: E402

# Made-up names: 16,000, about the distinct names a busy site's headlines carry over a couple of years
# (with fewer, 100,000 articles would share each name a hundred times, which real names are not).
VOCABULARY = [
    f"{a}{b}{c}{d}"
    for a in (
        "ka",
        "lo",
        "mi",
        "ne",
        "po",
        "ru",
        "sa",
        "ti",
        "vo",
        "ze",
        "ba",
        "de",
        "fu",
        "gi",
        "ho",
        "ju",
        "ki",
        "la",
        "mo",
        "nu",
    )
    for b in (
        "bar",
        "cen",
        "dol",
        "fin",
        "gor",
        "hul",
        "jen",
        "kor",
        "lum",
        "mar",
        "nor",
        "pal",
        "qua",
        "ren",
        "sol",
        "tor",
        "ulm",
        "ven",
        "wis",
        "yar",
    )
    for c in ("a", "e", "i", "o", "u", "an", "er", "in", "on", "ul")
    for d in ("", "d", "k", "x")
]
COMMON = ["ai", "model", "data", "cloud", "chip", "robot", "startup", "research", "market", "launch"]
SYNONYMS = {"launch": "unveil", "model": "system", "startup": "company", "research": "study", "chip": "processor"}


def headline(rng: random.Random) -> list[str]:
    return rng.sample(COMMON, 2) + rng.sample(VOCABULARY, rng.randint(3, 5))


def reworded(words: list[str], rng: random.Random) -> list[str]:
    """Another outlet's headline for the same story: words dropped and reordered, one synonym, names mostly kept."""
    subject, *names = [w for w in words if w not in COMMON]
    kept = [w for w in words if w != subject and rng.random() > 0.2]
    kept.append(subject)  # every outlet names what the story is about ("Carmera", "NTSB")
    if not any(w in names for w in kept):  # and at least one more of its names
        kept.append(rng.choice(names))
    rng.shuffle(kept)
    return [SYNONYMS.get(w, w) for w in kept] + [rng.choice(COMMON)]


def make(n: int, seed: int = 1) -> tuple[list[Article], dict[str, int]]:
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    articles: list[Article] = []
    plant_of: dict[str, int] = {}
    plants = 0
    while len(articles) < n:
        when = start + timedelta(minutes=7 * len(articles))
        words = headline(rng)
        facts = rng.sample(VOCABULARY, 10)  # what happened: every report of the story tells some of it
        copies = [words]
        if rng.random() < 0.03:
            copies += [reworded(words, rng) for _ in range(rng.randint(2, 4))]
        for k, title in enumerate(copies):
            slug = f"s{len(articles)}"
            excerpt = " ".join(title + rng.sample(facts, 5) + rng.sample(VOCABULARY, 3))
            outlet = f"o{rng.randint(0, 199)}.example"
            articles.append(
                Article(
                    source=f"{slug}.md",
                    slug=slug,
                    title=" ".join(title).capitalize(),
                    excerpt=excerpt,
                    published=when + timedelta(hours=rng.uniform(0, 20) if k else 0),
                    updated=None,
                    link=f"https://{outlet}/{slug}",
                    original_url=None,
                    type="article",
                    category="",
                    quality=rng.randint(0, 99),
                    heat=rng.randint(0, 9),
                    is_published=True,
                    provider=Provider(outlet, outlet, outlet),
                    topics=(),
                    images=(),
                    related=(),
                    body_html="",
                )
            )
            if len(copies) > 1:
                plant_of[slug] = plants
        plants += len(copies) > 1
    articles = articles[:n]
    kept = {a.slug for a in articles}
    present = defaultdict(int)
    for slug in kept & plant_of.keys():
        present[plant_of[slug]] += 1
    # A plant cut short by the corpus size with one report left is no plant.
    return articles, {slug: plant for slug, plant in plant_of.items() if slug in kept and present[plant] > 1}


def main(sizes: list[int]) -> None:
    for n in sizes:
        articles, plant_of = make(n)
        # A build splits each article's words while reading it, in the reading workers (content/read.py):
        # grouping starts from them.
        articles = [replace(a, story_words=words_of(a.title, a.excerpt)) for a in articles]
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            stories = group_stories(articles)
            runs.append(time.perf_counter() - started)
        planted: dict[int, set[str]] = {}
        for slug, plant in plant_of.items():
            planted.setdefault(plant, set()).add(slug)
        found = {frozenset(s.members) for s in stories}
        whole = sum(1 for members in planted.values() if any(members <= f for f in found))
        mixed = sum(1 for f in found if len({plant_of.get(s, -1 - i) for i, s in enumerate(f)}) > 1)
        grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024
        print(
            f"{n} articles: grouping {statistics.median(runs):.2f} s (median of 3), {len(stories)} stories; "
            f"planted re-reports found whole {whole}/{len(planted)}; stories mixing articles of different "
            f"plants {mixed}; peak memory {grown} MiB above the articles' own"
        )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10000, 100000])
