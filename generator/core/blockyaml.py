"""The crawler's front matter read directly: block mappings and sequences of one-line scalars.

Nearly every article file uses a small, regular part of YAML: ``key: value``
lines, nested blocks indented by spaces, ``- item`` sequences and one-line
plain, single- or double-quoted scalars. PyYAML builds a node object for each
value and calls Python hooks on it (about 80 per file), which made YAML the
largest single cost of reading a site. Here such text is read line by line.

The rule that keeps this honest: :func:`parse_block_mapping` returns a value
only when it is certain the value equals what ``yaml_loader.ContentLoader``
(YAML 1.2 core-schema scalars) gives for the same text; anything else (flow
collections, block scalars, multi-line scalars, comments after values,
anchors, tags, tabs, unusual characters, anything PyYAML would reject) returns
None and the caller uses PyYAML. Tests compare both on real, generated and
hostile files.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from yaml.constructor import SafeConstructor
from yaml.nodes import ScalarNode
from yaml.scanner import Scanner

# Characters after which the line-by-line reading is not certain to agree with libyaml: tabs, control
# characters, byte-order marks, line breaks other than "\n", and anything libyaml refuses.
_UNSURE = re.compile("[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")

# Each line: indent, "-" and the spaces after it, key, the rest of the line after "key:".
_LINE = re.compile(r"^( *)(?:(-)( +|$))?(?:([A-Za-z_][A-Za-z0-9_]*(?:[-.][A-Za-z0-9_]+)*):(?: +|$))?(.*)$", re.M)

# A plain scalar is certain to be read as one line of text when it starts with none of YAML's indicators
# and holds no ": " or " #" (and does not end with ":").
_PLAIN_START_BAD = frozenset("[]{}#&*!|>'\"%@`,")
_PLAIN_START_BEFORE_TEXT = frozenset("-?:")  # indicators only when a space follows
_DOUBLE_QUOTED = re.compile(r'"([^"\\]*(?:\\.[^"\\]*)*)"')
_ESCAPE = re.compile(r"\\(?:x([0-9A-Fa-f]{2})|u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))")

# Plain scalars that are not text under the YAML 1.2 core schema (yaml_loader.ContentLoader's resolvers).
_BOOL = re.compile(r"(?:true|True|TRUE|false|False|FALSE)")
_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)|0o[0-7]+|0x[0-9a-fA-F]+")
_DECIMAL = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_FLOAT = re.compile(
    r"[-+]?(?:\.[0-9]+|(?:0|[1-9][0-9]*)(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
)
_NULL = re.compile(r"(?:~|null|Null|NULL)")
_TIMESTAMP = re.compile(
    r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
    r"(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)?"
)  # noqa: E501

_constructor = SafeConstructor()
TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


def _construct(method: Callable[[SafeConstructor, ScalarNode], Any], tag: str) -> Callable[[str], Any]:
    """PyYAML's own construction of a resolved scalar, so numbers and dates come out exactly as it makes them."""
    return lambda value: method(_constructor, ScalarNode(tag, value))


def timestamp_or_text(value: str) -> Any:
    """A date or date-time as PyYAML makes it; an impossible one (30 February) stays text, for its field to report."""
    try:
        return SafeConstructor.construct_yaml_timestamp(_constructor, ScalarNode(TIMESTAMP_TAG, value))
    except ValueError:
        return value


_NUMBERS_AND_DATES: tuple[tuple[re.Pattern[str], Callable[[str], Any]], ...] = (
    (_DECIMAL, int),  # the common case, as PyYAML's int constructor reads it
    (_INT, _construct(SafeConstructor.construct_yaml_int, "tag:yaml.org,2002:int")),
    (_FLOAT, _construct(SafeConstructor.construct_yaml_float, "tag:yaml.org,2002:float")),
    (_TIMESTAMP, timestamp_or_text),
)


class _Unsure(Exception):
    """This text is outside what is read here: PyYAML reads it."""


# One line that says something: (indent, starts with "- ", the column after the dash's spaces, key or None, rest).
Line = tuple[int, bool, int, "str | None", str]


def parse_block_mapping(text: str) -> dict[str, Any] | None:
    """The mapping ContentLoader would read from ``text``, or None when that is not certain (use PyYAML).

    A mapping with a repeated key is left to PyYAML too: a value from here has each key once.
    """
    if _UNSURE.search(text):
        return None
    lines: list[Line] = []
    for match in _LINE.finditer(text):
        indent, dash, spaces, key, rest = match.groups()
        if dash is None and key is None and (not rest or rest[0] == "#"):
            continue  # a blank line or a comment
        depth = len(indent)
        lines.append((depth, dash is not None, depth + 1 + len(spaces) if dash else 0, key, rest))
    if not lines:
        return None  # empty front matter: PyYAML says what it is
    try:
        value, end = _block(lines, 0, 0)
    except _Unsure:
        return None
    if end != len(lines) or not isinstance(value, dict):
        return None
    return value


def _block(lines: list[Line], at: int, indent: int) -> tuple[Any, int]:
    """The mapping or sequence whose lines start at ``at`` with exactly ``indent`` spaces; (value, next line)."""
    if lines[at][0] != indent:
        raise _Unsure
    return (_sequence if lines[at][1] else _mapping)(lines, at, indent)


def _mapping(lines: list[Line], at: int, indent: int, in_item: bool = False) -> tuple[dict[str, Any], int]:
    """Key lines at ``indent`` (``in_item``: the first one is a "- key: v" line, its key at ``indent``)."""
    mapping: dict[str, Any] = {}
    count = len(lines)
    while at < count:
        depth, dash, _column, key, rest = lines[at]
        if not in_item:
            if depth < indent:
                break
            if depth > indent or dash:
                raise _Unsure
        if key is None or not _text_key(key) or key in mapping:
            raise _Unsure  # not a key, one YAML would read as a number, a boolean, null or a date, or a repeat
        in_item = False
        at += 1
        if rest:
            mapping[key] = _scalar(rest)
            if at < count and lines[at][0] > indent:
                raise _Unsure  # a deeper line would continue the scalar (or be an error)
            continue
        mapping[key], at = _nested(lines, at, indent)
    return mapping, at


def _sequence(lines: list[Line], at: int, indent: int) -> tuple[list[Any], int]:
    items: list[Any] = []
    count = len(lines)
    while at < count:
        depth, dash, column, key, rest = lines[at]
        if depth != indent or not dash:
            if depth > indent:
                raise _Unsure
            break
        if column == indent + 1:  # a bare "-": its item is on the following lines
            raise _Unsure
        if key is not None:  # "- key: value": a mapping whose keys line up after the dash
            item, at = _mapping(lines, at, column, in_item=True)
            items.append(item)
            continue
        if not rest:
            raise _Unsure
        items.append(_scalar(rest))
        at += 1
        if at < count and lines[at][0] > indent:
            raise _Unsure
    return items, at


def _nested(lines: list[Line], at: int, indent: int) -> tuple[Any, int]:
    """The value of a ``key:`` with nothing after the colon: a deeper block, a sequence at the key's indent, or null."""
    if at < len(lines):
        depth, dash = lines[at][0], lines[at][1]
        if depth > indent or (depth == indent and dash):
            return _block(lines, at, depth)
    return None, at


@functools.lru_cache(maxsize=1024)  # the same few keys in every file
def _text_key(key: str) -> bool:
    return _typed(key) is key


def _scalar(text: str) -> Any:
    text = text.rstrip(" ")
    first = text[0]
    if first == '"':
        match = _DOUBLE_QUOTED.fullmatch(text)
        if match is None:
            raise _Unsure
        body = match[1]
        return _ESCAPE.sub(_unescape, body) if "\\" in body else body
    if first == "'":
        if len(text) < 2 or text[-1] != "'" or "'" in text[1:-1].replace("''", ""):
            raise _Unsure
        return text[1:-1].replace("''", "'")
    if (
        first in _PLAIN_START_BAD
        or (first in _PLAIN_START_BEFORE_TEXT and (len(text) == 1 or text[1] == " "))
        or ": " in text
        or " #" in text
        or text.endswith(":")
    ):
        raise _Unsure
    return _typed(text)


def _typed(text: str) -> Any:
    """A plain scalar as the core schema reads it (text unless it looks like a number, boolean, null or date)."""
    first = text[0]
    if first in "tTfF":
        return first in "tT" if _BOOL.fullmatch(text) else text
    if first in "nN~":
        return None if _NULL.fullmatch(text) else text
    if first in "0123456789-+.":
        for pattern, make in _NUMBERS_AND_DATES:
            if pattern.fullmatch(text):
                return make(text)
    return text


def _unescape(match: re.Match[str]) -> str:
    if match[4] is not None:
        if match[4] not in Scanner.ESCAPE_REPLACEMENTS:
            raise _Unsure  # PyYAML reports an unknown escape
        return Scanner.ESCAPE_REPLACEMENTS[match[4]]
    code = int(match[1] or match[2] or match[3], 16)
    if 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
        raise _Unsure  # a lone surrogate or no character at all: PyYAML decides
    return chr(code)
