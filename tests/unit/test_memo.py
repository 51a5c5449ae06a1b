"""The one memo: a value is made again exactly when its inputs changed, and lives as long as its lifetime says."""

from __future__ import annotations

from generator.core.memo import Memo, RoundMemo, Same


def counted():
    made: list[str] = []

    def make(name: str):
        return lambda: made.append(name) or f"value of {name}"

    return made, make


def test_a_memo_makes_a_value_again_only_when_its_inputs_differ():
    memo: Memo[str, str] = Memo()
    made, make = counted()
    assert memo.take("a", (1, "x"), make("a")) == "value of a"
    assert memo.take("a", (1, "x"), make("a again")) == "value of a"  # equal inputs: kept
    assert memo.take("a", (2, "x"), make("a changed")) == "value of a changed"
    assert made == ["a", "a changed"]


def test_same_is_equal_only_to_its_own_object():
    first, twin = [1, 2], [1, 2]
    memo: Memo[str, str] = Memo()
    made, make = counted()
    memo.take("k", (Same(first),), make("first"))
    memo.take("k", (Same(first),), make("first again"))
    memo.take("k", (Same(twin),), make("twin"))  # equal value, another object: made again
    assert made == ["first", "twin"]


def test_retain_forgets_the_keys_refused():
    memo: Memo[str, str] = Memo()
    _made, make = counted()
    for key in ("a", "b", "c"):
        memo.take(key, (), make(key))
    memo.retain(lambda key: key != "b")
    assert memo.keys() == {"a", "c"}


def test_a_round_keeps_only_what_it_took_and_forget_drops_everything():
    memo: RoundMemo[str, str] = RoundMemo()
    made, make = counted()
    memo.begin()
    memo.take("a", (), make("a"))
    memo.take("b", (), make("b"))
    memo.end()
    memo.begin()
    memo.take("a", (), make("a, second round"))  # kept
    memo.end()  # b was not taken: dropped
    memo.begin()
    memo.take("b", (), make("b, third round"))
    memo.take("a", (), make("a, third round"))
    memo.end()
    assert made == ["a", "b", "b, third round"]
    memo.begin(forget=True)
    memo.take("a", (), make("a after forget"))
    assert made[-1] == "a after forget"


def test_a_key_taken_twice_in_one_round_is_made_once():
    memo: RoundMemo[str, str] = RoundMemo()
    made, make = counted()
    memo.begin()
    memo.take("part", (1,), make("once"))
    memo.take("part", (1,), make("twice"))
    assert made == ["once"]
