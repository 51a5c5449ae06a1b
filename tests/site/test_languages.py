"""Every site in its own language: the example site built in each shipped language shows no English interface
phrase in any page, e-mail or feed, and writes dates with the language's month names; plurals, a site's own
strings, a language without a catalog and day boundaries in a far time zone."""
from __future__ import annotations

import html
import re
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest
from babel import Locale
from babel.dates import get_month_names
from babel.messages.pofile import read_po

from generator.render.language import LOCALE_DIR, TEMPLATE_CATALOG, site_language
from helpers import article_fields, build_site, write_article, write_config

REPO = Path(__file__).resolve().parents[2]
SHIPPED = ["de", "fr", "es", "pt", "it", "nl", "pl", "ja", "ar"]
NOW = datetime(2026, 11, 22, 12, tzinfo=timezone.utc)
READ = (".html", ".txt", ".xml", ".opml", ".json")
NAMES = {"JSON Feed"}  # a format's name, the same in every language


def english_phrases() -> set[str]:
    """Every run of two or more words in the English catalog's strings (placeholders split them), e.g.
    "Also covered by" and "outlets" from "Also covered by %(num)s outlets": what a reader would see untranslated."""
    with TEMPLATE_CATALOG.open("rb") as handle:
        catalog = read_po(handle)
    phrases = set()
    for message in catalog:
        for text in (message.id if isinstance(message.id, tuple) else (message.id,)):
            for part in re.split(r"%\(\w+\)s|\{\w+\}|[“”→←():]", text or ""):
                words = re.findall(r"[A-Za-z][A-Za-z'-]*", part)
                if len(words) >= 2:
                    phrases.add(" ".join(words))
    return phrases


def visible_text(path: Path) -> str:
    """The file's text with markup and escapes undone and spaces collapsed, so a phrase split by a tag is found."""
    text = html.unescape(re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8")))
    return " ".join(re.sub(r"[^\w'-]+", " ", text).split())


@pytest.fixture(scope="module")
def content_words() -> str:
    """The example articles' own words: a phrase they contain is content, not interface."""
    return " ".join(
        " ".join(re.sub(r"[^\w'-]+", " ", p.read_text(encoding="utf-8")).split())
        for p in (REPO / "content").rglob("*.md")
    )


def build_in(tmp_path: Path, language: str, **settings) -> Path:
    site = tmp_path / language
    write_config(site, language=language, timezone="Europe/London",
                 digest={"unsubscribe": "https://news.example/unsubscribe"}, **settings)
    shutil.copytree(REPO / "content", site / "content")
    result = build_site(site, now=NOW)
    assert not result.failed and not result.errors and not result.warnings, result.problems
    return site / "public"


@pytest.mark.slow  # nine builds of the example site
@pytest.mark.parametrize("language", SHIPPED)
def test_each_shipped_language_leaves_no_english_interface_phrase_and_writes_its_own_month_names(
    tmp_path, language, content_words
):
    public = build_in(tmp_path, language)
    phrases = english_phrases() - NAMES - {p for p in english_phrases() if p in content_words}
    assert len(phrases) > 60  # the test has something to find
    found: dict[str, list[str]] = {}
    files = [p for p in public.rglob("*") if p.suffix in READ and "pagefind" not in p.parts]
    assert any(p.name == "email.txt" for p in files) and (public / "feeds.opml").exists()
    for path in files:
        text = visible_text(path)
        for phrase in phrases:
            if re.search(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", text):
                found.setdefault(phrase, []).append(str(path.relative_to(public)))
    assert found == {}, {phrase: paths[:3] for phrase, paths in found.items()}
    november = get_month_names("wide", locale=Locale.parse(language))[11]
    day = (public / "digest/2026-11-20/index.html").read_text(encoding="utf-8")
    heading = re.search(r"<h1>(.*?)</h1>", day).group(1)
    assert november in heading, heading
    assert f'lang="{language}"' in day and f'dir="{"rtl" if language == "ar" else "ltr"}"' in day


def test_english_is_the_templates_own_language_and_its_catalog_is_complete():
    english = site_language("en", None)
    assert english.problems == ()
    assert english.ngettext("%(num)s outlet", "%(num)s outlets", 1) == "%(num)s outlet"
    for language in [*SHIPPED, "en"]:
        assert (LOCALE_DIR / f"{language}.po").is_file()
        assert site_language(language, None).problems == (), language  # every string translated


def outlets(language: str, n: int) -> str:
    return site_language(language, None).ngettext("%(num)s outlet", "%(num)s outlets", n) % {"num": n}


def test_polish_and_arabic_plurals_read_right_for_1_2_5_11_21_and_101():
    assert [outlets("pl", n) for n in (1, 2, 5, 11, 21, 22, 101)] == [
        "1 źródło", "2 źródła", "5 źródeł", "11 źródeł", "21 źródeł", "22 źródła", "101 źródeł"]
    assert [outlets("ar", n) for n in (1, 2, 5, 11, 21, 101)] == [
        "مصدر واحد", "مصدران", "5 مصادر", "11 مصدرًا", "21 مصدرًا", "101 مصدر"]
    assert [outlets("en", n) for n in (1, 2, 101)] == ["1 outlet", "2 outlets", "101 outlets"]
    # The browser picks among the same forms by CLDR category (Intl.PluralRules): each category has its form.
    forms = site_language("ar", None).plural_forms("%(num)s outlet", "%(num)s outlets")
    assert set(forms) == {"zero", "one", "two", "few", "many", "other"} and forms["few"] == "{n} مصادر"


def test_a_sites_own_catalog_overrides_one_string_and_keeps_the_rest(tmp_path):
    site = tmp_path / "de"
    (site / "i18n").mkdir(parents=True)
    (site / "i18n/de.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "Top stories"\nmsgstr "Das Wichtigste"\n', encoding="utf-8")
    public = build_in(tmp_path, "de")
    home = (public / "index.html").read_text(encoding="utf-8")
    assert "Das Wichtigste" in home and "Top-Meldungen" not in home
    assert "Neueste" in home  # the shipped catalog still answers the rest


def test_a_language_without_a_catalog_falls_back_to_english_with_one_warning(tmp_path):
    site = tmp_path / "sw"
    write_config(site, language="sw")
    write_article(site / "content", "a.md", article_fields(0, publishedDateTime="2026-11-20T08:00:00Z"))
    result = build_site(site, now=NOW)
    said = [p.message for p in result.problems if "catalog" in p.message]
    assert said == ["no translation catalog for language 'sw'; the interface is in English"]
    home = (site / "public/index.html").read_text()
    assert '<html lang="sw" dir="ltr">' in home and ">Latest</a>" in home  # English words, the site's own tag
    (site / "i18n").mkdir()
    (site / "i18n/sw.po").write_text('msgid ""\nmsgstr ""\n\nmsgid "Latest"\nmsgstr "Habari mpya"\n', encoding="utf-8")
    again = build_site(site, now=NOW)
    lacking = [p.message for p in again.problems if "lacks" in p.message]
    total = len([m for m in read_po(TEMPLATE_CATALOG.open("rb")) if m.id])
    assert lacking == [f"the translation catalog for 'sw' lacks {total - 1} of the interface's strings; they are "
                       "shown in English"]
    assert "Habari mpya" in (site / "public/index.html").read_text()  # the one string it has is used


def test_japanese_in_tokyo_puts_a_late_utc_story_on_the_next_day_with_japanese_dates(tmp_path):
    site = tmp_path / "ja"
    write_config(site, language="ja", timezone="Asia/Tokyo")
    write_article(site / "content", "late.md", article_fields(
        0, title="Osaka lab ships a model", publishedDateTime="2026-11-20T16:30:00Z"))  # 01:30 on the 21st in Tokyo
    result = build_site(site, now=NOW)
    assert not result.failed and not result.errors
    day = site / "public/digest/2026-11-21/index.html"
    assert day.exists() and not (site / "public/digest/2026-11-20").exists()
    assert "<h1>2026年11月21日土曜日</h1>" in day.read_text(encoding="utf-8")
    calendar = (site / "public/digest/index.html").read_text(encoding="utf-8")
    assert re.search(r'<th scope="col"><abbr title="月曜日">月</abbr></th>', calendar)  # CLDR: weeks start Monday
