"""One content file -> an :class:`Article`, or the problems that kept it out.

Every problem names the file and the line of the offending key. Values are
untrusted: text is cleaned, URLs are filtered to http(s)/site-relative, the
Markdown body is sanitised, and ``secured`` is dropped here, so no later step
can ever see it.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from generator.content.clean import (
    MAX_EXCERPT,
    MAX_NAME_BYTES,
    MAX_TITLE,
    clean_excerpt,
    repair_document,
    slugify,
)
from generator.content.fields import (
    Reporter,
    datetime_field,
    images_field,
    int_field,
    provider_field,
    published_flag,
    related_field,
    text_field,
    topics_field,
    url_field,
)
from generator.content.frontmatter import Document, FrontMatterError, duplicate_keys, split_document
from generator.content.markup import render_bounded
from generator.core.models import Article, Problem, SiteConfig
from generator.core.words import words_of

# Fields we turn into typed attributes; anything else is kept in ``extra``.
# ``secured`` is listed so that it is never kept anywhere: it is simply not read.
KNOWN_FIELDS = {
    "title",
    "excerpt",
    "publishedDateTime",
    "updatedDateTime",
    "originalUrl",
    "webUrl",
    "type",
    "quality",
    "heat",
    "published",
    "category",
    "provider",
    "topics",
    "images",
    "related",
    "slug",
    "secured",
    "draft",
}
KNOWN_LOWER = {name.lower(): name for name in KNOWN_FIELDS}
# The crawler's own fields the site does not use: kept in ``extra`` like any other, and no typo of a known one.
CRAWLER_FIELDS = {"ampWebUrl", "cdnAmpWebUrl"}

_DATED_FILE_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}-.+")


@dataclass(frozen=True)
class ReadLimits:
    """Caps that keep one file from stalling or blowing up a build (``site.yaml`` can raise them), and
    whether to split headline and excerpt into story grouping's words while reading (in the reading
    workers: grouping, which compares them, runs in one process)."""

    max_topics: int = 50
    max_bytes: int = 2_000_000
    story_words: bool = False


def read_limits(config: SiteConfig) -> ReadLimits:
    return ReadLimits(
        max_topics=config.max_topics_per_article,
        max_bytes=config.max_article_bytes,
        story_words=config.stories.enabled,
    )


@dataclass(frozen=True)
class ReadResult:
    article: Article | None
    problems: tuple[Problem, ...]
    digest: str = ""  # of the file's bytes: what a page fingerprint records, the same in every process


def read_article(
    path: Path, source: str, tz: tzinfo, now: datetime | None = None, limits: ReadLimits = ReadLimits()
) -> ReadResult:
    try:
        # Non-blocking: a FIFO put where an article was must not hold the build (nor be read).
        with open(os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC), "rb") as file:
            status = os.fstat(file.fileno())
            if not stat.S_ISREG(status.st_mode):
                return ReadResult(None, (Problem(source, 1, "not a regular file (a FIFO, socket or device); skipped"),))
            size = status.st_size
            if size > limits.max_bytes:
                message = (
                    f"file is {size:,} bytes, over the limit of {limits.max_bytes:,} "
                    "(max_article_bytes in site.yaml); left out"
                )
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


def parse_article(
    text: str, source: str, tz: tzinfo, now: datetime | None = None, limits: ReadLimits = ReadLimits()
) -> ReadResult:
    if "\r" in text:  # CRLF and old Mac CR-only files: every line end becomes "\n"
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text, repaired_line = repair_document(text)
    try:
        doc = split_document(text)
    except FrontMatterError as exc:
        return ReadResult(None, (Problem(source, exc.line, exc.message),))
    report = Reporter(source, doc)
    if repaired_line is not None:
        report.problems.append(
            Problem(source, repaired_line, "repaired mis-decoded characters (mojibake) that YAML cannot read", "note")
        )
    for line, key in () if doc.unique_keys else duplicate_keys(doc.yaml_text, first_line=2):
        report.problems.append(Problem(source, line, f"duplicate key '{key}': only its last value is used", "warning"))
    data = doc.data

    title, _ = text_field(data, "title", report, wrong_type="error", limit=MAX_TITLE)
    if not title and not isinstance(data.get("title"), (dict, list, bytes)):
        report.add("title", "missing or empty 'title'", "error")
    published = datetime_field(data, "publishedDateTime", report, tz, required=True)
    if published and now and published > now + timedelta(days=2):
        report.add("publishedDateTime", f"publishedDateTime {published.isoformat()} is in the future")
    is_published = published_flag(data, report)
    _unknown_key_problems(data, report)
    if not title or published is None or is_published is None:
        return ReadResult(None, tuple(report.problems))

    excerpt = clean_excerpt(text_field(data, "excerpt", report, limit=MAX_EXCERPT)[0])
    web_url = url_field(data, "webUrl", report)
    original_url = url_field(data, "originalUrl", report)
    article = Article(
        source=source,
        slug=_wanted_slug(data, source, title, published, report),
        title=title,
        excerpt=excerpt,
        published=published,
        updated=datetime_field(data, "updatedDateTime", report, tz, required=False),
        link=web_url or original_url,
        original_url=original_url,
        type=text_field(data, "type", report)[0] or "article",
        category=text_field(data, "category", report)[0],
        quality=int_field(data, "quality", report),
        heat=int_field(data, "heat", report),
        is_published=is_published,
        provider=provider_field(data.get("provider"), "provider", report),
        topics=topics_field(data.get("topics"), report, limits.max_topics),
        images=tuple(images_field(data.get("images"), "images", report)),
        related=tuple(related_field(data.get("related"), report)),
        body_html=_body_html(doc, report),
        extra={k: v for k, v in data.items() if k not in KNOWN_FIELDS},
        slug_line=doc.line_of("slug") if "slug" in data else 1,  # the opening fence, as line_of gives for a missing key
        story_words=words_of(title, excerpt) if limits.story_words else None,
    )
    return ReadResult(article, tuple(report.problems))


def _body_html(doc: Document, report: Reporter) -> str:
    if not doc.body.strip():
        return ""
    html, cut = render_bounded(doc.body)
    if cut:
        report.problems.append(
            Problem(
                report.path,
                doc.body_line,
                "the body is too long or too dense with markup to parse in full; part of it is shown as plain text",
                "warning",
            )
        )
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
            problems.append(
                Problem(
                    article.source,
                    article.slug_line,
                    f"slug {slug!r} is already used; this article gets {slug}-{n!s}",
                    "warning",
                )
            )
            slug = f"{slug}-{n}"
            article = replace(article, slug=slug)
        taken.add(slug)
        result.append(article)
    return result, problems


# --- fields -------------------------------------------------------------------------


def _unknown_key_problems(data: dict[str, Any], report: Reporter) -> None:
    """A key the site does not read that looks like one it does (``publshed``) is probably a typo: say so."""
    for key in data:
        if key not in KNOWN_FIELDS and key not in CRAWLER_FIELDS and isinstance(key, str):
            close = difflib.get_close_matches(key.lower(), KNOWN_LOWER, n=1, cutoff=0.8)
            if close:
                report.add(key, f"unknown field '{key}' is ignored; did you mean '{KNOWN_LOWER[close[0]]}'?")


def _wanted_slug(data: dict[str, Any], source: str, title: str, published: datetime, report: Reporter) -> str:
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
