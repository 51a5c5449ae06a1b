"""A fetched body -> its entries: RSS 0.9x/1.0/2.0 and Atom with feedparser, JSON Feed with ``json``.

Values stay as the feed gave them (HTML, odd URLs); :mod:`.entries` cleans
them, so that a hostile value meets one set of rules whatever format carried it.
"""

from __future__ import annotations

import calendar
import io
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urljoin
from xml.sax import SAXException

import feedparser

from generator.content.clean import clean_url

# feedparser reads the whole document; a DOCTYPE declaring entities is how "billion laughs" starts, and no
# real feed needs one. expat refuses the expansion too; this refuses it before any parser runs.
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.I)
_JSON_FEED_VERSION = "https://jsonfeed.org/version/"
_HTML_PAGE = re.compile(rb"\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)[\s>]", re.I | re.S)


class FeedError(Exception):
    """A body that is not a feed we can read; ``str()`` is the reason."""


@dataclass(frozen=True)
class FeedPicture:
    url: str
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class FeedEntry:
    id: str
    link: str  # absolute, http(s)
    title: str  # may hold HTML
    summary: str  # may hold HTML
    published: datetime | None
    pictures: tuple[FeedPicture, ...] = ()
    video: bool = False


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    home: str
    logo: FeedPicture | None
    entries: tuple[FeedEntry, ...]
    warning: str = ""  # e.g. recovered from XML that is not well-formed


def parse_feed(body: bytes, url: str, content_type: str = "") -> ParsedFeed:
    head = body[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"{") or "json" in content_type.lower():
        return _json_feed(body, url)
    if _ENTITY_DECLARATION.search(body[:65536]):
        raise FeedError("declares XML entities (refused: entity expansion)")
    return _xml_feed(body, url, content_type)


def _xml_feed(body: bytes, url: str, content_type: str) -> ParsedFeed:
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    parsed = feedparser.parse(
        io.BytesIO(body), response_headers=headers, sanitize_html=True, resolve_relative_uris=True
    )
    problem = parsed.get("bozo_exception")
    malformed = problem is not None and isinstance(problem, SAXException)
    entries = tuple(entry for item in parsed.entries[:10_000] if (entry := _xml_entry(item, url)))
    if not entries and (_HTML_PAGE.match(body[:1024]) or "html" in content_type.lower()):
        raise FeedError("an HTML page, not a feed")
    if not entries and malformed and body.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        raise FeedError(f"malformed XML ({_first_line(problem)})")
    if not entries and not parsed.get("version"):
        raise FeedError("not an RSS, Atom or JSON feed")
    warning = f"not well-formed XML ({_first_line(problem)}); read what could be recovered" if malformed else ""
    feed = parsed.feed
    return ParsedFeed(
        title=str(feed.get("title") or ""),
        home=str(feed.get("link") or ""),
        logo=_xml_logo(feed, url),
        entries=entries,
        warning=warning,
    )


def _first_line(problem: object) -> str:
    return str(problem).splitlines()[0][:160] if problem else "unknown error"


def _xml_logo(feed: Any, base: str) -> FeedPicture | None:
    image = feed.get("image") or {}
    for candidate, width, height in (
        (image.get("href") or image.get("url"), image.get("width"), image.get("height")),
        (feed.get("logo"), None, None),
        (feed.get("icon"), None, None),
    ):
        if candidate and (url := clean_url(urljoin(base, str(candidate)), allow_relative=False)):
            return FeedPicture(url, _number(width), _number(height))
    return None


def _xml_entry(item: Any, base: str) -> FeedEntry | None:
    link = clean_url(urljoin(base, str(item.get("link") or "")), allow_relative=False) if item.get("link") else None
    if link is None:
        return None
    summary = item.get("summary") or ""
    if not summary and item.get("content"):
        summary = item["content"][0].get("value") or ""
    when = item.get("published_parsed") or item.get("updated_parsed")
    pictures: list[FeedPicture] = []
    video = False
    for media in list(item.get("media_content") or []) + list(item.get("media_thumbnail") or []):
        medium = str(media.get("medium") or "")
        kind = str(media.get("type") or "")
        if medium == "video" or kind.startswith("video/"):
            video = True
        elif medium in ("", "image") and (not kind or kind.startswith("image/")):
            _add_picture(pictures, media.get("url"), base, media.get("width"), media.get("height"))
    for enclosure in item.get("enclosures") or []:
        kind = str(enclosure.get("type") or "")
        if kind.startswith("image/"):
            _add_picture(pictures, enclosure.get("href") or enclosure.get("url"), base)
        elif kind.startswith("video/"):
            video = True
    return FeedEntry(
        id=str(item.get("id") or item.get("guid") or ""),
        link=link,
        title=str(item.get("title") or ""),
        summary=str(summary),
        published=_feed_time(when),
        pictures=tuple(pictures),
        video=video,
    )


def _add_picture(
    pictures: list[FeedPicture], raw: object, base: str, width: object = None, height: object = None
) -> None:
    if not raw:
        return
    url = clean_url(urljoin(base, str(raw)), allow_relative=False)
    if url and all(p.url != url for p in pictures):
        pictures.append(FeedPicture(url, _number(width), _number(height)))


def _number(value: object) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _json_feed(body: bytes, url: str) -> ParsedFeed:
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise FeedError(f"malformed JSON ({str(exc)[:120]})") from None
    if not isinstance(data, dict) or not str(data.get("version") or "").startswith(_JSON_FEED_VERSION):
        raise FeedError("JSON, but not a JSON Feed (no https://jsonfeed.org/version/ 'version')")
    items = data.get("items")
    if not isinstance(items, list):
        raise FeedError("JSON Feed without an 'items' list")
    home = str(data.get("home_page_url") or "")
    logo = None
    for key in ("icon", "favicon"):
        if isinstance(data.get(key), str) and (logo_url := clean_url(urljoin(url, data[key]), allow_relative=False)):
            logo = FeedPicture(logo_url)
            break
    entries = tuple(entry for item in items[:10_000] if isinstance(item, dict) and (entry := _json_entry(item, url)))
    return ParsedFeed(title=_json_text(data.get("title")), home=home, logo=logo, entries=entries)


def _json_entry(item: dict[str, Any], base: str) -> FeedEntry | None:
    raw_link = item.get("url") or item.get("external_url")
    link = clean_url(urljoin(base, raw_link), allow_relative=False) if isinstance(raw_link, str) else None
    if link is None:
        return None
    pictures: list[FeedPicture] = []
    for key in ("image", "banner_image"):
        _add_picture(pictures, item.get(key) if isinstance(item.get(key), str) else None, base)
    video = False
    attachments = item.get("attachments")
    for attachment in attachments if isinstance(attachments, list) else []:
        if not isinstance(attachment, dict):
            continue
        kind = str(attachment.get("mime_type") or "")
        if kind.startswith("image/"):
            _add_picture(pictures, attachment.get("url"), base)
        elif kind.startswith("video/"):
            video = True
    summary = next(
        (text for key in ("summary", "content_text", "content_html") if (text := _json_text(item.get(key)))), ""
    )
    return FeedEntry(
        id=_json_text(item.get("id")),
        link=link,
        title=_json_text(item.get("title")),
        summary=summary,
        published=_json_time(item.get("date_published")) or _json_time(item.get("date_modified")),
        pictures=tuple(pictures),
        video=video,
    )


def _json_text(value: object) -> str:
    """A JSON Feed string field: a string (an id may be a number); an object or a list is no text at all."""
    if isinstance(value, str):
        return value
    return str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else ""


def _json_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.strip())
        return (when if when.tzinfo else when.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
    except (ValueError, OverflowError):  # year 1 in a time zone east of UTC, or no date at all
        return None


def _feed_time(when: Any) -> datetime | None:
    """feedparser's parsed time (a UTC struct_time), or None when there is none a site could show."""
    try:
        return datetime.fromtimestamp(calendar.timegm(when), timezone.utc) if when else None
    except (ValueError, OverflowError, OSError, TypeError):
        return None
