"""The build cache file's layout (build/cache.py says what it holds and when it is trusted): a header of fixed
width, then the state as a series of pickles, its records each on their own, then its parts by one pickler that
writes the objects they share with the records as references, then the manifest.

A pickler keeps a table of every object it has written until it is done, and the table doubles as it grows:
written in one stream, a large site's state would hold a table of some eight million objects (and, for a moment
while it doubles, two), beside the state itself. Records written one by one, each with a new table, and parts
that refer to the records' objects by place keep that table to the parts' own objects. A smaller state goes in
one stream: its table is small, and one stream is faster (:data:`RECORDS_APART_FROM`).
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from generator.build.cache_keys import keyed_digest

FORMAT = b"newsdigest-cache/5"

# The objects of a record that the state's parts refer to. Only these are written as references: any other
# object of a record the parts hold is written again, and loads as an equal copy (memory, never meaning).
SharedOf = Callable[[Any], Iterable[object]]


@dataclass(frozen=True)
class Header:
    key: bytes
    payload: bytes  # digest
    mark: bytes  # digest of the output's mark
    manifest: bytes  # digest
    payload_size: int  # the state's records and parts, after the header (the manifest follows them)
    manifest_size: int

    def encode(self) -> bytes:
        lines = [
            FORMAT,
            self.key,
            self.payload,
            self.mark,
            self.manifest,
            b"%016d" % self.payload_size,
            b"%016d" % self.manifest_size,
        ]
        return b"\n".join(lines) + b"\n\n"


HEADER_SIZE = len(Header(b"0" * 32, b"0" * 32, b"0" * 32, b"0" * 32, 0, 0).encode())  # every field has a fixed width


def digest_of(data: bytes) -> bytes:
    digest = keyed_digest()
    digest.update(data)
    hexdigest: str = digest.hexdigest()
    return hexdigest.encode()


class Hashing:
    """A file that also digests what is written to it (the state is pickled straight to disk, never held whole)."""

    def __init__(self, file: Any) -> None:
        self.file = file
        self.digest = keyed_digest()

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        written: int = self.file.write(data)
        return written


# From this many records, each is pickled on its own (the parts refer to them); below it, the records and the
# parts go through one pickler. Its table is then a few tens of MB, and one stream writes and reads faster: the
# references cost a call per object written and an unpickler per record read.
RECORDS_APART_FROM = 30_000


def start_writing(
    file: Any, records: Sequence[Any], shared_of: SharedOf, apart_from: int | None = None
) -> pickle.Pickler:
    """Write the records: their count then each with a pickler's table of its own, or (fewer than
    ``apart_from``, by default :data:`RECORDS_APART_FROM`) -1 then all of them. Returns the pickler to write
    the parts with, in order."""
    first = pickle.Pickler(file, protocol=pickle.HIGHEST_PROTOCOL)
    if len(records) < (RECORDS_APART_FROM if apart_from is None else apart_from):
        first.dump(-1)
        first.dump(list(records))
        return first  # the parts share its table, and so the records' objects
    first.dump(len(records))
    for record in records:
        first.dump(record)
        first.clear_memo()  # the loader reads each record with an unpickler of its own
    return Referring(file, shared(records, shared_of))


def start_reading(file: Any, shared_of: SharedOf) -> tuple[list[Any], pickle.Unpickler]:
    """The records :func:`start_writing` wrote, and the unpickler to read the parts with (from a file whose
    digest was checked: pickles run code)."""
    first = pickle.Unpickler(file)
    count = first.load()  # noqa: S301 - our own file, digest checked
    if type(count) is not int:
        raise pickle.UnpicklingError("not a count of records")
    if count < 0:
        records = first.load()  # noqa: S301 - our own file, digest checked
        if type(records) is not list:
            raise pickle.UnpicklingError("not a list of records")
        return records, first
    records = [pickle.Unpickler(file).load() for _ in range(count)]  # noqa: S301 - our own file, digest checked
    return records, Resolving(file, shared(records, shared_of))


def shared(records: Sequence[Any], shared_of: SharedOf) -> list[object]:
    """What the parts may refer to, in order: the same list from the records saved and from the records loaded
    (None, never pickled by reference, is left out)."""
    return [found for record in records for found in shared_of(record) if found is not None]


class Referring(pickle.Pickler):
    """Writes each object of ``shared`` as its place there, every other object as pickle does."""

    def __init__(self, file: Any, shared: list[object]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        places: dict[int, int] = {}
        for place, found in enumerate(shared):
            places.setdefault(id(found), place)
        self._places = places
        self._shared = shared  # alive while it writes: the places are the objects' ids

    def persistent_id(self, obj: Any) -> int | None:
        return self._places.get(id(obj))


class Resolving(pickle.Unpickler):
    """Reads what :class:`Referring` wrote, given the same ``shared`` list made from the loaded records."""

    def __init__(self, file: Any, shared: list[object]) -> None:
        super().__init__(file)
        self._shared = shared

    def persistent_load(self, pid: Any) -> object:
        if type(pid) is not int or not 0 <= pid < len(self._shared):
            raise pickle.UnpicklingError("a reference to no record")
        return self._shared[pid]
