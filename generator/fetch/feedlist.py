"""The list of feeds to fetch: ``feeds.yaml`` (ours) or an OPML file (what feed readers export)."""

from __future__ import annotations

import difflib
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from generator.content.clean import clean_text, clean_url
from generator.net.download import Limits


class FeedListError(Exception):
    """The feeds file cannot be used; ``str()`` names the file and why."""


class NoFeedsYet(FeedListError):
    """The list is valid but empty (a new site's): ``fetch`` says so, ``update`` goes on without fetching."""


@dataclass(frozen=True)
class FeedSpec:
    url: str
    name: str = ""  # the outlet's name; else the feed's own title
    topics: tuple[str, ...] = ()


@dataclass(frozen=True)
class FeedList:
    feeds: tuple[FeedSpec, ...]
    limits: Limits = field(default_factory=Limits)
    max_entries: int = 200  # the newest entries of each feed read per run; a longer back catalogue is not
    contact: str = ""  # the site owner's URL or e-mail address, for the User-Agent


SETTINGS = {"timeout": "total_timeout", "connect_timeout": "connect_timeout", "max_mb": "max_bytes"}


def load_feed_list(path: Path) -> FeedList:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise FeedListError(
            f"{path}: no feeds file (create one with 'newsdigest init', or pass --feeds FILE)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FeedListError(f"{path}: cannot read: {exc}") from None
    if path.suffix.lower() in (".opml", ".xml") or text.lstrip().startswith("<"):
        listed = FeedList(_unique(_opml_feeds(text, path)))
    else:
        listed = _yaml_feed_list(text, path)
    if not listed.feeds:
        raise NoFeedsYet(f"{path}: lists no feeds yet; add their URLs under 'feeds:'")
    return listed


def _yaml_feed_list(text: str, path: Path) -> FeedList:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise FeedListError(f"{path}:{mark.line + 1 if mark else 1}: not valid YAML") from None
    if data is None:
        data = {}
    if isinstance(data, list):
        data = {"feeds": data}
    if not isinstance(data, dict) or not isinstance(data.get("feeds") or [], list):
        raise FeedListError(f"{path}: expected 'feeds:' with a list of feed URLs")
    feeds = [_yaml_feed(item, path, number, text) for number, item in enumerate(data.get("feeds") or [], 1)]
    settings = data.get("settings")
    contact = clean_text(settings.get("contact"))[0] if isinstance(settings, dict) else ""
    if any(c in contact for c in "()\r\n"):
        raise FeedListError(f"{path}: settings.contact should be a URL or an e-mail address")
    return FeedList(_unique(feeds), _limits(settings, path), _positive_int(settings, "max_entries", 200, path), contact)


FEED_KEYS = frozenset({"url", "name", "topics"})


def _line_of(text: str, key: str, number: int) -> int:
    """The line of ``key:`` in the ``number``th feed of the list (counting its ``- `` items), else 1."""
    items = 0
    for line_number, line in enumerate(text.splitlines(), 1):
        stripped = line.lstrip()
        if stripped.startswith("- "):
            items += 1
            stripped = stripped[2:].lstrip()
        if items == number and stripped.startswith(f"{key}:"):
            return line_number
    return 1


def _yaml_feed(item: Any, path: Path, number: int, text: str) -> FeedSpec:
    if isinstance(item, str):
        item = {"url": item}
    if not isinstance(item, dict):
        raise FeedListError(f"{path}: feed {number} should be a URL or a mapping with 'url'")
    for key in map(str, item):
        if key not in FEED_KEYS:
            close = difflib.get_close_matches(key.lower(), sorted(FEED_KEYS), n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else f" (known: {', '.join(sorted(FEED_KEYS))})"
            raise FeedListError(f"{path}:{_line_of(text, key, number)}: feed {number}: unknown key {key!r}{hint}")
    url = clean_url(str(item.get("url") or "").strip(), allow_relative=False)
    if url is None:
        raise FeedListError(f"{path}: feed {number}: {str(item.get('url'))[:100]!r} is not an http(s) URL")
    topics = item.get("topics") or []
    if isinstance(topics, str):
        topics = [topics]
    if not isinstance(topics, list):
        raise FeedListError(f"{path}: feed {number} ({url}): 'topics' should be a list")
    return FeedSpec(url, clean_text(item.get("name"))[0], tuple(t for raw in topics if (t := clean_text(raw)[0])))


def _limits(settings: Any, path: Path) -> Limits:
    if settings is None:
        return Limits()
    if not isinstance(settings, dict):
        raise FeedListError(f"{path}: 'settings' should be a mapping")
    values: dict[str, float] = {}
    for key, attribute in SETTINGS.items():
        if key in settings:
            value = settings[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise FeedListError(f"{path}: settings.{key} should be a positive number")
            values[attribute] = value * 1024 * 1024 if key == "max_mb" else value
    return Limits(
        connect_timeout=values.get("connect_timeout", Limits.connect_timeout),
        total_timeout=values.get("total_timeout", Limits.total_timeout),
        max_bytes=int(values.get("max_bytes", Limits.max_bytes)),
    )


def _positive_int(settings: Any, key: str, default: int, path: Path) -> int:
    value = settings.get(key, default) if isinstance(settings, dict) else default
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise FeedListError(f"{path}: settings.{key} should be a positive whole number")
    return value


def _opml_feeds(text: str, path: Path) -> list[FeedSpec]:
    """Every ``<outline xmlUrl=...>``; a folder's title (the outline around it) and ``category`` become topics."""
    if "<!ENTITY" in text:
        raise FeedListError(f"{path}: declares XML entities; refused")
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        raise FeedListError(f"{path}:{exc.position[0]}: not valid OPML ({exc})") from None
    body = root.find("body")
    feeds: list[FeedSpec] = []

    def walk(outline: ElementTree.Element, folders: tuple[str, ...]) -> None:
        for child in outline.findall("outline"):
            url = child.get("xmlUrl")
            label = clean_text(child.get("title") or child.get("text"))[0]
            if url:
                if (checked := clean_url(url.strip(), allow_relative=False)) is None:
                    raise FeedListError(f"{path}: {url[:100]!r} is not an http(s) URL")
                categories = tuple(
                    c for raw in (child.get("category") or "").split(",") if (c := clean_text(raw.strip("/ "))[0])
                )
                feeds.append(FeedSpec(checked, label, folders + categories))
            else:
                walk(child, folders + ((label,) if label else ()))

    walk(body if body is not None else root, ())
    return feeds


def _unique(feeds: list[FeedSpec]) -> tuple[FeedSpec, ...]:
    """One entry per URL; the first listing wins (a feed listed twice is fetched once)."""
    seen: dict[str, FeedSpec] = {}
    for feed in feeds:
        seen.setdefault(feed.url, feed)
    return tuple(seen.values())
