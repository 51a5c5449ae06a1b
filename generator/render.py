"""The only module that knows Jinja: environment, filters, template search path.

Templates are looked up first in the site's own ``templates/`` folder, then in
the built-in theme, so a user overrides any template (or partial) by placing
a file with the same name in their folder.
"""
from __future__ import annotations

import functools
import hashlib
import io
import json
import re
from collections.abc import Callable, Collection, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import jinja2
import jinja2.compiler
import jinja2.nodes
import jinja2.runtime
import jinja2.utils
import markupsafe
import orjson
from markupsafe import Markup

from .memo import ArticleMemo
from .models import Article, Image, OutputPage, SiteConfig
from .urls import absolute_writer, article_path, day_path, digest_path, provider_path, site_url, topic_path

# MarkupSafe's own escaping of a plain str, without wrapping the result in a Markup object (the public
# escape, as a str, should a MarkupSafe ever lack it).
_escape_str: Callable[[str], str] = getattr(markupsafe, "_escape_inner", None) or (lambda text: str(markupsafe.escape(text)))

# Open Graph wants language_TERRITORY; a bare language gets its most common territory.
_DEFAULT_TERRITORY = {"en": "US", "de": "DE", "fr": "FR", "es": "ES", "it": "IT", "pt": "PT", "nl": "NL", "sv": "SE",
                      "da": "DK", "nb": "NO", "no": "NO", "fi": "FI", "pl": "PL", "cs": "CZ", "ja": "JP", "ko": "KR",
                      "zh": "CN", "ru": "RU", "uk": "UA", "tr": "TR", "ar": "AR", "he": "IL", "el": "GR", "hi": "IN"}


def og_locale(language: str) -> str:
    """"en" -> "en_US", "pt-BR" -> "pt_BR", "zh-Hant-TW" -> "zh_TW"."""
    parts = language.split("-")
    lang = parts[0].lower()
    region = next((p.upper() for p in parts[1:] if len(p) == 2 and p.isalpha()), None)
    return f"{lang}_{region or _DEFAULT_TERRITORY.get(lang, lang.upper())}"


def json_bytes(value: Any, sort_keys: bool = False) -> bytes:
    """Compact UTF-8 JSON, as ``json.dumps(value, ensure_ascii=False, separators=(",", ":"))`` writes it.

    orjson writes the same bytes twenty times as fast (the JSON API and JSON-LD were a tenth of a build). What
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
    """Structured data without absent values: no nulls, empty strings, lists or objects (schema.org validators flag them)."""
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
    package = Path(__file__).resolve().parent
    installed = package / name
    return installed if installed.is_dir() else package.parent / name


BUILTIN_TEMPLATES = theme_folder("templates")


_NO_ATTRIBUTE = object()  # what getattr returns in a compiled template when the object has no such attribute
_new_str = str.__new__  # Markup(text) for a plain str, without MarkupSafe's Python-level __new__


class _Macro(jinja2.runtime.Macro):
    """A template's macro, called the way these templates call them (arguments by position and by name; no
    ``caller``, ``varargs`` or ``kwargs`` in the body) with the names matched through a table made once,
    not Jinja's general matching on each call (a third of a call's cost). Any other call goes Jinja's way."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        simple = not (self.catch_kwargs or self.catch_varargs or self.caller or self.explicit_caller)
        self._positions = {name: n for n, name in enumerate(self.arguments)} if simple else None
        self._unset = (jinja2.utils.missing,) * len(self.arguments)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        positions, count = self._positions, len(args)
        if positions is None or count > len(self._unset) or (count and type(args[0]) is jinja2.nodes.EvalContext):
            return super().__call__(*args, **kwargs)
        values = [*args, *self._unset[count:]]
        for name, value in kwargs.items():
            at = positions.get(name, -1)
            if at < count:  # no such argument, or one already given by position: Jinja's error
                return super().__call__(*args, **kwargs)
            values[at] = value
        text = self._func(*values)
        return _new_str(Markup, text) if self._default_autoescape else text


def _escaped_output(value: Any) -> str:
    """What ``{{ value }}`` writes in an autoescaped template: MarkupSafe's escape, as a plain str.

    The pieces a template writes are only joined into its text (which a macro then wraps in one Markup), so
    making each a Markup object, as Jinja's ``escape`` does, was a tenth of an article page's time for nothing.
    """
    if type(value) is str:
        return _escape_str(value)
    html = getattr(value, "__html__", None)
    if html is not None:
        return html()  # type: ignore[no-any-return]
    return _escape_str(str(value))


class _CodeGenerator(jinja2.compiler.CodeGenerator):
    """Calls in templates go straight to the function, and output is escaped without a Markup per piece.

    Jinja routes every call through ``Context.call``, which looks on each
    callee for the markers of ``pass_context`` and its kin. No function a
    template here can reach carries one (our globals, checked in
    :func:`make_environment`; macros, blocks, ``caller`` and Jinja's own
    ``range``, ``dict``, ``cycler``, ``joiner``, ``namespace``, ``lipsum``), and
    the routing cost a sixth of a page's rendering.
    """

    def visit_Template(self, node: jinja2.nodes.Template, frame: Any = None) -> None:
        self.writeline(f"from {__name__} import _escaped_output, _Macro, _NO_ATTRIBUTE as _ga_none")
        super().visit_Template(node, frame)

    def macro_def(self, macro_ref: Any, frame: Any) -> None:
        self.write("_")  # Jinja's macro_def writes "Macro(...)": this makes it "_Macro(...)", the same arguments
        super().macro_def(macro_ref, frame)

    @jinja2.compiler.optimizeconst
    def visit_Getattr(self, node: jinja2.nodes.Getattr, frame: Any) -> None:
        """``a.b`` as one C call, ``getattr(a, "b", default)``, and Jinja's ``environment.getattr`` (a Python
        call on every attribute a template reads, a tenth of a page) only when there is no such attribute:
        it then tries ``a["b"]`` and makes the undefined value. The object is evaluated once (``_ga_o``)."""
        if self.environment.is_async:
            super().visit_Getattr(node, frame)
            return
        self.write("(_ga_v if (_ga_v := getattr((_ga_o := ")
        self.visit(node.node, frame)
        self.write(f"), {node.attr!r}, _ga_none)) is not _ga_none else environment.getattr(_ga_o, {node.attr!r}))")

    def _output_child_pre(self, node: jinja2.nodes.Expr, frame: Any, finalize: Any) -> None:
        if frame.eval_ctx.volatile or not frame.eval_ctx.autoescape:
            super()._output_child_pre(node, frame, finalize)
            return
        self.write("_escaped_output(")
        if finalize.src is not None:
            self.write(finalize.src)

    def visit_Call(self, node: jinja2.nodes.Call, frame: Any, forward_caller: bool = False) -> None:
        # (callee)(arguments): Jinja's signature() writes each argument after ", ", as for context.call(callee, ...).
        self.write("(")
        self.visit(node.node, frame)
        self.write(")(")
        stream, self.stream = self.stream, io.StringIO()
        try:
            self.signature(node, frame, {"caller": "caller"} if forward_caller else None)
            arguments = self.stream.getvalue()
        finally:
            self.stream = stream
        self.write(arguments.removeprefix(", ") + ")")


class _Environment(jinja2.Environment):
    """Jinja's environment with each template's globals as a plain dict.

    Jinja chains a template's globals over the environment's (a ChainMap), so
    that globals added later still show; ours are all set before the first
    template loads. Every render copies its template's globals and every
    ``{% from ... import %}`` compares them with the importer's, and on a
    ChainMap both run in Python: about a tenth of an article page's time.
    """

    code_generator_class = _CodeGenerator

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return {**self.globals, **(d or {})}


class RenderError(Exception):
    """A template failed; the message names the template file and line."""


def make_environment(config: SiteConfig, template_dirs: Sequence[Path], preview: bool = False,
                     asset_names: Mapping[str, str] | None = None, fragments: ArticleMemo[Markup] | None = None,
                     compiled: jinja2.BytecodeCache | None = None, pictures: Mapping[str, Any] | None = None) -> jinja2.Environment:
    """``asset_names`` maps theme files to their fingerprinted names (see assets.py); ``asset(path)`` links them.
    ``compiled``: where compiled templates are kept, so a new process does not compile them again (Jinja checks
    each against its source's checksum)."""
    assets = dict(asset_names or {})
    search = [str(d) for d in dict.fromkeys([*template_dirs, BUILTIN_TEMPLATES]) if d.is_dir()]
    env = _Environment(
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
            {"@type": "ListItem", "position": offset + i, "name": a.title,
             "url": absolute(article_path(a.slug))}
            for i, a in enumerate(articles, start=1)],
    )
    env.globals.update(_article_fragments(env, fragments if fragments is not None else ArticleMemo()))
    env.globals["edition_html"] = _memoized_edition(env)
    env.globals["once"] = _once()
    shown = pictures if pictures is not None else {}  # filled in by each build before pages render (mirror.py)
    env.globals["mirrored"] = lambda image: shown.get(image.url) if isinstance(image, Image) else None
    env.globals["mirror_srcset"] = lambda copy, kind: ", ".join(
        f"{site_url(base_path, copy.path(width, kind))} {width}w" for width in copy.widths)
    # Each article's moment is written on many pages (its card, "More on", feeds): converted to the site's
    # zone once and every form of it written then. Equal moments are one instant, shown here in one zone,
    # so they format alike (not so for ``iso``, below).
    in_zone = functools.lru_cache(maxsize=1 << 16)(lambda moment: LocalMoment.of(moment.astimezone(tz)))
    env.filters["local_date"] = lambda moment: in_zone(moment).date
    env.filters["local_day"] = lambda moment: in_zone(moment).day
    env.filters["local_year"] = lambda moment: in_zone(moment).year
    env.filters["local_datetime"] = lambda moment: in_zone(moment).date_time
    env.filters["local_time"] = lambda moment: in_zone(moment).time
    env.filters["iso"] = _iso_writer()
    env.filters["hue"] = hue
    env.filters["long_date"] = lambda day: f"{day:%A} {day.day} {day:%B %Y}"
    env.globals["month_name"] = lambda year, month: f"{date(year, month, 1):%B %Y}"
    env.filters["inline_css"] = inline_css
    env.filters["og_locale"] = og_locale
    env.filters["without_empty"] = without_empty
    env.filters["media"] = lambda image: site_url(base_path, image.url) if isinstance(image, Image) else site_url(base_path, image)
    takes_context = [name for name, value in env.globals.items() if hasattr(value, "jinja_pass_arg")]  # pass_context & co
    if takes_context:
        raise RuntimeError(f"globals {takes_context} need Jinja's Context.call, which _CodeGenerator leaves out")
    return env


def inline_css(html: str) -> Markup:
    """Move a document's <style> rules into style attributes, for mail clients that drop <style>;
    @media rules (dark mode, narrow screens) stay in the head. Remote stylesheets are never loaded."""
    import css_inline  # a twentieth of a second to import; only the e-mail editions use it

    inliner = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False, keep_link_tags=False)
    return Markup(inliner.inline(str(html)))


def _once() -> Callable[..., Markup]:
    """``{% call once(name) %}...{% endcall %}``: the body rendered for the first page, reused for the rest.

    For the markup every page repeats (site header, footer, icons): it depends only on the
    environment's globals, and this memo lives as long as the environment.
    """
    made: dict[str, Markup] = {}

    def once(name: str, caller: Callable[[], str]) -> Markup:
        if name not in made:
            made[name] = Markup(caller())
        return made[name]

    return once


def _memoized_edition(env: jinja2.Environment) -> Callable[[dict[str, Any]], Markup]:
    """``edition_html(edition)``: a day's e-mail edition (email.html) as HTML, for the digest feeds and the API.

    Thirty editions go into each digest feed; an edition is rendered again only when an article it shows
    was re-read (articles are new objects then), not each time any feed re-renders.
    """
    made: dict[Any, tuple[tuple[Any, ...], Markup]] = {}

    def edition_html(edition: dict[str, Any]) -> Markup:
        key = edition["date"]
        # Everything the edition shows: each story's articles (new objects when re-read), outlets and page.
        shown = (edition["more"], edition["day"].outlets, *((e.story_path, e.outlets, *map(id, (e.lead, *e.others)))
                                                             for e in edition["stories"]))
        hit = made.get(key)
        if hit is None or hit[0] != shown:
            hit = made[key] = (shown, Markup(env.get_template("email.html").render(edition)))
        return hit[1]

    return edition_html


def _article_fragments(env: jinja2.Environment, memo: ArticleMemo[Markup]) -> dict[str, Callable[..., Markup]]:
    """Globals that render a partial's macro once per article and reuse the markup on every page that shows it.

    ``article_card(article, heading, coverage, excerpt)`` (partials/article_card.html) shows up on the home,
    topic, provider and day lists; ``more_on_item(article)`` (the more_on_entry macro of partials/sidebar.html) in the "More on" lists of
    several other articles. The macro is looked up through the loader, so a site's own partial is the one used.
    """

    def rendered(template: str, name: str, variant: str, article: Article, *args: Any) -> Markup:
        def render(article: Article) -> Markup:
            return Markup(getattr(env.get_template(template).module, name)(article, *args))

        return memo.get(f"{name}:{variant}", article, render)

    def article_card(article: Article, heading: str = "h2", coverage: Any = None, excerpt: bool = False,
                     common: Collection[str] = (), priority: str = "") -> Markup:
        # The card shows the story's other outlets: the same article in a grown story is another card.
        shown = "" if coverage is None else f"|{coverage.path}|{coverage.articles}|" + "|".join(
            f"{p.key}:{p.name}" for p in coverage.outlets)
        hidden = ",".join(sorted(t.slug for t in article.topics if t.slug in common))
        variant = f"{heading}{'+excerpt' if excerpt else ''}|{priority}|{hidden}{shown}"
        return rendered("partials/article_card.html", "article_card", variant, article, heading, coverage, excerpt,
                        common, priority)

    def more_on_item(article: Article, year: int | None = None) -> Markup:
        return rendered("partials/sidebar.html", "more_on_entry", str(year), article, year)

    return {"article_card": article_card, "more_on_item": more_on_item}


def _iso_writer() -> Callable[[datetime], str]:
    """``iso``: ISO 8601 in the moment's own offset, each moment written once.

    Equal instants in two offsets are equal keys but differ in writing, so an entry holds the zone it
    was written in and a moment in another zone writes afresh (a datetime caches its hash; a key of
    moment and zone would hash the zone each time, a fiftieth of an article page).
    """
    written: dict[datetime, tuple[Any, str]] = {}

    def iso(moment: datetime) -> str:
        hit = written.get(moment)
        if hit is not None and hit[0] is moment.tzinfo:
            return hit[1]
        text = moment.isoformat().replace("+00:00", "Z")
        if len(written) < 1 << 17:
            written[moment] = (moment.tzinfo, text)
        return text

    return iso


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")  # as strftime's %B writes them in the C locale, the only one builds use


@dataclass(frozen=True)
class LocalMoment:
    """A moment as the site writes it in its own zone: "3 March 2026", "3 March", 2026, "3 March 2026, 09:05", "09:05"."""

    date: str
    day: str
    year: int
    date_time: str
    time: str

    @classmethod
    def of(cls, local: datetime) -> LocalMoment:
        day = f"{local.day} {MONTHS[local.month - 1]}"
        time = f"{local.hour:02d}:{local.minute:02d}"
        return cls(f"{day} {local.year}", day, local.year, f"{day} {local.year}, {time}", time)


JSON_OUTPUT = "(json)"  # the "template" of pages whose context["data"] is dumped as JSON
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
        raise RenderError(f"{_template_location(exc, page.template)}: template error while rendering {page.path}: {exc}") from exc


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
