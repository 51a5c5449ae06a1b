"""YAML as the site reads it, settings and content alike: PyYAML's safe loader with YAML 1.2 scalars, no
aliases, and errors located by file line."""

from __future__ import annotations

import re
from typing import Any

import yaml

from generator.core.blockyaml import TIMESTAMP_TAG, timestamp_or_text

try:  # libyaml is much faster than the pure-Python loader
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
                None, None, "anchors and aliases (&name / *name) are not allowed", node.start_mark
            )
        return super().construct_object(node, deep=deep)

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        for key_node, _value in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge" or (
                key_node.tag == "tag:yaml.org,2002:str" and key_node.value == "<<"
            ):
                raise yaml.constructor.ConstructorError(
                    None, None, "merge keys (<<) are not allowed: write the fields out", key_node.start_mark
                )
        super().flatten_mapping(node)


for _tag, _pattern, _first in (
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?(?:0|[1-9][0-9]*)|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|(?:0|[1-9][0-9]*)(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        list("-+.0123456789"),
    ),  # noqa: E501
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    (
        "tag:yaml.org,2002:timestamp",
        r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
        r"(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)?$",
        list("0123456789"),
    ),  # noqa: E501
):
    ContentLoader.add_implicit_resolver(_tag, re.compile(_pattern), _first)

ContentLoader.add_constructor(TIMESTAMP_TAG, lambda loader, node: timestamp_or_text(node.value))

SafeLoader = ContentLoader


def key_line(yaml_text: str, key: str) -> int:
    """1-based line of a top-level ``key:`` in ``yaml_text``, or 0 if absent."""
    match = re.search(rf"^{re.escape(key)}[ \t]*:", yaml_text, re.M)
    return yaml_text.count("\n", 0, match.start()) + 1 if match else 0


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
