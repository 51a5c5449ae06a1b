"""How a large site's search index is cut into parts: fixed calendar periods, newest first, stable under new stories."""
from __future__ import annotations

import os
import tempfile
from datetime import date, timedelta
from pathlib import Path

from generator.core.models import OutputPage, SiteIndex
from generator.search.pagefind import plan_parts


def site(days: list[date]) -> tuple[list[OutputPage], SiteIndex]:
    pages = [OutputPage(f"news/a{n}/index.html", "article.html", "article", f"a{n}") for n in range(len(days))]
    pages += [OutputPage("topics/ai/index.html", "topic.html", "topic", "ai"),
              OutputPage("stories/a0/index.html", "story.html", "story", "a0")]
    index = SiteIndex(articles={}, newest=(), collections={}, more_on_topic={}, top_stories=(), slug_of_source={},
                      day_of={f"a{n}": day for n, day in enumerate(days)})
    return pages, index


def every_day(start: date, count: int) -> list[date]:
    return [start + timedelta(days=n) for n in range(count)]


def test_a_site_within_the_limit_is_one_bundle():
    pages, index = site(every_day(date(2025, 1, 1), 30))
    [part] = plan_parts(pages, index, split_above=100)
    assert part.key == "" and part.bundle == "pagefind/" and len(part.pages) == 32


def test_years_that_fit_are_one_part_each_and_a_crowded_year_is_cut_into_smaller_periods():
    days = every_day(date(2024, 1, 1), 366 + 365)  # 2024 and 2025, a page a day
    days += every_day(date(2025, 1, 1), 365)  # 2025 twice as crowded
    pages, index = site(days)
    parts = plan_parts(pages, index, split_above=400)
    assert [p.key for p in parts] == ["2025h2", "2025h1", "2024"]  # newest first: the search page's primary bundle
    sizes = {p.key: len(p.pages) for p in parts}
    assert sizes["2024"] == 366 + 1 and sizes["2025h1"] == 2 * 181
    assert "topics/ai/index.html" in parts[0].pages  # pages without a day go with the newest part
    assert "stories/a0/index.html" in parts[-1].pages  # a story goes with its first article's day
    assert sum(sizes.values()) == len(pages)
    assert [p.key for p in plan_parts(pages, index, split_above=100)][:3] == ["2025-12", "2025-11", "2025-10"]


def test_a_new_story_changes_only_its_own_part():
    days = every_day(date(2024, 1, 1), 700)
    pages, index = site(days)
    before = plan_parts(pages, index, split_above=200)
    pages_after, index_after = site([*days, date(2025, 11, 30)])
    after = plan_parts(pages_after, index_after, split_above=200)
    changed = [a.key for a, b in zip(after, before, strict=True) if a != b]
    assert [a.key for a in after] == [b.key for b in before] and changed == [after[0].key] == ["2025h2"]


def test_scratch_folders_of_killed_builds_are_removed_and_those_of_running_ones_kept():
    import shutil
    import subprocess
    import sys

    from generator.search.pagefind import scratch, scratch_folder

    parent = scratch_folder() or Path(tempfile.gettempdir())
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    ).stdout.strip()
    dead = parent / f"newsdigest-search-{gone}-left"  # a build killed with -9 left it
    running = parent / f"newsdigest-search-{os.getppid()}-busy"
    foreign = parent / f"newsdigest-searching-{gone}-other"  # not ours: never touched
    for folder in (dead, running, foreign):
        (folder / "site").mkdir(parents=True, exist_ok=True)
    fresh = scratch("search")
    try:
        assert not dead.exists() and running.exists() and foreign.exists()
        assert fresh.name.startswith(f"newsdigest-search-{os.getpid()}-") and fresh.is_dir()
    finally:
        for folder in (running, foreign, fresh):
            shutil.rmtree(folder, ignore_errors=True)
