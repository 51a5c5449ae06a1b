"""Markdown bodies -> sanitised HTML, in time that grows with the body's length, never its square.

Python-Markdown passes raw HTML (including ``<script>``) straight through, so
its output always goes through nh3's allowlist sanitizer.

Python-Markdown takes about a second per megabyte of ordinary text, rebuilds
a block's text once per inline match and rescans it once per opening ``[`` or
``<`` (links, images, references, autolinks, raw HTML), so one block dense with
markup costs seconds, and deep indentation recurses once per list level.
Untrusted bodies are bounded before rendering (:func:`bounded`):

- only the first :data:`MARKDOWN_BLOCKS` blocks (text between blank lines) or
  :data:`MARKDOWN_CHARS` characters are parsed; the rest is shown as plain
  paragraphs (a news body is a few dozen blocks);
- a block with more than :data:`BRACKETS_PER_BLOCK` brackets or
  :data:`MARKS_PER_BLOCK` inline marks is shown as plain text;
- indentation is cut to :data:`MAX_INDENT` columns.

Any body then renders in well under a second. Abbreviations (part of "extra")
are left out: each definition is a pattern run over the whole body, and a news
body has no use for them.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from html import escape as html_escape

import markdown
import nh3

from generator.content.clean import clean_url

_ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "small",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height", "loading", "decoding"},
    "abbr": {"title"},
    "td": {"align"},
    "th": {"align"},
}
_EXTENSIONS = ["attr_list", "def_list", "fenced_code", "footnotes", "md_in_html", "tables", "sane_lists"]

MARKDOWN_BLOCKS = 1_000  # blocks parsed as Markdown; later ones are plain text
MARKDOWN_CHARS = 200_000  # and characters
BRACKETS_PER_BLOCK = 64  # "[" or "<" in one block that may be parsed as Markdown
MARKS_PER_BLOCK = 1_000  # characters that may start inline markup, in one block
MAX_INDENT = 48  # columns of indentation kept (twelve list levels)
_BLOCKS = re.compile(r"\n[ \t]*\n")
_BRACKET = re.compile(r"[\[<]")
_MARK = re.compile(r"[\[\]<>&*_`\\!~]")
_DEEP_INDENT = re.compile(rf"^[ \t]{{{MAX_INDENT + 1},}}", re.M)


@dataclass(frozen=True)
class Bounded:
    """A body made safe to parse: the Markdown to parse, the blocks its tokens stand for, the plain tail."""

    markdown: str
    plain: dict[str, str]
    tail: list[str]

    @property
    def cut(self) -> bool:
        return bool(self.plain or self.tail)


def render_markdown(text: str) -> str:
    html, _cut = render_bounded(text)
    return html


def render_bounded(text: str) -> tuple[str, bool]:
    """The body as sanitised HTML, and whether some of it had to be shown as plain text."""
    parts = bounded(text)
    try:
        html = sanitize_html(markdown.markdown(parts.markdown, extensions=_EXTENSIONS, output_format="html"))
    except RecursionError:  # a nesting the bounds did not foresee: the whole body as text
        return _as_text(text), True
    # Plain text is escaped here and joins the sanitised HTML afterwards (the sanitiser is slow on dense entities).
    if parts.plain:
        tokens = re.compile(r"(?:<p>)?(" + "|".join(parts.plain) + r")(?:</p>)?")
        html = tokens.sub(lambda match: _as_text(parts.plain[match.group(1)]), html)
    html += "".join(_as_text(block) for block in parts.tail)
    return html, parts.cut


def bounded(text: str) -> Bounded:
    """``text`` split as :func:`render_bounded` renders it (see the module's docstring)."""
    if _DEEP_INDENT.search(text):
        text = _DEEP_INDENT.sub(" " * MAX_INDENT, text.expandtabs(4))
    if len(text) <= MARKS_PER_BLOCK and len(_BRACKET.findall(text)) <= BRACKETS_PER_BLOCK:
        return Bounded(text, {}, [])
    blocks = _BLOCKS.split(text)
    parsed: list[str] = []
    plain: dict[str, str] = {}
    size = 0
    salt = hashlib.blake2b(text.encode(), digest_size=6).hexdigest()  # a token no body can guess
    for block in blocks[:MARKDOWN_BLOCKS]:
        size += len(block) + 2
        if size > MARKDOWN_CHARS:
            break
        if len(_BRACKET.findall(block)) > BRACKETS_PER_BLOCK or len(_MARK.findall(block)) > MARKS_PER_BLOCK:
            token = f"plaintext{salt}x{len(plain)}"
            plain[token] = block
            block = token
        parsed.append(block)
    return Bounded("\n\n".join(parsed), plain, [block for block in blocks[len(parsed) :] if block.strip()])


def _as_text(block: str) -> str:
    return "<p>" + html_escape(block, quote=False).replace("\n", "<br>") + "</p>"


def sanitize_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
        attribute_filter=_filter_attribute,
    )


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    """Only http(s) and site-relative URLs survive; bodies' images load lazily."""
    if attribute in ("href", "src"):
        return clean_url(value)
    return value
