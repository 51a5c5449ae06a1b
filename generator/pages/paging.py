"""Pagination that does not move: a newest-first list cut so that a new story changes only its first page.

Most generators number pages from the newest end, so each new story shifts
every story one place and rewrites every page of the list (and the browser
caches, CDNs and search engines that hold them). A news site gets new stories
all day, so here the older pages are fixed chunks counted from the *oldest*
end: page 2 holds the oldest ``size`` stories, page 3 the next ``size``, and
the highest number the newest full chunk below the front. Page 1, the list's
own URL, shows everything newer than that (between ``size`` and
``2 * size - 1`` stories, or the whole list when it is shorter). A new story
changes page 1; every ``size`` stories a new numbered page appears. A page's
links never name the highest page number, only its neighbours and page 1
("Latest"), so older pages keep their bytes too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")
AROUND = 2  # numbered links either side of the current page


def top_page(items: int, size: int) -> int:
    """The highest page number: the newest chunk below the front page (1 when the list has one page)."""
    full = items // size
    return full if full >= 2 else 1


def page_slice(items: int, size: int, number: int) -> slice:
    """Where page ``number`` lies in the newest-first list of ``items``."""
    top = top_page(items, size)
    if number == 1:
        return slice(0, items if top == 1 else items - (top - 1) * size)
    return slice(items - (number - 1) * size, items - (number - 2) * size)


def stable_chunks(items: Sequence[T], size: int) -> list[tuple[int, Sequence[T]]]:
    """(page number, items) for each page: page 1 first, then the numbered pages from the newest."""
    top = top_page(len(items), size)
    return [(1, items[page_slice(len(items), size, 1)])] + [
        (n, items[page_slice(len(items), size, n)]) for n in range(top, 1, -1)
    ]


def older_page(number: int, top: int) -> int | None:
    """The page after ``number`` when reading from the newest: the highest page after page 1, none after page 2."""
    if number == 1:
        return top if top > 1 else None
    return number - 1 if number > 2 else None


def newer_page(number: int, top: int) -> int | None:
    if number == 1:
        return None
    return 1 if number == top else number + 1


def nav_stamp(number: int, top: int) -> int:
    """What of ``top`` a page's links show: page 1 names it; a numbered page only when it is within reach."""
    return top if number == 1 else min(top, number + AROUND)


@dataclass(frozen=True)
class Pagination:
    """Where one page sits in its list. Paths are computed on demand:
    a 5,000-page list must not cost 5,000 paths on each of its pages."""

    page: int
    total: int  # the highest page number (see top_page)
    path_of: Callable[[int], str]  # page number -> page path

    @property
    def prev_path(self) -> str | None:
        """The newer page."""
        newer = newer_page(self.page, self.total)
        return None if newer is None else self.path_of(newer)

    @property
    def next_path(self) -> str | None:
        """The older page."""
        older = older_page(self.page, self.total)
        return None if older is None else self.path_of(older)

    def window(self) -> list[tuple[int, str] | None]:
        """Numbered links, newest first: pages near this one and page 2 (the oldest); None marks a gap.

        Page 1 is linked as "Latest" by the template. The highest number is shown
        only from pages near it, so a new numbered page rewrites only those.
        """
        if self.total == 1:
            return []
        centre = self.total if self.page == 1 else self.page
        near = range(min(self.total, centre + AROUND), max(2, centre - AROUND) - 1, -1)
        shown = [*near, *([2] if near[-1] > 2 else [])]
        links: list[tuple[int, str] | None] = []
        for number in shown:
            if links and links[-1] is not None and links[-1][0] - number > 1:
                links.append(None)
            links.append((number, self.path_of(number)))
        return links
