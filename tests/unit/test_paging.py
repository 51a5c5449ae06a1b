"""Pagination that does not move: numbered pages count from the oldest end, page 1 takes the newest."""
from __future__ import annotations

from generator.pages.paging import Pagination, older_page, page_slice, stable_chunks, top_page


def pages_of(count: int, size: int = 3) -> dict[int, list[int]]:
    """Item k is the k-th story ever published; the list is newest first."""
    newest_first = list(range(count, 0, -1))
    return {n: list(items) for n, items in stable_chunks(newest_first, size)}


def test_every_story_is_on_exactly_one_page_and_page_one_holds_the_newest():
    for count in range(0, 40):
        pages = pages_of(count)
        listed = [item for n in sorted(pages, key=lambda n: (n != 1, -n)) for item in pages[n]]
        assert listed == list(range(count, 0, -1)), count  # page 1, then the highest number down to 2
        assert 3 <= len(pages[1]) <= 5 or count < 3
        assert all(len(items) == 3 for n, items in pages.items() if n > 1)


def test_a_new_story_changes_page_one_and_at_most_adds_a_page():
    for count in range(1, 40):
        before, after = pages_of(count), pages_of(count + 1)
        changed = {n for n in after if before.get(n) != after[n]}
        assert changed <= {1, top_page(count + 1, 3)}, count
        assert {n for n in before if n > 1 and before[n] != after.get(n)} == set()  # no numbered page moves


def test_page_two_is_the_oldest_and_older_links_walk_down_to_it():
    assert pages_of(10)[2] == [3, 2, 1] and top_page(10, 3) == 3
    assert [older_page(n, 3) for n in (1, 3, 2)] == [3, 2, None]
    assert page_slice(10, 3, 1) == slice(0, 4)


def test_links_name_the_highest_page_only_near_it():
    far = Pagination(page=10, total=40, path_of=lambda n: f"p{n}/")
    assert [link[0] if link else None for link in far.window()] == [12, 11, 10, 9, 8, None, 2]
    assert (far.prev_path, far.next_path) == ("p11/", "p9/")  # newer, older
    front = Pagination(1, 40, lambda n: f"p{n}/")
    assert [link[0] if link else None for link in front.window()] == [40, 39, 38, None, 2]
    assert (front.prev_path, front.next_path) == (None, "p40/")
    assert Pagination(40, 40, lambda n: f"p{n}/").prev_path == "p1/"  # the newest numbered page leads to page 1
    assert Pagination(1, 1, str).window() == [] and Pagination(1, 1, str).next_path is None
