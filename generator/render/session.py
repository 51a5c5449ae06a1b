"""What rendering keeps from page to page and build to build, and when it lets go of it.

Two lifetimes, one vocabulary:

- **per article**: an article's card ("fragments") and its feed and API item ("items") are made once and kept
  while the article is the same object; a re-read article misses, and :meth:`RenderSession.retain` drops
  articles that left the index (the long-running preview would otherwise keep them for ever);
- **per session**: the Jinja environment and both article memos end together (:meth:`RenderSession.end`)
  when anything that shapes every page changes: the settings, a template, a stylesheet's fingerprinted name.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from generator.core.memo import ArticleMemo
from generator.core.models import OutputPage, SiteConfig, SiteIndex
from generator.pages.kinds import Site
from generator.pages.plan import page_context
from generator.render.environment import make_environment, render_page
from generator.render.language import Language, site_language


class RenderSession:
    def __init__(
        self,
        template_dirs: Sequence[Path],
        preview: bool,
        compiled: Callable[[], jinja2.BytecodeCache | None],
        site_dir: Path | None = None,
    ) -> None:
        self._template_dirs = tuple(template_dirs)
        self._site_dir = site_dir  # its i18n/ overrides the shipped catalogs
        self._language: Language | None = None
        self._preview = preview  # drafts are shown, and marked
        self._compiled = compiled
        self._env: jinja2.Environment | None = None
        self._items: ArticleMemo[dict[str, Any]] = ArticleMemo()  # feed and API items
        self._fragments: ArticleMemo[Markup] = ArticleMemo()  # HTML shown of an article on other pages (its card)
        self._emptied: list[Callable[[], None]] = []  # how to empty each memo the environment made
        self.pictures: dict[str, Any] = {}  # remote URL -> its mirrored copies: what templates show (images/mirror.py)

    def language(self, config: SiteConfig) -> Language:
        """The site's language, its catalogs read once per session."""
        if self._language is None or self._language.tag != config.language:
            self._language = site_language(config.language, self._site_dir)
        return self._language

    def environment(self, config: SiteConfig, asset_names: Mapping[str, str]) -> jinja2.Environment:
        if self._env is None:
            self._env = make_environment(
                config,
                self._template_dirs,
                preview=self._preview,
                asset_names=asset_names,
                fragments=self._fragments,
                pictures=self.pictures,
                compiled=self._compiled(),
                language=self.language(config),
                emptied=self._emptied,
            )
        return self._env

    def render(self, env: jinja2.Environment, page: OutputPage, index: SiteIndex, config: SiteConfig) -> bytes:
        return render_page(env, page, self.context(page, index, config))

    def context(self, page: OutputPage, index: SiteIndex, config: SiteConfig) -> dict[str, Any]:
        language = self.language(config)
        return page_context(Site(index, config, self._items, language.formatted, language.first_weekday), page)

    def end(self) -> None:
        """Settings, a template or a stylesheet name changed: nothing rendered so far may be reused.

        Every memo is emptied, not only let go of: the environment and its templates refer to each other, a
        cycle only the garbage collector frees (builds run with it off, core/memory.py), and the environment's
        closures hold the memos it made and the card memo."""
        for empty in self._emptied:
            empty()
        self._emptied = []
        self._items.clear()
        self._fragments.clear()
        self._env = self._language = None

    def retain(self, slugs: Collection[str]) -> None:
        """Forget the articles not in ``slugs`` (deleted, or no longer shown)."""
        for memo in (self._items, self._fragments):
            memo.retain_articles(slugs)

    def remembered(self) -> dict[str, set[str]]:
        """The articles whose card ("fragments") and feed item ("items") are kept for the next build."""
        return {"fragments": self._fragments.slugs(), "items": self._items.slugs()}


def render_order(pages: Iterable[OutputPage], index: SiteIndex, by_time: bool) -> list[OutputPage]:
    """Pages by the time of the first article each shows, newest first (pages showing none last), if ``by_time``.

    A one-off build renders in runs of consecutive pages (core/parallel.py: each forked worker takes runs, one
    process goes through them in order) and keeps an article's card and "More on" entry only while its run
    shows the article, so that memory does not grow with the site: in time order an article's page, its day's
    and its topics' and outlet's list pages mostly fall in one run, which makes them once. The preview keeps
    every card, so its order does not matter.
    """
    pages = list(pages)
    if not by_time:
        return pages
    when = {a.source: a.published.timestamp() for a in index.articles.values()}
    return sorted(pages, key=lambda page: -when.get(page.sources[0], 0.0) if page.sources else 1.0)
