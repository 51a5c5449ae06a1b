"""A feed entry -> an article file in the crawler's format (front matter only, as the crawler writes).

Pure: the same entry, feed and topics give the same text. Everything from the
feed is cleaned here with the rules the build applies to crawler files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit, urlunsplit

import nh3
import yaml

from generator.content.clean import EARLIEST, MAX_TITLE, clean_text, clean_url, normalize_domain, shorten, slugify
from generator.core.models import TopicMeta
from generator.fetch.feedlist import FeedSpec
from generator.fetch.parse import FeedEntry, FeedPicture, ParsedFeed

MAX_EXCERPT = 400  # characters; the crawler's excerpts are a sentence or two
# Query parameters that say how a reader arrived, not what they read.
_TRACKING = re.compile(
    r"^(?:utm_\w*|fbclid|gclid|gclsrc|dclid|msclkid|yclid|igshid|mc_cid|mc_eid|_hsenc|_hsmi|mkt_tok|"
    r"ocid|cmpid|ncid|sr_share|at_medium|at_campaign|at_custom\d*|__twitter_impression|rss|rssfeed|feed_id)$",
    re.I,
)


@dataclass(frozen=True)
class Draft:
    """One article about to be written."""

    key: str  # what makes two entries the same story: url_key of its canonical URL
    entry_id: str  # the feed's own id, "" when it gives none
    file_name: str  # "YYYY-MM-DD-slug.md"; a number is added if taken
    text: str  # the whole file


def canonical_url(url: str) -> str:
    """``url`` without tracking parameters and fragment, host lower-cased, default port dropped."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port
    netloc = host if port is None or (parts.scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    # Split by hand rather than parse and re-encode: the parameters kept stay byte for byte as the outlet wrote them.
    query = "&".join(p for p in parts.query.split("&") if p and not _TRACKING.match(p.split("=", 1)[0]))
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", query, ""))


def url_key(url: str) -> str:
    """The same story whatever the scheme or a leading ``www.``: host, path and query of the canonical URL."""
    parts = urlsplit(canonical_url(url))
    host = parts.netloc.removeprefix("www.")
    return f"{host}{parts.path.rstrip('/') or '/'}{'?' + parts.query if parts.query else ''}"


def plain(value: str) -> str:
    """Text from a feed field that may hold HTML: scripts and styles dropped, tags stripped, mojibake repaired."""
    if "<" in value or "&" in value:
        value = nh3.clean(value, tags=set())
    return clean_text(value)[0]


class TopicMatcher:
    """Topics whose name or ``keywords`` occur in a title or summary as whole words.

    A keyword in capitals ("AI", "GPU") must match in capitals: "ai" and "Gpu"
    are other words. Others match in any case.
    """

    def __init__(self, topics: Iterable[TopicMeta]) -> None:
        self._patterns: list[tuple[str, re.Pattern[str]]] = []
        for topic in sorted(topics, key=lambda t: t.slug):
            words = {topic.name, *topic.keywords} - {""}
            exact = sorted(w for w in words if w.isupper())
            loose = sorted(w for w in words if not w.isupper())
            parts = [f"(?-i:{re.escape(w)})" for w in exact] + [re.escape(w) for w in loose]
            if parts:
                self._patterns.append((topic.name, re.compile(rf"(?<!\w)(?:{'|'.join(parts)})(?!\w)", re.I)))

    def topics_in(self, text: str) -> list[str]:
        return [name for name, pattern in self._patterns if pattern.search(text)]


def draft_article(
    entry: FeedEntry,
    feed: ParsedFeed,
    spec: FeedSpec,
    matcher: TopicMatcher,
    fetched: datetime,
    sizes: Mapping[str, tuple[int, int]],
) -> Draft | None:
    """The article for ``entry``, or None when it has neither a title nor a summary to show."""
    summary = shorten(plain(entry.summary), MAX_EXCERPT)
    title = shorten(plain(entry.title), MAX_TITLE) or shorten(summary, 120)
    if not title:
        return None
    web_url = canonical_url(entry.link)
    published = (
        entry.published if entry.published and EARLIEST <= entry.published <= fetched + timedelta(hours=1) else fetched
    )
    topics = _unique([*spec.topics, *matcher.topics_in(f"{title}\n{summary}")])
    domain = normalize_domain(urlsplit(web_url).hostname or "")
    provider: dict[str, object] = {"name": spec.name or plain(feed.title) or domain, "domain": domain}
    if feed.logo and (logo := _sized(feed.logo, sizes)):
        provider["images"] = [logo]
    fields: dict[str, object] = {
        "title": title,
        "excerpt": summary,
        "publishedDateTime": published.astimezone(timezone.utc),
        "webUrl": web_url,
        "type": "video" if entry.video else "article",
        "published": True,
        "provider": provider,
    }
    if topics:
        fields["topics"] = topics
    images = [image for picture in entry.pictures if (image := _sized(picture, sizes))]
    if images:
        fields["images"] = images
    slug = slugify(title) or "article"
    return Draft(
        url_key(web_url), entry.id, f"{published.astimezone(timezone.utc):%Y-%m-%d}-{slug}.md", front_matter(fields)
    )


def _sized(picture: FeedPicture, sizes: Mapping[str, tuple[int, int]]) -> dict[str, object] | None:
    """An image as the crawler writes it; the build needs both sides (else the page shifts as it loads)."""
    url = clean_url(picture.url, allow_relative=False)
    width, height = (
        (picture.width, picture.height) if picture.width and picture.height else sizes.get(picture.url, (0, 0))
    )
    if url is None or not width or not height:
        return None
    return {"url": url, "width": width, "height": height}


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for name in names:
        seen.setdefault(slugify(name), name)
    return [name for slug, name in seen.items() if slug]


def front_matter(fields: Mapping[str, object]) -> str:
    """The crawler's layout: one key per line, strings double-quoted, times as ``2026-12-01T10:00:00Z``."""
    return "---\n" + "".join(_lines(key, value, "") for key, value in fields.items()) + "---\n"


def _lines(key: str, value: object, indent: str) -> str:
    if isinstance(value, Mapping):
        return f"{indent}{key}:\n" + "".join(_lines(k, v, indent + "  ") for k, v in value.items())
    if isinstance(value, list):
        out = [f"{indent}{key}:\n"]
        for item in value:
            if isinstance(item, Mapping):
                pairs = [_lines(k, v, indent + "    ") for k, v in item.items()]
                out.append(f"{indent}  - {pairs[0].lstrip()}" + "".join(pairs[1:]))
            else:
                out.append(f"{indent}  - {_scalar(item)}\n")
        return "".join(out)
    return f"{indent}{key}: {_scalar(value)}\n"


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    # PyYAML's double-quoted style escapes whatever YAML needs escaped (quotes, backslashes, line separators).
    return yaml.safe_dump(str(value), default_style='"', allow_unicode=True, width=1_000_000).rstrip("\n")
