"""Write a synthetic corpus of N crawler-format articles, for benchmarks and scale tests.

File names are dated (``YYYY-MM-DD-story-N.md``) like the real site's.

    python tests/make_corpus.py 10000 /dev/shm/corpus

Text is generated from a small vocabulary; topics follow a skewed distribution
(one topic on every article, as on real topic sites) and a third of the
articles carry ``related`` coverage.
"""
from __future__ import annotations

import argparse
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

WORDS = ("model chip robot data cloud lab vision speech agent policy startup market research benchmark "
         "energy privacy hospital bank factory sensor network open source training inference").split()
TOPICS = ["AI", "Machine Learning", "AI Hardware", "AI Ethics", "Robotics", "Computer Vision",
          "Natural Language Processing", "AI in Healthcare", "AI in Finance", "Open Source AI"] + [f"Niche Topic {i}" for i in range(40)]


def article_text(n: int, rng: random.Random, start: datetime) -> str:
    when = start - timedelta(minutes=7 * n + rng.randint(0, 6))
    title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 10))).capitalize() + f" {n}"
    domain = f"outlet{rng.randint(0, 199)}.example"
    topics = ["AI"] + rng.sample(TOPICS[1:10], rng.randint(0, 2)) + ([rng.choice(TOPICS[10:])] if rng.random() < 0.3 else [])
    lines = ["---", f'title: "{title}"', f'excerpt: "{" ".join(rng.choice(WORDS) for _ in range(40))}."',
             f"publishedDateTime: {when:%Y-%m-%dT%H:%M:%SZ}", f'webUrl: "https://{domain}/story/{n}"',
             "type: article", f"quality: {rng.randint(0, 100)}", f"heat: {rng.randint(-1, 80)}",
             f"published: {'false' if rng.random() < 0.05 else 'true'}",
             "provider:", f"  name: Outlet {domain.split('.')[0][6:]}", f"  domain: {domain}",
             "topics:", *[f"  - {t}" for t in topics],
             "images:", f'  - url: "https://img.example/{n}.jpg"', "    width: 1200", "    height: 675"]
    if n % 3 == 0:
        lines.append("related:")
        for k in range(rng.randint(1, 4)):
            lines += [f'  - title: "Coverage {k} of story {n}"', f'    webUrl: "https://other{k}.example/{n}"',
                      f"    publishedDateTime: {when + timedelta(hours=k):%Y-%m-%dT%H:%M:%SZ}",
                      "    provider:", f"      name: Other {k}", f"      domain: other{k}.example"]
    lines += [f'secured: "opaque{n}=="', "---", ""]
    return "\n".join(lines)


def write_corpus(count: int, folder: Path, seed: int = 1) -> None:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    start = datetime(2026, 11, 22, tzinfo=timezone.utc)
    for n in range(count):
        text = article_text(n, rng, start)
        when = text.split("publishedDateTime: ", 1)[1][:10]
        # Dated names, as on the real sites, keep URLs stable when a title is edited.
        (folder / f"{when}-story-{n:06d}.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("folder", type=Path)
    args = parser.parse_args()
    write_corpus(args.count, args.folder)
