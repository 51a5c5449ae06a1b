"""The build cache's pickles: records each on their own, parts referring to what they share with the records."""
from __future__ import annotations

import io
import pickle
from dataclasses import dataclass

import pytest

from generator.build.cache_layout import Referring, shared, start_reading, start_writing
from generator.core.models import Provider, TopicRef, shared_topic


@dataclass(frozen=True)
class Item:
    name: str
    words: tuple[str, ...]
    note: str


def shared_of(record: tuple[str, Item | None]) -> tuple[object | None, ...]:
    key, item = record
    return (key, item, item.name if item else None)


def make_records(count: int) -> list[tuple[str, Item | None]]:
    return [
        (f"k{n}", Item(f"item {n}", tuple(f"w{n}-{m}" for m in range(5)), f"note {n}") if n % 7 else None)
        for n in range(count)
    ]


def save(records, parts, apart_from=0) -> tuple[bytes, int]:
    """The bytes and the size of the parts' pickler's table once it wrote every part."""
    file = io.BytesIO()
    pickler = start_writing(file, records, shared_of, apart_from)
    for part in parts:
        pickler.dump(part)
    return file.getvalue(), len(pickler.memo.copy())


def load(data: bytes, count: int):
    file = io.BytesIO(data)
    records, unpickler = start_reading(file, shared_of)
    parts = [unpickler.load() for _ in range(count)]
    assert file.tell() == len(data)
    return records, parts


@pytest.mark.parametrize("apart_from", [0, 51], ids=["records apart", "one stream"])
def test_the_parts_load_holding_the_loaded_records_objects(apart_from):
    records = make_records(50)
    items = {key: item for key, item in records if item is not None}
    index = {item.name: item for item in items.values()}  # keyed by a shared text, holding the shared items
    notes = [item.note for item in items.values()]  # not shared: written again
    data, _ = save(records, [index, {"notes": notes, "keys": [key for key, _ in records]}], apart_from)
    loaded, (loaded_index, rest) = load(data, 2)
    assert loaded == records
    for _key, item in loaded:
        if item is None:
            continue
        assert loaded_index[item.name] is item  # the record's own object, not a copy
        assert next(name for name in loaded_index if name == item.name) is item.name
    assert all(key is loaded_key for key, (loaded_key, _) in zip(rest["keys"], loaded, strict=True))
    items = [item for _, item in loaded if item is not None]
    written_again = [note is not item.note for note, item in zip(rest["notes"], items, strict=True)]
    assert rest["notes"] == notes and all(written_again) == (apart_from == 0)  # in one stream, nothing is


def test_the_parts_pickler_holds_no_object_of_the_records():
    """Its table grows with the parts' own objects only: written in one stream, it would hold every word of
    every record as well."""
    small, large = make_records(20), make_records(2000)
    _, small_table = save(small, [{key: item for key, item in small}])
    _, large_table = save(large, [{key: item for key, item in large}])
    # One dict, its own: the keys and items are the records'.
    assert small_table == large_table == 1
    _, one_stream_table = save(large, [{key: item for key, item in large}], apart_from=len(large) + 1)
    assert one_stream_table > 10 * 2000


def test_a_reference_to_no_record_is_unreadable():
    records, others = make_records(3), make_records(40)
    file = io.BytesIO()
    start_writing(file, records, shared_of, apart_from=0)
    Referring(file, shared(others, shared_of)).dump([key for key, _ in others])  # places past the 3 records' own
    file.seek(0)
    _, unpickler = start_reading(file, shared_of)
    with pytest.raises(pickle.UnpicklingError):
        unpickler.load()


def test_outlets_and_topics_load_as_one_object_each():
    """However many pickles carry them (records written apart, a forked worker's results)."""
    topic, outlet = shared_topic("ai", "AI"), Provider("o.example", "O", "o.example")
    first, second = pickle.loads(pickle.dumps([topic, outlet])), pickle.loads(pickle.dumps([topic, outlet]))
    assert first[0] is second[0] is topic and first[0] == TopicRef("ai", "AI")
    assert first[1] is second[1] and first[1] == outlet
