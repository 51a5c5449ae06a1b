"""Split a file into YAML front matter and body, and parse the YAML safely."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from generator.core.blockyaml import parse_block_mapping
from generator.core.yaml_loader import SafeLoader, describe_yaml_error, key_line

_FENCE = re.compile(r"^(?:---|\.\.\.)[ \t]*\r?$", re.M)


class FrontMatterError(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass(frozen=True)
class Document:
    data: dict[str, Any]
    yaml_text: str
    body: str
    body_line: int  # 1-based line where the body starts
    unique_keys: bool = False  # known to name each top-level key once (read by blockyaml, which refuses repeats)

    def line_of(self, key: str) -> int:
        """1-based file line of a top-level key, or of the opening fence if absent."""
        line = key_line(self.yaml_text, key)
        return line + 1 if line else 1


def split_document(text: str) -> Document:
    """Parse ``---\\n<yaml>\\n---\\n<body>``. Raises FrontMatterError with a file line."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise FrontMatterError(1, "empty file")
    first_line = text.split("\n", 1)[0].rstrip("\r")
    if first_line.strip() != "---":
        raise FrontMatterError(1, "front matter must start with a '---' line")
    start = len(text.split("\n", 1)[0]) + 1
    closing = _FENCE.search(text, start)
    if closing is None:
        raise FrontMatterError(1, "front matter is not closed by a '---' line")
    yaml_text = text[start : closing.start()]
    body_start = text.find("\n", closing.end())
    body = "" if body_start < 0 else text[body_start + 1 :]
    body_line = text.count("\n", 0, closing.end()) + 2
    data, unique_keys = _read_mapping(yaml_text, first_line=2)
    return Document(data=data, yaml_text=yaml_text, body=body, body_line=body_line, unique_keys=unique_keys)


MAX_DEPTH = 64  # levels of nesting in front matter: a crawler's files use three or four
_QUOTED = re.compile(r"'[^'\n]*'|\"(?:[^\"\\\n]|\\.)*\"")
_ITEM_DASHES = re.compile(r"(?:-[ \t]+)*")
_FLOW_BRACKET = re.compile(r"[\[\]{}]")
_INDENT = re.compile(r"^ +", re.M)


def nesting_too_deep(yaml_text: str, first_line: int = 1) -> int:
    """The file line where ``yaml_text`` nests more than :data:`MAX_DEPTH` levels, or 0.

    Nesting is counted from indentation (a line deeper than the ones open above it opens a level, as
    do ``- `` items written on one line) and from flow brackets: both readers recurse once per level.
    """
    # A level opens with a deeper indentation (a space at least), a bracket or a "- " after another on one
    # line: a file whose deepest indentation and brackets cannot add up to the limit is done here (nearly
    # every file: this bound is what most reads pay).
    brackets = yaml_text.count("[") + yaml_text.count("{") + yaml_text.count("- -")
    if yaml_text.count("\n") + brackets < MAX_DEPTH:  # fewer lines than levels (the usual file: no regex)
        return 0
    if max(map(len, _INDENT.findall(yaml_text)), default=0) + 2 + brackets < MAX_DEPTH:
        return 0
    indents: list[int] = []
    flow = 0
    for number, line in enumerate(yaml_text.split("\n")):
        text = line.lstrip(" ")
        if not text or text.startswith("#"):
            continue
        indent = len(line) - len(text)
        while indents and indent <= indents[-1]:
            indents.pop()
        indents.append(indent)
        block = len(indents) + _ITEM_DASHES.match(text).group().count("-")  # type: ignore[union-attr]
        deepest = flow
        for bracket in _FLOW_BRACKET.findall(_QUOTED.sub("", text)):
            flow = flow + 1 if bracket in "[{" else max(0, flow - 1)
            deepest = max(deepest, flow)
        if block + deepest > MAX_DEPTH:
            return first_line + number
    return 0


def load_yaml_mapping(yaml_text: str, first_line: int = 1) -> dict[str, Any]:
    return _read_mapping(yaml_text, first_line)[0]


def _read_mapping(yaml_text: str, first_line: int) -> tuple[dict[str, Any], bool]:
    """The mapping, and whether the line reader read it (then each top-level key appears once)."""
    deep = nesting_too_deep(yaml_text, first_line)
    if deep:
        raise FrontMatterError(deep, f"front matter nests more than {MAX_DEPTH} levels deep")
    fast = parse_block_mapping(yaml_text)
    return (fast, True) if fast is not None else (_pyyaml_mapping(yaml_text, first_line), False)


def _pyyaml_mapping(yaml_text: str, first_line: int) -> dict[str, Any]:
    try:
        data = yaml.load(yaml_text, Loader=SafeLoader)
    except yaml.YAMLError as exc:
        raise FrontMatterError(*describe_yaml_error(exc, first_line)) from None
    except RecursionError:  # a nesting the depth count above did not see (it is a line count, not a parser)
        raise FrontMatterError(first_line, "front matter nests too deeply") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise FrontMatterError(first_line, f"front matter must be a mapping of fields, not a {type(data).__name__}")
    return {str(k): v for k, v in data.items()}


_TOP_LEVEL_KEY = re.compile(r"^([^\s#:'\"-][^:\n]*?|'[^'\n]*'|\"[^\"\n]*\")[ \t]*:(?:[ \t]|$)", re.M)


def duplicate_keys(yaml_text: str, first_line: int = 1) -> list[tuple[int, str]]:
    """(line, key) of each top-level key that repeats an earlier one (YAML keeps only the last)."""
    seen: set[str] = set()
    repeats = []
    for match in _TOP_LEVEL_KEY.finditer(yaml_text):
        key = match.group(1).strip("'\"")
        if key in seen:
            repeats.append((first_line + yaml_text.count("\n", 0, match.start()), key))
        seen.add(key)
    return repeats
