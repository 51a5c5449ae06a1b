"""The site's language: its interface strings (gettext catalogs), dates, times, numbers and plural rules (CLDR,
through Babel), and its writing direction.

Catalogs ship in ``generator/locale/<language>.po`` (English is the language of the templates themselves); a site
adds or overrides strings in its own ``i18n/<language>.po`` beside ``site.yaml``. Both are read and compiled in
memory when the environment is made: there is no separate compile step. A language without a catalog falls back
to English, with one warning naming it; a catalog that lacks strings warns once with the count.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

import jinja2
from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton, format_time
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

from generator.core.models import Problem

LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
TEMPLATE_CATALOG = LOCALE_DIR / "messages.pot"
RIGHT_TO_LEFT = frozenset({"ar", "he", "fa", "ur", "ps", "sd", "ug", "yi", "dv", "ckb"})
SOURCE_LANGUAGE = "en"  # the language the templates are written in


@dataclass(frozen=True)
class Language:
    """A site's language, ready to write with."""

    tag: str  # as site.yaml gives it ("pt-BR")
    locale: Locale
    translations: NullTranslations = field(compare=False)
    problems: tuple[Problem, ...] = field(default=(), compare=False)
    _written: dict[tuple[Any, ...], str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def direction(self) -> str:
        return "rtl" if self.locale.language in RIGHT_TO_LEFT else "ltr"

    @property
    def first_weekday(self) -> int:
        """0 for Monday ... 6 for Sunday, as the locale's calendars start the week."""
        return int(self.locale.first_week_day)

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def weekday_names(self) -> list[tuple[str, str]]:
        """(abbreviated, full) name of each weekday, in the order the locale's weeks start."""
        names = self.locale.days["format"]
        order = [(self.first_weekday + i) % 7 for i in range(7)]
        return [(str(names["abbreviated"][d]), str(names["wide"][d])) for d in order]

    def formatted(self, message: str, **values: Any) -> str:
        """``message`` translated, its ``%(name)s`` places filled in."""
        translated = self.gettext(message)
        return translated % values if values else translated

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        return self.translations.ngettext(singular, plural, count)

    def number(self, value: int) -> str:
        return self._once(("number", value), lambda: format_decimal(value, locale=self.locale))

    def weekday_date(self, day: date) -> str:
        """ "Tuesday, November 2, 2021", "Dienstag, 2. November 2021"."""
        return self._once(("weekday date", day), lambda: format_date(day, "full", locale=self.locale))

    def date_text(self, day: date) -> str:
        """ "November 2, 2021", "2. November 2021"."""
        return self._once(("date", day), lambda: format_date(day, "long", locale=self.locale))

    def day_month(self, day: date) -> str:
        """ "November 2", "2. November"."""
        return self._once(("day", day), lambda: format_skeleton("MMMMd", day, locale=self.locale))

    def month(self, year: int, month: int) -> str:
        """ "November 2021", "November 2021", "2021年11月"."""
        return self._once(
            ("month", year, month), lambda: format_skeleton("yMMMM", date(year, month, 1), locale=self.locale)
        )

    def time(self, moment: datetime) -> str:
        """ "9:05 AM", "09:05": the locale's short time, which names no zone (the site's zone is the page's)."""
        hour, minute = moment.hour, moment.minute
        return self._once(("time", hour, minute), lambda: format_time(moment, "short", locale=self.locale))

    def date_time(self, moment: datetime) -> str:
        glue = self._once(("glue",), lambda: self.locale.datetime_formats["medium"])
        return glue.replace("{1}", self.date_text(moment.date())).replace("{0}", self.time(moment))

    def _once(self, key: tuple[Any, ...], make: Callable[[], object]) -> str:
        """Babel's formatting is pure and runs Python per field; a site writes the same days and minutes
        thousands of times, so each is written once per language."""
        written = self._written.get(key)
        if written is None:
            written = self._written[key] = str(make())
        return written

    def day_heading(self, day: date, today: date | None) -> str:
        """ "Today", "Yesterday", else the full date."""
        relative = self._relative_day(day, today)
        return relative or self.weekday_date(day)

    def short_day(self, day: date, today: date | None) -> str:
        """ "Today", "Yesterday", else the date without its weekday."""
        return self._relative_day(day, today) or self.date_text(day)

    def _relative_day(self, day: date, today: date | None) -> str:
        if today is not None and day == today:
            return self.gettext("Today")
        if today is not None and day == today - timedelta(days=1):
            return self.gettext("Yesterday")
        return ""

    def plural_forms(self, singular: str, plural: str) -> dict[str, str]:
        """For the browser: the string for each CLDR plural category of this language, ``{n}`` for the number
        (the script picks one with ``Intl.PluralRules``)."""
        forms: dict[str, str] = {}
        for n in range(0, 1000):
            category = self.locale.plural_form(n)
            if category not in forms:
                forms[category] = self.ngettext(singular, plural, n).replace("%(num)s", "{n}").replace("%(num)d", "{n}")
        return forms


@dataclass(frozen=True)
class LocalMoment:
    """A moment as the site writes it in its own zone and language."""

    date: str
    day: str
    year: int
    date_time: str
    time: str

    @classmethod
    def of(cls, local: datetime, language: Language) -> LocalMoment:
        return cls(
            language.date_text(local.date()),
            language.day_month(local.date()),
            local.year,
            language.date_time(local),
            language.time(local),
        )


def site_language(tag: str, site_dir: Path | None) -> Language:
    """The language of ``tag`` with the shipped catalog and the site's own ``i18n/<language>.po`` over it."""
    try:
        locale = Locale.parse(tag.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        locale = Locale.parse(SOURCE_LANGUAGE)
        return Language(
            tag,
            locale,
            NullTranslations(),
            (_warning(f"language {tag!r} is not known to CLDR; the interface is in English"),),
        )
    shipped = _shipped_catalog(locale)
    own = _site_catalog(locale, site_dir)
    problems: list[Problem] = []
    if shipped is None and own is None and locale.language != SOURCE_LANGUAGE:
        problems.append(_warning(f"no translation catalog for language {tag!r}; the interface is in English"))
    translations: NullTranslations = NullTranslations()
    for catalog in (shipped, own):  # the site's own strings first, the shipped ones behind them
        if catalog is not None:
            compiled = _compiled(catalog)
            compiled.add_fallback(translations)
            translations = compiled
    if locale.language != SOURCE_LANGUAGE and (shipped is not None or own is not None):
        lacking = _lacking([c for c in (own, shipped) if c is not None])
        if lacking:
            problems.append(
                _warning(
                    f"the translation catalog for {tag!r} lacks {lacking} of the interface's "
                    "strings; they are shown in English"
                )
            )
    return Language(tag, locale, translations, tuple(problems))


def install(env: jinja2.Environment, language: Language, tz: tzinfo, emptied: list[Callable[[], None]]) -> None:
    """The interface strings, the date filters and the language's globals in ``env`` (its memo's emptying added to
    ``emptied``).

    ``_("Top stories")``, ``_("Search %(site)s", site=name)`` and ``ngettext("%(num)s outlet", "%(num)s outlets",
    n, num=n|number)`` (the form for ``n``, then Python's %-formatting) return plain text: an HTML template
    escapes the whole result on output, once, and a text template (the e-mail's text part) writes it as it is.
    So translations hold no markup, and these are plain functions (no Jinja context: see fast_jinja.py).
    Babel's extractor finds these calls in templates (``make translations``)."""

    def ngettext(singular: str, plural: str, count: int, **variables: Any) -> str:
        variables.setdefault("num", count)
        return language.ngettext(singular, plural, count) % variables

    env.globals.update(_=language.formatted, gettext=language.formatted, ngettext=ngettext)
    in_zone = functools.lru_cache(maxsize=1 << 16)(lambda moment: LocalMoment.of(moment.astimezone(tz), language))
    emptied.append(in_zone.cache_clear)
    env.filters["local_date"] = lambda moment: in_zone(moment).date
    env.filters["local_day"] = lambda moment: in_zone(moment).day
    env.filters["local_year"] = lambda moment: in_zone(moment).year
    env.filters["local_datetime"] = lambda moment: in_zone(moment).date_time
    env.filters["local_time"] = lambda moment: in_zone(moment).time
    env.filters["long_date"] = language.weekday_date
    env.filters["number"] = language.number
    env.globals["month_name"] = language.month
    env.globals["day_heading"] = language.day_heading
    env.globals["short_day"] = language.short_day
    env.globals["plural_forms"] = language.plural_forms
    env.globals["weekday_names"] = language.weekday_names
    env.globals["language"] = language


def _warning(message: str) -> Problem:
    return Problem("site.yaml", 0, message, "warning", in_content=False)


def _shipped_catalog(locale: Locale) -> Catalog | None:
    for name in (str(locale), locale.language):
        path = LOCALE_DIR / f"{name}.po"
        if path.is_file():
            return _read(path, locale)
    return None


def _site_catalog(locale: Locale, site_dir: Path | None) -> Catalog | None:
    if site_dir is None:
        return None
    for name in (str(locale), str(locale).replace("_", "-"), locale.language):
        path = site_dir / "i18n" / f"{name}.po"
        if path.is_file():
            return _read(path, locale)
    return None


@functools.lru_cache(maxsize=32)
def _read_cached(path: Path, stamp: tuple[int, int], locale: str) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def _read(path: Path, locale: Locale) -> Catalog:
    status = path.stat()
    return _read_cached(path, (status.st_mtime_ns, status.st_size), str(locale))


def _compiled(catalog: Catalog) -> Translations:
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def _lacking(catalogs: list[Catalog]) -> int:
    """How many of the interface's strings (the template catalog's) no catalog translates."""
    if not TEMPLATE_CATALOG.is_file():
        return 0
    template = _read(TEMPLATE_CATALOG, Locale.parse(SOURCE_LANGUAGE))
    return sum(
        1
        for message in template
        if message.id and not any(_translated(catalog.get(message.id)) for catalog in catalogs)
    )


def _translated(message: Any) -> bool:
    if message is None or message.fuzzy:
        return False
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(strings)
