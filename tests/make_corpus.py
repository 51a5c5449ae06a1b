"""Write a synthetic corpus of N crawler-format articles, for benchmarks and scale tests.

File names are dated (``YYYY-MM-DD-story-N.md``) like the real site's.

    python tests/make_corpus.py 10000 /dev/shm/corpus

Text is generated from a small vocabulary; topics follow a skewed distribution
(one topic on every article, as on real topic sites), a third of the articles
carry ``related`` coverage, and about 3% of stories are reported again by one
to four other outlets within the hour, with reworded headlines.
"""
from __future__ import annotations

import argparse
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

WORDS = ("model chip robot data cloud lab vision speech agent policy startup market research benchmark "
         "energy privacy hospital bank factory sensor network open source training inference").split()
TOPICS = [
    "AI",
    "Machine Learning",
    "AI Hardware",
    "AI Ethics",
    "Robotics",
    "Computer Vision",
    "Natural Language Processing",
    "AI in Healthcare",
    "AI in Finance",
    "Open Source AI",
] + [f"Niche Topic {i}" for i in range(40)]


REREPORTED = 0.03  # share of stories that other outlets report too, with reworded headlines
SYNONYMS = {"model": "system", "chip": "processor", "startup": "company", "research": "study", "market": "sector"}


def reworded(title: str, rng: random.Random) -> str:
    """Another outlet's headline for the same story: words dropped and reordered, a synonym, its name kept."""
    *words, name, number = title.lower().split()
    kept = [SYNONYMS.get(w, w) for w in words if rng.random() > 0.25] or words[:2]
    rng.shuffle(kept)
    return " ".join([*kept, name.capitalize(), number]).capitalize()


def name_of(n: int) -> str:
    """A made-up proper name for story ``n`` ("Kelomar"), as a headline names a company or a product."""
    syllables = (
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
        "ke",
        "la",
        "mo",
        "nu",
    )
    return "".join(syllables[(n // 20**k) % 20] for k in range(3)).capitalize() + "r"


def article_text(n: int, rng: random.Random, start: datetime, reports: str | None = None) -> str:
    """Article ``n``; with ``reports``, another outlet's report of that headline's story."""
    when = start - timedelta(minutes=7 * n + rng.randint(0, 6))
    # The story's name (standing in for "Carmera" or "Woven Planet") is what every report of it shares.
    title = (
        reworded(reports, rng)
        if reports
        else (" ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 10))).capitalize() + f" {name_of(n)} {n}")
    )
    domain = f"outlet{rng.randint(0, 199)}.example"
    topics = (
        ["AI"] + rng.sample(TOPICS[1:10], rng.randint(0, 2)) + ([rng.choice(TOPICS[10:])] if rng.random() < 0.3 else [])
    )
    lines = [
        "---",
        f'title: "{title}"',
        f'excerpt: "{" ".join(rng.choice(WORDS) for _ in range(40))}."',
        f"publishedDateTime: {when:%Y-%m-%dT%H:%M:%SZ}",
        f'webUrl: "https://{domain}/story/{n}"',
        "type: article",
        f"quality: {rng.randint(0, 100)}",
        f"heat: {rng.randint(-1, 80)}",
        f"published: {'false' if rng.random() < 0.05 else 'true'}",
        "provider:",
        f"  name: Outlet {domain.split('.')[0][6:]}",
        f"  domain: {domain}",
        "topics:",
        *[f"  - {t}" for t in topics],
        "images:",
        f'  - url: "https://img.example/{n}.jpg"',
        "    width: 1200",
        "    height: 675",
    ]
    if n % 3 == 0:
        lines.append("related:")
        for k in range(rng.randint(1, 4)):
            lines += [
                f'  - title: "Coverage {k} of story {n}"',
                f'    webUrl: "https://other{k}.example/{n}"',
                f"    publishedDateTime: {when + timedelta(hours=k):%Y-%m-%dT%H:%M:%SZ}",
                "    provider:",
                f"      name: Other {k}",
                f"      domain: other{k}.example",
            ]
    lines += [f'secured: "opaque{n}=="', "---", ""]
    return "\n".join(lines)


def write_corpus(count: int, folder: Path, seed: int = 1) -> None:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    start = datetime(2026, 11, 22, tzinfo=timezone.utc)
    reports: str | None = None
    for n in range(count):
        text = article_text(n, rng, start, reports)
        title = text.split('title: "', 1)[1].split('"', 1)[0]
        # After a story that others report too, the next articles are their reports of it.
        reports = (
            reports
            if reports and rng.random() < 0.6
            else (title if not reports and rng.random() < REREPORTED else None)
        )
        when = text.split("publishedDateTime: ", 1)[1][:10]
        # Dated names, as on the real sites, keep URLs stable when a title is edited.
        (folder / f"{when}-story-{n:06d}.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("folder", type=Path)
    args = parser.parse_args()
    write_corpus(args.count, args.folder)
