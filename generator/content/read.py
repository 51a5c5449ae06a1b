"""One content file -> an :class:`Article`, or the problems that kept it out.

Every problem names the file and the line of the offending key. Values are
untrusted: text is cleaned, URLs are filtered to http(s)/site-relative, the
Markdown body is sanitised, and ``secured`` is dropped here, so no later step
can ever see it.
"""
from __future__ import annotations

import difflib
import functools
import hashlib
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any

from generator.content.clean import (
    EARLIEST,
    LATEST,
    MAX_EXCERPT,
    MAX_NAME_BYTES,
    MAX_TITLE,
    clean_excerpt,
    clean_text,
    clean_url,
    is_domain_fragment,
    normalize_domain,
    repair_document,
    shorten,
    slugify,
)
from generator.content.frontmatter import Document, FrontMatterError, duplicate_keys, split_document
from generator.content.markup import render_bounded
from generator.core.models import Article, Image, Problem, Provider, RelatedStory, Severity, TopicRef
from generator.core.words import words_of

# Fields we turn into typed attributes; anything else is kept in ``extra``.
# ``secured`` is listed so that it is never kept anywhere: it is simply not read.
KNOWN_FIELDS = {
    "title", "excerpt", "publishedDateTime", "updatedDateTime", "originalUrl", "webUrl",
    "type", "quality", "heat", "published", "category", "provider", "topics", "images",
    "related", "slug", "secured", "draft",
}
KNOWN_LOWER = {name.lower(): name for name in KNOWN_FIELDS}
# The crawler's own fields the site does not use: kept in ``extra`` like any other, and no typo of a known one.
CRAWLER_FIELDS = {"ampWebUrl", "cdnAmpWebUrl"}
MAX_IMAGE_SIDE = 20_000

_DATED_FILE_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}-.+")


@dataclass(frozen=True)
class ReadLimits:
    """Caps that keep one file from stalling or blowing up a build (``site.yaml`` can raise them), and
    whether to split headline and excerpt into story grouping's words while reading (in the reading
    workers: grouping, which compares them, runs in one process)."""

    max_topics: int = 50
    max_bytes: int = 2_000_000
    story_words: bool = False


@dataclass(frozen=True)
class ReadResult:
    article: Article | None
    problems: tuple[Problem, ...]
    digest: str = ""  # of the file's bytes: what a page fingerprint records, the same in every process


class _Reporter:
    """Collects problems for one file, locating them by top-level key."""

    def __init__(self, path: str, doc: Document | None = None) -> None:
        self.path = path
        self.doc = doc
        self.problems: list[Problem] = []

    def add(self, key: str, message: str, severity: Severity = "warning") -> None:
        line = self.doc.line_of(key) if self.doc else 1
        self.problems.append(Problem(self.path, line, message, severity))


def read_article(path: Path, source: str, tz: tzinfo, now: datetime | None = None,
                 limits: ReadLimits = ReadLimits()) -> ReadResult:
    try:
        # Non-blocking: a FIFO put where an article was must not hold the build (nor be read).
        with open(os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC), "rb") as file:
            status = os.fstat(file.fileno())
            if not stat.S_ISREG(status.st_mode):
                return ReadResult(None, (Problem(source, 1, "not a regular file (a FIFO, socket or device); skipped"),))
            size = status.st_size
            if size > limits.max_bytes:
                message = (f"file is {size:,} bytes, over the limit of {limits.max_bytes:,} "
                           "(max_article_bytes in site.yaml); left out")
                return ReadResult(None, (Problem(source, 1, message),))
            raw = file.read()
    except OSError as exc:
        return ReadResult(None, (Problem(source, 1, f"cannot read file: {exc.strerror}"),))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        return ReadResult(None, (Problem(source, line, f"not valid UTF-8 (byte {exc.start})"),))
    return replace(parse_article(text, source, tz, now, limits), digest=content_digest(raw))


def content_digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def parse_article(text: str, source: str, tz: tzinfo, now: datetime | None = None,
                  limits: ReadLimits = ReadLimits()) -> ReadResult:
    if "\r" in text:  # CRLF and old Mac CR-only files: every line end becomes "\n"
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text, repaired_line = repair_document(text)
    try:
        doc = split_document(text)
    except FrontMatterError as exc:
        return ReadResult(None, (Problem(source, exc.line, exc.message),))
    report = _Reporter(source, doc)
    if repaired_line is not None:
        report.problems.append(Problem(source, repaired_line, "repaired mis-decoded characters (mojibake) that YAML cannot read", "note"))
    for line, key in () if doc.unique_keys else duplicate_keys(doc.yaml_text, first_line=2):
        report.problems.append(Problem(source, line, f"duplicate key '{key}': only its last value is used", "warning"))
    data = doc.data

    title, _ = _text_field(data, "title", report, wrong_type="error", limit=MAX_TITLE)
    if not title and not isinstance(data.get("title"), (dict, list, bytes)):
        report.add("title", "missing or empty 'title'", "error")
    published = _datetime_field(data, "publishedDateTime", report, tz, required=True)
    if published and now and published > now + timedelta(days=2):
        report.add("publishedDateTime", f"publishedDateTime {published.isoformat()} is in the future")
    is_published = _published_flag(data, report)
    _unknown_key_problems(data, report)
    if not title or published is None or is_published is None:
        return ReadResult(None, tuple(report.problems))

    excerpt = clean_excerpt(_text_field(data, "excerpt", report, limit=MAX_EXCERPT)[0])
    web_url = _url_field(data, "webUrl", report)
    original_url = _url_field(data, "originalUrl", report)
    article = Article(
        source=source,
        slug=_wanted_slug(data, source, title, published, report),
        title=title,
        excerpt=excerpt,
        published=published,
        updated=_datetime_field(data, "updatedDateTime", report, tz, required=False),
        link=web_url or original_url,
        original_url=original_url,
        type=_text_field(data, "type", report)[0] or "article",
        category=_text_field(data, "category", report)[0],
        quality=_int_field(data, "quality", report),
        heat=_int_field(data, "heat", report),
        is_published=is_published,
        provider=_provider(data.get("provider"), "provider", report),
        topics=_topics(data.get("topics"), report, limits.max_topics),
        images=tuple(_images(data.get("images"), "images", report)),
        related=tuple(_related(data.get("related"), report)),
        body_html=_body_html(doc, report),
        extra={k: v for k, v in data.items() if k not in KNOWN_FIELDS},
        slug_line=doc.line_of("slug") if "slug" in data else 1,  # the opening fence, as line_of gives for a missing key
        story_words=words_of(title, excerpt) if limits.story_words else None,
    )
    return ReadResult(article, tuple(report.problems))


def _body_html(doc: Document, report: _Reporter) -> str:
    if not doc.body.strip():
        return ""
    html, cut = render_bounded(doc.body)
    if cut:
        report.problems.append(Problem(report.path, doc.body_line, "the body is too long or too dense with markup to "
                                       "parse in full; part of it is shown as plain text", "warning"))
    return html


def resolve_slug_collisions(articles: Iterable[Article]) -> tuple[list[Article], list[Problem]]:
    """Give every article a unique slug: the first by source path keeps it, others get -2, -3..."""
    taken: set[str] = set()
    result: list[Article] = []
    problems: list[Problem] = []
    ordered = sorted(articles, key=lambda a: a.source)
    wanted = {a.slug for a in ordered}
    for article in ordered:
        slug = article.slug
        if slug in taken:
            n = 2
            while f"{slug}-{n}" in taken or f"{slug}-{n}" in wanted:
                n += 1
            problems.append(Problem(article.source, article.slug_line, f"slug {slug!r} is already used; this article gets {slug}-{n!s}", "warning"))
            slug = f"{slug}-{n}"
            article = replace(article, slug=slug)
        taken.add(slug)
        result.append(article)
    return result, problems


# --- fields -------------------------------------------------------------------------


def _text_field(data: dict[str, Any], key: str, report: _Reporter, wrong_type: Severity = "warning",
                limit: int = 0) -> tuple[str, bool]:
    value = data.get(key)
    if isinstance(value, (dict, list, bytes)):
        kind = "binary data" if isinstance(value, bytes) else f"a {type(value).__name__}"
        report.add(key, f"'{key}' should be text, not {kind}", wrong_type)
        return "", False
    text, repaired = clean_text(value)
    if repaired:
        report.add(key, f"repaired mis-decoded characters (mojibake) in '{key}'", "note")
    if limit and len(text) > limit:
        report.add(key, f"'{key}' is {len(text):,} characters long; cut to {limit:,}")
        text = shorten(text, limit)
    return text, repaired


def _url_field(data: dict[str, Any], key: str, report: _Reporter, where: str | None = None) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    url = clean_url(value, allow_relative=False)
    if url is None:
        report.add(where or key, f"dropped unsafe or malformed URL in '{key}': {str(value)[:80]!r}")
    return url


def _datetime_field(data: dict[str, Any], key: str, report: _Reporter, tz: tzinfo, required: bool) -> datetime | None:
    value = data.get(key)
    if value is None or value == "":
        if required:
            report.add(key, f"missing '{key}'", "error")
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip())
        except ValueError:
            report.add(key, f"'{key}' is not an ISO 8601 date-time: {str(value)[:60]!r}", "error" if required else "warning")
            return None
    if moment.tzinfo is None:
        report.add(key, f"'{key}' has no time zone; assuming the site's")
        moment = moment.replace(tzinfo=tz)
    try:
        moment = moment.astimezone(timezone.utc)
    except OverflowError:
        moment = EARLIEST - timedelta(days=1)
    if not EARLIEST <= moment <= LATEST:
        report.add(key, f"'{key}' {str(value)[:40]!r} is out of range (years {EARLIEST.year} to {LATEST.year})",
                   "error" if required else "warning")
        return None
    return moment


def _int_field(data: dict[str, Any], key: str, report: _Reporter) -> int:
    value = data.get(key)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        report.add(key, f"'{key}' should be a number, got {value!r:.40}")
        return 0
    try:
        return int(float(value))
    except (ValueError, OverflowError):
        report.add(key, f"'{key}' should be a number, got {value!r:.40}")
        return 0


def _published_flag(data: dict[str, Any], report: _Reporter) -> bool | None:
    """``published: false`` (the crawler's) or ``draft: true`` (Hugo's and Zola's) keep an article off the site;
    None (an error) when either is not a boolean or they disagree."""
    flags = {key: data[key] for key in ("published", "draft") if key in data and data[key] is not None}
    for key, value in flags.items():
        if not isinstance(value, bool):
            report.add(key, f"'{key}' must be true or false, got {value!r:.40}; the article is left out", "error")
            return None
    if flags.get("published") is True and flags.get("draft") is True:
        report.add("draft", "'draft: true' contradicts 'published: true'; remove one", "error")
        return None
    return bool(flags.get("published", True)) and not flags.get("draft", False)


def _unknown_key_problems(data: dict[str, Any], report: _Reporter) -> None:
    """A key the site does not read that looks like one it does (``publshed``) is probably a typo: say so."""
    for key in data:
        if key not in KNOWN_FIELDS and key not in CRAWLER_FIELDS and isinstance(key, str):
            close = difflib.get_close_matches(key.lower(), KNOWN_LOWER, n=1, cutoff=0.8)
            if close:
                report.add(key, f"unknown field '{key}' is ignored; did you mean '{KNOWN_LOWER[close[0]]}'?")


def _wanted_slug(data: dict[str, Any], source: str, title: str, published: datetime, report: _Reporter) -> str:
    explicit = data.get("slug")
    if explicit is not None:
        slug = slugify(str(explicit))
        if slug:
            return slug
        report.add("slug", f"'slug' {str(explicit)[:40]!r} has no usable characters; deriving one")
    stem = Path(source).stem
    if _DATED_FILE_NAME.match(stem) and (from_name := slugify(stem, max_length=MAX_NAME_BYTES)):
        return from_name
    # The UTC date keeps URLs stable even if the site's display time zone changes.
    return f"{published:%Y-%m-%d}-{slugify(title) or 'article'}"


def _provider(value: Any, key: str, report: _Reporter) -> Provider | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        report.add(key, f"'{key}' should be a mapping with name and domain")
        return None
    name, _ = clean_text(value.get("name"))
    domain = normalize_domain(str(value.get("domain") or ""))
    provider_key = domain or slugify(name)
    if not provider_key:
        report.add(key, f"'{key}' has neither a usable name nor a domain")
        return None
    logos = _images(value.get("images"), key, report)
    if name and domain and is_domain_fragment(name, domain):
        name = domain  # "tech" for techstory.in says less than the domain (metadata, when there is some, names it)
    return _shared_provider(provider_key, name or domain, domain, pick_logo(logos))


# An outlet and a topic repeat across thousands of articles: one object each (per process) keeps the
# articles small in memory, in the forked workers' results and in the build cache.
@functools.lru_cache(maxsize=4096)
def _shared_provider(key: str, name: str, domain: str, logo: Image | None) -> Provider:
    return Provider(key=key, name=name, domain=domain, logo=logo)


@functools.lru_cache(maxsize=4096)
def _shared_topic(slug: str, name: str) -> TopicRef:
    return TopicRef(slug=slug, name=name)


def pick_logo(images: list[Image]) -> Image | None:
    """The smallest logo that is still at least 40 px wide, else the first."""
    usable = sorted((i for i in images if i.width >= 40), key=lambda i: i.width)
    return usable[0] if usable else (images[0] if images else None)


def _topics(value: Any, report: _Reporter, limit: int) -> tuple[TopicRef, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        report.add("topics", "'topics' should be a list; reading it as one topic")
        value = [value]
    if not isinstance(value, list):
        report.add("topics", f"'topics' should be a list, not a {type(value).__name__}")
        return ()
    refs: dict[str, TopicRef] = {}
    for item in value:
        name, _ = clean_text(item) if isinstance(item, (str, int, float)) else ("", False)
        slug = slugify(name)
        if not slug:
            report.add("topics", f"ignored topic {str(item)[:40]!r}: no usable name")
        elif slug in refs:
            report.add("topics", f"topic {name!r} repeats {refs[slug].name!r}", "note")
        elif len(refs) == limit:
            report.add("topics", f"only the first {limit} topics are used (max_topics_per_article in site.yaml)")
            break
        else:
            refs[slug] = _shared_topic(slug, name)
    return tuple(refs.values())


def _images(value: Any, key: str, report: _Reporter) -> list[Image]:
    if value is None:
        return []
    if isinstance(value, dict):
        report.add(key, f"'{key}' should be a list; reading it as one image")
        value = [value]
    if not isinstance(value, list):
        report.add(key, f"'{key}' should be a list of images")
        return []
    images = []
    for item in value:
        image = _image(item, key, report)
        if image:
            images.append(image)
    return images


def _image(item: Any, key: str, report: _Reporter) -> Image | None:
    image = sized_image(item)
    if image is not None:
        return image
    if not isinstance(item, dict):
        report.add(key, f"ignored an image in '{key}': expected a mapping with url, width, height")
    elif clean_url(item.get("url")) is None:
        report.add(key, f"dropped an image in '{key}' with an unsafe or malformed URL: {str(item.get('url'))[:80]!r}")
    else:
        # Without both sides the page would shift while loading, so the image is left out.
        report.add(key, f"dropped image {str(item.get('url'))[:80]!r} in '{key}': width and height must be whole numbers from 1 to {MAX_IMAGE_SIDE}")
    return None


def sized_image(item: Any) -> Image | None:
    """An image mapping with a safe URL and both sides in range, else None (articles and metadata alike)."""
    if not isinstance(item, dict):
        return None
    url = clean_url(item.get("url"))
    width, height = _side(item.get("width")), _side(item.get("height"))
    if url is None or width is None or height is None:
        return None
    return Image(url=url, width=width, height=height, title=clean_text(item.get("title"))[0],
                 attribution=clean_text(item.get("attribution"))[0])


def _side(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_IMAGE_SIDE else None


def _related(value: Any, report: _Reporter) -> list[RelatedStory]:
    if value is None:
        return []
    if not isinstance(value, list):
        report.add("related", "'related' should be a list of stories")
        return []
    stories = []
    for item in value:
        if not isinstance(item, dict):
            report.add("related", "ignored a 'related' entry that is not a mapping")
            continue
        title, repaired = clean_text(item.get("title"))
        excerpt, excerpt_repaired = clean_text(item.get("excerpt"))
        title, excerpt = shorten(title, MAX_TITLE), shorten(clean_excerpt(excerpt), MAX_EXCERPT)
        if repaired or excerpt_repaired:
            report.add("related", "repaired mis-decoded characters (mojibake) in a 'related' entry", "note")
        if not title:
            report.add("related", "ignored a 'related' entry without a title")
            continue
        url = _url_field(item, "webUrl", report, "related") or _url_field(item, "originalUrl", report, "related")
        images = _images(item.get("images"), "related", report)
        stories.append(RelatedStory(
            title=title, url=url, excerpt=excerpt,
            published=_datetime_field(item, "publishedDateTime", report, timezone.utc, required=False),
            provider=_provider(item.get("provider"), "related", report),
            image=images[0] if images else None,
        ))
    return stories
