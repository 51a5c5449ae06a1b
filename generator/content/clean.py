"""Pure cleaning of untrusted crawler values: text, URLs and slugs.

Every function here is total: it returns a cleaned value (or ``None``) and
never raises on odd input, so callers decide what to report.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

_TAG = re.compile(r"<(?:[A-Za-z!/?][^<>]*)>", re.S)
_WHITESPACE = re.compile(r"\s+")
# C0/C1 control characters other than whitespace, and the unassigned XML-illegal ones.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
# Browsers ignore tabs and newlines inside URLs ("java\tscript:"), so we must too.
_URL_IGNORED = re.compile(r"[\x00-\x20\x7f]")
_WORD = re.compile(r"[^\W_]+")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
# The URLs feeds nearly always carry: lower-case http(s), a plain host name, no port or user, nothing the
# slow path would change (no "&" entity, space, control character or backslash). The slow path gives
# exactly these back unchanged (tests/unit/test_clean.py checks that).
_PLAIN_URL = re.compile(r"https?://[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?:[/?#][!#-%'-\[\]-~]*)?")

MAX_SLUG_LENGTH = 80
MAX_TITLE = 300  # characters of a headline: a longer one is cut (it would fill every list, feed and e-mail)
MAX_EXCERPT = 2_000  # characters of an excerpt as read (fetch writes shorter ones)
EARLIEST = datetime(1000, 1, 1, tzinfo=timezone.utc)  # dates a site can show: days, weeks and time zones around
LATEST = datetime(8999, 12, 31, 23, 59, 59, tzinfo=timezone.utc)  # them stay inside what datetime can hold
MAX_NAME_BYTES = 200  # file systems allow 255 bytes per name; leave room for "-2" suffixes


def clean_text(value: object) -> tuple[str, bool]:
    """Plain text from a feed field: tags stripped, entities decoded, mojibake repaired.

    Returns the text and whether a mojibake repair changed it.
    """
    text = "" if value is None or isinstance(value, bytes) else str(value)  # !!binary is never text
    if text.isascii() and text.isprintable() and "  " not in text and "<" not in text and "&" not in text:
        return text.strip(), False  # most values: nothing below would change them
    if "<" in text:
        text = _TAG.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    text = _CONTROL.sub("", text)  # before ftfy, so that "repaired" means mojibake only
    repaired = False
    if not text.isascii():
        fixed = _fix_mojibake(text)
        repaired = fixed != text
        text = fixed
    return _WHITESPACE.sub(" ", text).strip(), repaired


# A wire story's leading photo credit and dateline: "REUTERS/A Name/File Photo Feb 24 (Reuters) - ",
# "CHICAGO (WLS) -- ", "(Bloomberg) --", "DUBLIN--(BUSINESS WIRE)--", "SPRINGFIELD, Mass. — ". A place is in
# capitals (five letters at least when nothing else marks it, so "NASA -" or "AI -" stay); the agency is a
# short capitalised name in parentheses.
_CREDIT = r"(?:[A-Z][A-Za-z.&']+(?:/[A-Za-z][\w .&'-]*?)+\s+)?"
_PLACE = r"[A-Z][A-Z.'’]+(?:[ -][A-Z][A-Z.'’]+){0,3}(?:,\s+[A-Z][a-z]{1,9}\.?)?"
_DATE = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2}"
_AGENCY = r"\([A-Z][A-Za-z .&-]{1,29}\)"
_DASH = r"\s*(?:--|—|–|-)\s*"
_DATELINE = re.compile(
    rf"^{_CREDIT}(?:"
    # marked by a date or agency
    rf"{_PLACE},?\s+{_DATE}(?:\s*{_AGENCY})?|{_PLACE}\s*{_AGENCY}|(?:{_DATE}\s*)?{_AGENCY}"
    rf"|{_PLACE}{_DASH}{_AGENCY}"  # DUBLIN--(BUSINESS WIRE)
    rf"|[A-Z][A-Z.'’]{{4,}}(?:\s[A-Z][A-Z.'’]+){{0,3}}(?:,\s+[A-Z][a-z]{{1,9}}\.?)?"  # a place alone
    rf"){_DASH}(?=\S)"
)
MIN_LEFT = 20  # a "dateline" that leaves less than this is probably the text itself


def strip_dateline(text: str) -> str:
    """The text without a leading wire credit and dateline (reporters' conventions, not the story)."""
    match = _DATELINE.match(text)
    if match is None or len(text) - match.end() < MIN_LEFT:
        return text
    return text[match.end() :]


# Picture credits and licensing boilerplate that open an excerpt scraped from under a news photo: "Small toy
# figures are seen ... picture taken March 15. REUTERS/A Name/Illustration/File Photo Acquire Licensing Rights",
# "... on Tuesday - Copyright AFP FIRST LAST", "(Photo by A Name/Getty Images)". Everything up to the last one
# near the start is the caption, not the story.
_PICTURE_CREDIT = re.compile(
    r"REUTERS/[A-Z][\w'-]*(?: [A-Z][\w'-]*)?"
    r"(?:/(?:File Photo|Illustration|Pool|Handout|[A-Z][\w'-]*(?: [A-Z][\w'-]*)?))*"
    r"|Acquire Licensing Rights"
    r"|\((?:Photo|Image|Picture)s?(?: by|:| credit:?)[^()]{1,80}\)"
    r"|\b(?:AP|AFP) Photo/[A-Z][\w'-]*(?: [A-Z][\w'-]*)?(?:/File)?"
    r"|(?:\b(?:AFP|Reuters|Bloomberg|AP) via |/)Getty Images\b\)?"
    r"|Copyright (?:AFP|AP|Reuters)(?:\s+[A-Z][A-Z'-]*[A-Z](?=[\s,.]|[A-Z][a-z]))*"
    r"|\bFile Photo\b"
)
CREDIT_REACH = 400  # characters from the start within which a credit ends the caption
MIN_STORY_LEFT = 40  # what a credit must leave after it to be cut


def strip_picture_credits(text: str) -> str:
    """The text without a leading photo caption, picture credit or licensing line."""
    end = 0
    for match in _PICTURE_CREDIT.finditer(text, 0, min(len(text), CREDIT_REACH)):
        end = match.end()
    if not end or len(text) - end < MIN_STORY_LEFT:
        return text
    return text[end:].lstrip(" .,;:-–—|")


def clean_excerpt(text: str) -> str:
    """An excerpt as readers should get it: no photo caption or credit, no wire dateline before the story."""
    return strip_dateline(strip_picture_credits(text))


_C1_CONTROL = re.compile(r"[\x80-\x9f]")


def repair_document(text: str) -> tuple[str, int | None]:
    """Repair mojibake that YAML itself would refuse (its C1 control characters).

    Text decoded twice (UTF-8 read as Windows-1252) can hold characters such
    as U+009D, which no YAML parser accepts. ftfy turns them back into what was
    meant; any control character left is dropped. Returns the text and the
    1-based line of the first repair, or None if nothing needed repairing.
    """
    first = None if text.isascii() else _C1_CONTROL.search(text)
    if first is None:
        return text, None
    fixed = _C1_CONTROL.sub("", _fix_mojibake(text))
    return fixed, text.count("\n", 0, first.start()) + 1


def _fix_mojibake(text: str) -> str:
    # Imported here: ftfy takes a twentieth of a second to import, and plain-ASCII sites never need it.
    import ftfy

    return ftfy.fix_text(text, _ftfy_config())


@functools.cache
def _ftfy_config() -> Any:
    import ftfy

    return ftfy.TextFixerConfig(
        uncurl_quotes=False,  # the default straightens correct curly quotes
        fix_character_width=False,  # keep full-width CJK punctuation as written
        unescape_html=False,  # done before, with the stdlib
        explain=False,
    )


def clean_url(value: object, allow_relative: bool = True) -> str | None:
    """An http(s) URL or a site-relative path ("/x"), else ``None``.

    Protocol-relative URLs ("//host/x") are upgraded to https. Everything else
    (``javascript:``, ``data:``, relative paths, unparseable URLs) is refused.
    """
    if not isinstance(value, str):
        return None
    if _PLAIN_URL.fullmatch(value):
        return value
    return _checked_url(value, allow_relative)


def _checked_url(value: str, allow_relative: bool) -> str | None:
    url = _URL_IGNORED.sub("", html.unescape(value))
    if not url:
        return None
    if url.startswith("//"):
        url = "https:" + url
    if "\\" in url:
        return None  # browsers read "\" as "/", which hides schemes and hosts
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if _SCHEME.match(url):
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            return None
        try:
            parts.port  # noqa: B018 - the property raises on a malformed port
        except ValueError:
            return None
        return url
    if allow_relative and url.startswith("/"):
        return url
    return None


def shorten(text: str, limit: int) -> str:
    """``text`` cut at a word before ``limit`` characters, with an ellipsis, when it is longer."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:-–— ")
    return f"{cut}…"


def slugify(text: str, max_length: int = MAX_SLUG_LENGTH) -> str:
    """Lower-case words joined by "-": Latin accents folded, other scripts kept.

    The result never contains "/", "." or other path syntax, so it is safe as
    a folder name. It may be empty (e.g. for text that is only punctuation).
    """
    folded = text.lower()
    if not folded.isascii():
        decomposed = unicodedata.normalize("NFKD", text.casefold())
        folded = unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))
    words = _WORD.findall(folded)
    slug = "-".join(words)
    while len(slug) > max_length or len(slug.encode("utf-8")) > MAX_NAME_BYTES:
        cut = slug[: min(max_length, len(slug) - 1)]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else cut
        max_length = len(slug)
    return slug.strip("-")


def is_domain_fragment(name: str, domain: str) -> bool:
    """Whether an outlet's name is only a piece of its domain in lower case ("tech" for techstory.in,
    "shorenewsnetwork" for shorenewsnetwork.com): a crawler's guess, not the outlet's name ("Medium" is one)."""
    label = domain.rsplit(".", 1)[0].replace("-", "").replace(".", "")
    plain = name.replace("-", "").replace(" ", "")
    return bool(plain) and plain.isascii() and plain == plain.lower() and "." not in plain and plain in label


def normalize_domain(value: str) -> str:
    """ "www.Example.com" -> "example.com"; keeps only host characters."""
    host = value.strip().lower()
    if "//" in host:
        host = urlsplit(host).hostname or ""
    host = host.split("/")[0]
    if host.startswith("www."):
        host = host[4:]
    return re.sub(r"[^a-z0-9.\-]", "", host).strip(".-")
