"""Split a file into YAML front matter and body, and parse the YAML safely."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from .blockyaml import TIMESTAMP_TAG, parse_block_mapping, timestamp_or_text

try:  # libyaml is about 8x faster than the pure-Python loader
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]


class ContentLoader(_BaseLoader):
    """PyYAML's safe loader with YAML 1.2 core-schema scalars and no aliases.

    YAML 1.1 turns a headline "NO" into False, "12:30" into 750 and "0123"
    into 83; here only true/false are booleans and only plain decimal (or 0x/0o)
    numbers are numbers. Aliases are refused outright: crawler files never
    need them, and nested aliases are the "billion laughs" memory bomb.
    """

    yaml_implicit_resolvers: dict[str, Any] = {}

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        if node in self.constructed_objects or node in self.recursive_objects:
            raise yaml.constructor.ConstructorError(
                None, None, "anchors and aliases (&name / *name) are not allowed", node.start_mark)
        return super().construct_object(node, deep=deep)

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        for key_node, _value in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge" or (key_node.tag == "tag:yaml.org,2002:str" and key_node.value == "<<"):
                raise yaml.constructor.ConstructorError(
                    None, None, "merge keys (<<) are not allowed: write the fields out", key_node.start_mark)
        super().flatten_mapping(node)


for _tag, _pattern, _first in (
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?(?:0|[1-9][0-9]*)|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
    ("tag:yaml.org,2002:float", r"^(?:[-+]?(?:\.[0-9]+|(?:0|[1-9][0-9]*)(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", list("-+.0123456789")),  # noqa: E501
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:timestamp", r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)?$", list("0123456789")),  # noqa: E501
):
    ContentLoader.add_implicit_resolver(_tag, re.compile(_pattern), _first)

ContentLoader.add_constructor(TIMESTAMP_TAG, lambda loader, node: timestamp_or_text(node.value))

SafeLoader = ContentLoader

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


def key_line(yaml_text: str, key: str) -> int:
    """1-based line of a top-level ``key:`` in ``yaml_text``, or 0 if absent."""
    match = re.search(rf"^{re.escape(key)}[ \t]*:", yaml_text, re.M)
    return yaml_text.count("\n", 0, match.start()) + 1 if match else 0


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


def nesting_too_deep(yaml_text: str, first_line: int = 1) -> int:
    """The file line where ``yaml_text`` nests more than :data:`MAX_DEPTH` levels, or 0.

    Nesting is counted from indentation (a line deeper than the ones open above it opens a level, as
    do ``- `` items written on one line) and from flow brackets: both readers recurse once per level.
    """
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


def describe_yaml_error(exc: yaml.YAMLError, first_line: int = 1) -> tuple[int, str]:
    """(file line, message) for a YAML error; the line is where the broken construct starts."""
    problem_mark = getattr(exc, "problem_mark", None)
    context_mark = getattr(exc, "context_mark", None)
    mark = context_mark or problem_mark
    line = first_line + (mark.line if mark else 0)
    message = f"invalid YAML: {getattr(exc, 'problem', None) or exc}"
    if context_mark and problem_mark and problem_mark.line != context_mark.line:
        message += f" (noticed on line {first_line + problem_mark.line}, {getattr(exc, 'context', '')})"
    return line, message


def load_yaml_documents(text: str) -> list[Any]:
    """Every document of a multi-document YAML text (metadata files end with stray '---')."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return [doc for doc in yaml.load_all(text, Loader=SafeLoader) if doc is not None]
