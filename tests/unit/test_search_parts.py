"""How a large site's search index is cut into parts: fixed calendar periods, newest first, stable under new stories."""
from __future__ import annotations

import calendar
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


def test_every_site_is_split_in_time_newest_first_by_week_then_year():
    days = every_day(date(2024, 1, 1), 366 + 365)  # 2024 and 2025, a page a day
    pages, index = site(days)
    parts = plan_parts(pages, index, split_above=400)
    weeks = ["2025-12-22", "2025-12-15", "2025-12-08", "2025-12-01"]  # Monday to Sunday; the 29th to 31st join a week
    assert [p.key for p in parts] == [*weeks, "2025", "2024"]  # newest first: the search page's primary bundle
    sizes = {p.key: len(p.pages) for p in parts}
    assert sizes["2025-12-22"] == 10 + 1 and sizes["2025-12-01"] == 7 and sizes["2025"] == 334 and sizes["2024"] == 367
    assert "topics/ai/index.html" in parts[0].pages  # pages without a day go with the newest part
    assert "stories/a0/index.html" in parts[-1].pages  # a story goes with its first article's day
    assert sum(sizes.values()) == len(pages) and all(p.bundle == f"pagefind/{p.key}/" for p in parts)


def test_a_small_site_is_split_by_week_too():
    pages, index = site(every_day(date(2025, 1, 1), 30))
    parts = plan_parts(pages, index, split_above=20_000)
    assert [p.key for p in parts] == ["2025-01-20", "2025-01-13", "2025-01-01"]  # the 1st to the 5th join a week


def test_a_crowded_year_is_cut_into_smaller_periods():
    days = every_day(date(2023, 1, 1), 365) * 2 + every_day(date(2024, 1, 1), 366 + 365)  # 2023 twice as crowded
    pages, index = site(days)
    keys = [p.key for p in plan_parts(pages, index, split_above=400)]
    assert keys[-4:] == ["2025", "2024", "2023h2", "2023h1"]
    days = every_day(date(2025, 1, 1), 334) * 3 + every_day(date(2025, 12, 1), 10)  # this year, three times over
    keys = [p.key for p in plan_parts(*site(days), split_above=400)]
    assert keys[-4:] == ["2025q4", "2025q3", "2025q2", "2025q1"]


def test_a_new_story_changes_only_its_own_part():
    days = every_day(date(2024, 1, 1), 700)  # to 30 November 2025
    pages, index = site(days)
    before = plan_parts(pages, index, split_above=200)
    pages_after, index_after = site([*days, date(2025, 11, 30)])
    after = plan_parts(pages_after, index_after, split_above=200)
    changed = [a.key for a, b in zip(after, before, strict=True) if a != b]
    assert [a.key for a in after] == [b.key for b in before] and changed == [after[0].key] == ["2025-11-24"]


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


def test_a_crowded_recent_month_is_split_by_week_so_an_edit_reindexes_a_week():
    days = every_day(date(2025, 1, 1), 334) + every_day(date(2025, 10, 1), 31) * 3  # October 2025 three times over
    pages, index = site(days)
    keys = [p.key for p in plan_parts(pages, index, split_above=60)]
    assert "2025-10" not in keys and {"2025-10-01", "2025-10-13", "2025-10-20"} <= set(keys)
    assert "2025-09" in keys  # an ordinary month is a part of its own (here, where a quarter is too many pages)


def test_every_week_part_is_a_whole_week_or_more_within_its_month():
    """A stub of a few days at either end of a month joins its neighbour: each part is one more download."""
    days = every_day(date(2024, 1, 1), 366 + 365 + 365)  # every month of three years
    pages, index = site(days * 2)  # each month crowded enough to go by week
    spans: dict[str, list[date]] = {}
    for part in plan_parts(pages, index, split_above=10):
        spans[part.key] = [index.day_of[p.split("/")[1]] for p in part.pages if p.startswith("news/")]
    for key, covered in spans.items():
        first, last = min(covered), max(covered)
        assert first.isoformat() == key and first.month == last.month
        assert 7 <= (last - first).days + 1 <= 13, key
        assert first.day == 1 or first.weekday() == 0  # Monday, or the month's first day
    # A month's parts: its first, and one from each Monday with a whole week before it and after it in the month.
    whole_weeks_from = [
        d for d in days if d.weekday() == 0 and 8 <= d.day <= calendar.monthrange(d.year, d.month)[1] - 6
    ]
    assert len(spans) == 36 + len(whole_weeks_from)
