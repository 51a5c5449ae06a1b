"""The only module that knows Jinja: environment, filters, template search path.

Templates are looked up first in the site's own ``templates/`` folder, then in
the built-in theme, so a user overrides any template (or partial) by placing
a file with the same name in their folder.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import jinja2
import orjson
from markupsafe import Markup

from generator.core.memo import ArticleMemo
from generator.core.models import JSON_OUTPUT, Article, Image, OutputPage, SiteConfig
from generator.core.urls import (
    absolute_writer,
    article_path,
    day_path,
    digest_path,
    provider_path,
    site_url,
    topic_path,
)
from generator.render.fast_jinja import check_globals, environment_class
from generator.render.language import Language, site_language
from generator.render.language import install as install_language

# Open Graph wants language_TERRITORY; a bare language gets its most common territory.
_DEFAULT_TERRITORY = {
    "en": "US",
    "de": "DE",
    "fr": "FR",
    "es": "ES",
    "it": "IT",
    "pt": "PT",
    "nl": "NL",
    "sv": "SE",
    "da": "DK",
    "nb": "NO",
    "no": "NO",
    "fi": "FI",
    "pl": "PL",
    "cs": "CZ",
    "ja": "JP",
    "ko": "KR",
    "zh": "CN",
    "ru": "RU",
    "uk": "UA",
    "tr": "TR",
    "ar": "AR",
    "he": "IL",
    "el": "GR",
    "hi": "IN",
}


def og_locale(language: str) -> str:
    """ "en" -> "en_US", "pt-BR" -> "pt_BR", "zh-Hant-TW" -> "zh_TW"."""
    parts = language.split("-")
    lang = parts[0].lower()
    region = next((p.upper() for p in parts[1:] if len(p) == 2 and p.isalpha()), None)
    return f"{lang}_{region or _DEFAULT_TERRITORY.get(lang, lang.upper())}"


def json_bytes(value: Any, sort_keys: bool = False) -> bytes:
    """Compact UTF-8 JSON, as ``json.dumps(value, ensure_ascii=False, separators=(",", ":"))`` writes it.

    orjson writes the same bytes many times as fast (the JSON API and every page's JSON-LD go through here). What
    it refuses (an integer past 64 bits in an article's own field, say) the standard library writes.
    """
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS | (orjson.OPT_SORT_KEYS if sort_keys else 0))
    except TypeError:  # orjson.JSONEncodeError is one
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys).encode("utf-8")


def _json_text(value: Any, sort_keys: bool = False) -> str:
    """Jinja's ``tojson`` with ``json_bytes``: the policy's ``sort_keys`` is passed on, the HTML escaping is Jinja's."""
    return json_bytes(value, sort_keys).decode("utf-8")


def without_empty(value: Any) -> Any:
    """Structured data without absent values: no nulls, empty strings, lists or objects (validators flag them)."""
    if isinstance(value, dict):
        kept = {}
        for key, item in value.items():
            if isinstance(item, (dict, list)):
                item = without_empty(item)
            if item or not _absent(item):  # a truth test first: most values are there (every page's JSON-LD)
                kept[key] = item
        return kept
    if isinstance(value, list):
        return [item for item in map(without_empty, value) if item or not _absent(item)]
    return value


def _absent(value: Any) -> bool:
    """For a false value: null, or an empty string, list or object (not 0 or false)."""
    return value is None or isinstance(value, (str, list, dict))


@functools.lru_cache(maxsize=4096)  # one per outlet, asked on every card of it
def hue(key: str) -> int:
    """A stable colour (hue in degrees) for an outlet's monogram: the same key, the same colour, on every build."""
    return int.from_bytes(hashlib.blake2s(key.encode(), digest_size=2).digest(), "big") % 360


def theme_folder(name: str) -> Path:
    """The default theme's ``templates`` or ``static``: inside the package when installed, beside it in a checkout."""
    package = Path(__file__).resolve().parents[1]  # generator/
    installed = package / name
    return installed if installed.is_dir() else package.parent / name


BUILTIN_TEMPLATES = theme_folder("templates")


class RenderError(Exception):
    """A template failed; the message names the template file and line."""


def make_environment(
    config: SiteConfig,
    template_dirs: Sequence[Path],
    preview: bool = False,
    asset_names: Mapping[str, str] | None = None,
    fragments: ArticleMemo[Markup] | None = None,
    compiled: jinja2.BytecodeCache | None = None,
    pictures: Mapping[str, Any] | None = None,
    language: Language | None = None,
    emptied: list[Callable[[], None]] | None = None,
) -> jinja2.Environment:
    """``asset_names`` maps theme files to their fingerprinted names (see assets.py); ``asset(path)`` links them.
    ``compiled``: where compiled templates are kept, so a new process does not compile them again (Jinja checks
    each against its source's checksum). ``language``: the site's (default: ``site.language`` with the shipped
    catalogs only). ``emptied``: each memo the environment makes adds how to empty it there (RenderSession.end:
    the environment and its templates form a cycle that only the garbage collector would free)."""
    emptied = [] if emptied is None else emptied
    assets = dict(asset_names or {})
    search = [str(d) for d in dict.fromkeys([*template_dirs, BUILTIN_TEMPLATES]) if d.is_dir()]
    env = environment_class()(
        loader=jinja2.FileSystemLoader(search),
        autoescape=jinja2.select_autoescape(["html", "xml", "opml"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        cache_size=-1,  # every template stays loaded: a plain dict, not an LRU list with a lock, on each {% from %}
        bytecode_cache=compiled,
    )
    env.policies["json.dumps_function"] = _json_text
    tz = config.timezone or timezone.utc
    base_path = config.base_path
    absolute = absolute_writer(config.base_url, base_path)
    env.globals.update(
        site=config,
        preview=preview,
        url=functools.partial(site_url, base_path),  # one Python call per link, not two
        asset=lambda path: site_url(base_path, assets.get(path) or path),
        absolute_url=absolute,
        # The URL map lives in urls.py only; templates ask it rather than spell paths out.
        article_path=article_path,
        day_path=day_path,
        digest_path=digest_path,
        topic_path=topic_path,
        provider_path=provider_path,
        items_for_ld=lambda articles, offset: [
            {"@type": "ListItem", "position": offset + i, "name": a.title, "url": absolute(article_path(a.slug))}
            for i, a in enumerate(articles, start=1)
        ],
    )
    env.globals.update(_article_fragments(env, fragments if fragments is not None else ArticleMemo()))
    env.globals["edition_html"] = _memoized_edition(env, emptied)
    env.globals["once"] = _once(emptied)
    shown = pictures if pictures is not None else {}  # filled in by each build before pages render (images/mirror.py)
    env.globals["mirrored"] = lambda image: shown.get(image.url) if isinstance(image, Image) else None
    env.globals["mirror_srcset"] = lambda copy, kind: ", ".join(
        f"{site_url(base_path, copy.path(width, kind))} {width}w" for width in copy.widths
    )
    install_language(env, language or site_language(config.language, None), tz, emptied)
    env.filters["iso"] = _iso_writer(emptied)
    env.filters["hue"] = hue
    env.filters["inline_css"] = inline_css
    env.filters["og_locale"] = og_locale
    env.filters["without_empty"] = without_empty
    env.filters["media"] = lambda image: (
        site_url(base_path, image.url) if isinstance(image, Image) else site_url(base_path, image)
    )
    check_globals(env)
    return env


def inline_css(html: str) -> Markup:
    """Move a document's <style> rules into style attributes, for mail clients that drop <style>;
    @media rules (dark mode, narrow screens) stay in the head. Remote stylesheets are never loaded."""
    import css_inline  # a twentieth of a second to import; only the e-mail editions use it

    inliner = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False, keep_link_tags=False)
    return Markup(inliner.inline(str(html)))


def _once(emptied: list[Callable[[], None]]) -> Callable[..., Markup]:
    """``{% call once(name) %}...{% endcall %}``: the body rendered for the first page, reused for the rest.

    For the markup every page repeats (site header, footer, icons): it depends only on the
    environment's globals, and this memo lives as long as the environment.
    """
    made: dict[str, Markup] = {}
    emptied.append(made.clear)

    def once(name: str, caller: Callable[[], str]) -> Markup:
        if name not in made:
            made[name] = Markup(caller())
        return made[name]

    return once


def _memoized_edition(env: jinja2.Environment, emptied: list[Callable[[], None]]) -> Callable[[dict[str, Any]], Markup]:
    """``edition_html(edition)``: a day's e-mail edition (email.html) as HTML, for the digest feeds and the API.

    Thirty editions go into each digest feed; an edition is rendered again only when an article it shows
    was re-read (articles are new objects then), not each time any feed re-renders.
    """
    made: dict[Any, tuple[tuple[Any, ...], Markup]] = {}
    emptied.append(made.clear)

    def edition_html(edition: dict[str, Any]) -> Markup:
        key = edition["date"]
        # Everything the edition shows: each story's articles (new objects when re-read), outlets and page.
        shown = (
            edition["more"],
            edition["day"].outlets,
            *((e.story_path, e.outlets, *map(id, (e.lead, *e.others))) for e in edition["stories"]),
        )
        hit = made.get(key)
        if hit is None or hit[0] != shown:
            hit = made[key] = (shown, Markup(env.get_template("email.html").render(edition)))
        return hit[1]

    return edition_html


def _article_fragments(env: jinja2.Environment, memo: ArticleMemo[Markup]) -> dict[str, Callable[..., Markup]]:
    """Globals that render a partial's macro once per article and reuse the markup on every page that shows it.

    ``article_card(article, heading, coverage, excerpt)`` (partials/article_card.html) shows up on the home,
    topic, provider and day lists; ``more_on_item(article)`` (the more_on_entry macro of partials/sidebar.html)
    in the "More on" lists of
    several other articles. The macro is looked up through the loader, so a site's own partial is the one used.
    """

    def rendered(template: str, name: str, variant: str, article: Article, *args: Any) -> Markup:
        def render(article: Article) -> Markup:
            return Markup(getattr(env.get_template(template).module, name)(article, *args))

        return memo.get(f"{name}:{variant}", article, render)

    def article_card(
        article: Article,
        heading: str = "h2",
        coverage: Any = None,
        excerpt: bool = False,
        common: Collection[str] = (),
        priority: str = "",
    ) -> Markup:
        # The card shows the story's other outlets: the same article in a grown story is another card.
        shown = (
            ""
            if coverage is None
            else f"|{coverage.path}|{coverage.reports}|" + "|".join(f"{p.key}:{p.name}" for p in coverage.outlets)
        )
        hidden = ",".join(sorted(t.slug for t in article.topics if t.slug in common))
        variant = f"{heading}{'+excerpt' if excerpt else ''}|{priority}|{hidden}{shown}"
        return rendered(
            "partials/article_card.html", "article_card", variant, article, heading, coverage, excerpt, common, priority
        )

    def more_on_item(article: Article, year: int | None = None) -> Markup:
        return rendered("partials/sidebar.html", "more_on_entry", str(year), article, year)

    return {"article_card": article_card, "more_on_item": more_on_item}


def _iso_writer(emptied: list[Callable[[], None]]) -> Callable[[datetime], str]:
    """``iso``: ISO 8601 in the moment's own offset, each moment written once.

    Equal instants in two offsets are equal keys but differ in writing, so an entry holds the zone it
    was written in and a moment in another zone writes afresh (a datetime caches its hash; a key of
    moment and zone would hash the zone each time, a fiftieth of an article page).
    """
    written: dict[datetime, tuple[Any, str]] = {}
    emptied.append(written.clear)

    def iso(moment: datetime) -> str:
        hit = written.get(moment)
        if hit is not None and hit[0] is moment.tzinfo:
            return hit[1]
        text = moment.isoformat().replace("+00:00", "Z")
        if len(written) < 1 << 17:
            written[moment] = (moment.tzinfo, text)
        return text

    return iso


# Characters XML 1.0 forbids; feed text is cleaned when read, this is the last guard.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def preload_templates(env: jinja2.Environment, names: Collection[str]) -> None:
    """Load (compile, or read compiled) these templates and every partial now, e.g. once before forking workers.

    Only to save later work: a template that fails here fails again when a page renders with it, and is
    reported there with its file and line (a broken partial that no page uses is no error).
    """
    partials = env.list_templates(filter_func=lambda name: name.startswith("partials/"))
    for name in [*sorted(set(names) - {JSON_OUTPUT}), *partials]:
        try:
            env.get_template(name)
        except jinja2.TemplateError:
            pass


def render_page(env: jinja2.Environment, page: OutputPage, context: dict[str, Any]) -> bytes:
    if page.template == JSON_OUTPUT:
        return json_bytes(context["data"])
    try:
        template = env.get_template(page.template)
        text = template.render(context)
        if page.path.endswith((".xml", ".opml")):
            text = _XML_ILLEGAL.sub("", text)
        return text.encode("utf-8")
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(f"{exc.filename or exc.name}:{exc.lineno}: template error: {exc.message}") from exc
    except jinja2.TemplateError as exc:
        raise RenderError(
            f"{_template_location(exc, page.template)}: template error while rendering {page.path}: {exc}"
        ) from exc


def _template_location(exc: BaseException, fallback: str) -> str:
    """The innermost template frame of a rendering error, as "file:line"."""
    tb = exc.__traceback__
    location = fallback
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".html", ".xml", ".txt", ".json", ".opml")):
            location = f"{filename}:{tb.tb_lineno}"
        tb = tb.tb_next
    return location
