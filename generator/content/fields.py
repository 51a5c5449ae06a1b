"""Pure: the nested values of an article's front matter (its outlet, topics, pictures and related coverage),
each checked, cleaned and reported as ``file:line: message`` when it cannot be used."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any

from generator.content.clean import (
    EARLIEST,
    LATEST,
    MAX_EXCERPT,
    MAX_TITLE,
    clean_excerpt,
    clean_text,
    clean_url,
    is_domain_fragment,
    normalize_domain,
    shorten,
    slugify,
)
from generator.content.frontmatter import Document
from generator.core.models import (
    Image,
    Problem,
    Provider,
    RelatedStory,
    Severity,
    TopicRef,
    shared_provider,
    shared_topic,
)

MAX_IMAGE_SIDE = 20_000


class Reporter:
    """Collects problems for one file, locating them by top-level key."""

    def __init__(self, path: str, doc: Document | None = None) -> None:
        self.path = path
        self.doc = doc
        self.problems: list[Problem] = []

    def add(self, key: str, message: str, severity: Severity = "warning") -> None:
        line = self.doc.line_of(key) if self.doc else 1
        self.problems.append(Problem(self.path, line, message, severity))


def text_field(
    data: dict[str, Any], key: str, report: Reporter, wrong_type: Severity = "warning", limit: int = 0
) -> tuple[str, bool]:
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


def url_field(data: dict[str, Any], key: str, report: Reporter, where: str | None = None) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    url = clean_url(value, allow_relative=False)
    if url is None:
        report.add(where or key, f"dropped unsafe or malformed URL in '{key}': {str(value)[:80]!r}")
    return url


def datetime_field(data: dict[str, Any], key: str, report: Reporter, tz: tzinfo, required: bool) -> datetime | None:
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
            report.add(
                key, f"'{key}' is not an ISO 8601 date-time: {str(value)[:60]!r}", "error" if required else "warning"
            )
            return None
    if moment.tzinfo is None:
        report.add(key, f"'{key}' has no time zone; assuming the site's")
        moment = moment.replace(tzinfo=tz)
    try:
        moment = moment.astimezone(timezone.utc)
    except OverflowError:
        moment = EARLIEST - timedelta(days=1)
    if not EARLIEST <= moment <= LATEST:
        report.add(
            key,
            f"'{key}' {str(value)[:40]!r} is out of range (years {EARLIEST.year} to {LATEST.year})",
            "error" if required else "warning",
        )
        return None
    return moment


def int_field(data: dict[str, Any], key: str, report: Reporter) -> int:
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


def published_flag(data: dict[str, Any], report: Reporter) -> bool | None:
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


def provider_field(value: Any, key: str, report: Reporter) -> Provider | None:
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
    logos = images_field(value.get("images"), key, report)
    if name and domain and is_domain_fragment(name, domain):
        name = domain  # "tech" for techstory.in says less than the domain (metadata, when there is some, names it)
    return shared_provider(provider_key, name or domain, domain, pick_logo(logos))


def pick_logo(images: list[Image]) -> Image | None:
    """The smallest logo that is still at least 40 px wide, else the first."""
    usable = sorted((i for i in images if i.width >= 40), key=lambda i: i.width)
    return usable[0] if usable else (images[0] if images else None)


def topics_field(value: Any, report: Reporter, limit: int) -> tuple[TopicRef, ...]:
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
            refs[slug] = shared_topic(slug, name)
    return tuple(refs.values())


def images_field(value: Any, key: str, report: Reporter) -> list[Image]:
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


def _image(item: Any, key: str, report: Reporter) -> Image | None:
    image = sized_image(item)
    if image is not None:
        return image
    if not isinstance(item, dict):
        report.add(key, f"ignored an image in '{key}': expected a mapping with url, width, height")
    elif clean_url(item.get("url")) is None:
        report.add(key, f"dropped an image in '{key}' with an unsafe or malformed URL: {str(item.get('url'))[:80]!r}")
    else:
        # Without both sides the page would shift while loading, so the image is left out.
        report.add(
            key,
            f"dropped image {str(item.get('url'))[:80]!r} in '{key}': "
            f"width and height must be whole numbers from 1 to {MAX_IMAGE_SIDE}",
        )
    return None


def sized_image(item: Any) -> Image | None:
    """An image mapping with a safe URL and both sides in range, else None (articles and metadata alike)."""
    if not isinstance(item, dict):
        return None
    url = clean_url(item.get("url"))
    width, height = _side(item.get("width")), _side(item.get("height"))
    if url is None or width is None or height is None:
        return None
    return Image(
        url=url,
        width=width,
        height=height,
        title=clean_text(item.get("title"))[0],
        attribution=clean_text(item.get("attribution"))[0],
    )


def _side(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_IMAGE_SIDE else None


def related_field(value: Any, report: Reporter) -> list[RelatedStory]:
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
        url = url_field(item, "webUrl", report, "related") or url_field(item, "originalUrl", report, "related")
        images = images_field(item.get("images"), "related", report)
        stories.append(
            RelatedStory(
                title=title,
                url=url,
                excerpt=excerpt,
                published=datetime_field(item, "publishedDateTime", report, timezone.utc, required=False),
                provider=provider_field(item.get("provider"), "related", report),
                image=images[0] if images else None,
            )
        )
    return stories
