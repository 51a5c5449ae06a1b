"""Plain, frozen data shared by every step of the pipeline.

Nothing here does I/O or knows about templates. Objects refer to each other
by key (article slug, topic slug, provider key), never by mutual references,
so each step can be rebuilt on its own.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from generator.core.words import Words

Severity = Literal["error", "warning", "note"]


@dataclass(frozen=True)
class Problem:
    """Something wrong with an input file. An ``error`` means the file was skipped; ``line`` 0 means no line."""

    path: str
    line: int
    message: str
    severity: Severity = "error"
    in_content: bool = True  # ``path`` is relative to the content folder (else as the user would type it)

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path  # line 0: the whole file
        return f"{where}: {self.severity}: {self.message}"

    def shown_from(self, content_dir: str) -> str:
        """As printed for the user: a content path joined to the content folder as given (``content/b.md:2: ...``)."""
        if not self.in_content or content_dir in ("", "."):
            return str(self)
        return f"{content_dir.rstrip('/')}/{self}"


@dataclass(frozen=True)
class Image:
    url: str  # absolute http(s) or site-relative ("/assets/...")
    width: int
    height: int
    title: str = ""
    attribution: str = ""


@dataclass(frozen=True)
class Provider:
    """A news outlet. ``key`` is its normalised domain (or a slug of its name)."""

    key: str
    name: str
    domain: str
    logo: Image | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        return (shared_provider, (self.key, self.name, self.domain, self.logo))


@dataclass(frozen=True)
class TopicRef:
    slug: str
    name: str

    def __reduce__(self) -> tuple[Any, ...]:
        return (shared_topic, (self.slug, self.name))


# An outlet and a topic repeat across thousands of articles: one object each (per process) keeps the articles
# small in memory. Reading makes them here, and unpickling too (their __reduce__), so they stay one object each
# whatever pickle brought them (a forked worker's results, the build cache, which writes each article apart).
@functools.lru_cache(maxsize=4096)
def shared_provider(key: str, name: str, domain: str, logo: Image | None = None) -> Provider:
    return Provider(key=key, name=name, domain=domain, logo=logo)


@functools.lru_cache(maxsize=4096)
def shared_topic(slug: str, name: str) -> TopicRef:
    return TopicRef(slug=slug, name=name)


@dataclass(frozen=True)
class RelatedStory:
    """Another outlet's coverage of the same story (the "Also covered by" list)."""

    title: str
    url: str | None
    excerpt: str = ""
    published: datetime | None = None
    provider: Provider | None = None
    image: Image | None = None


@dataclass(frozen=True)
class Article:
    source: str  # path relative to the content folder, POSIX separators
    slug: str
    title: str
    excerpt: str
    published: datetime  # timezone-aware
    updated: datetime | None
    link: str | None  # where the full story lives: webUrl, else originalUrl
    original_url: str | None
    type: str
    category: str
    quality: int
    heat: int
    is_published: bool
    provider: Provider | None
    topics: tuple[TopicRef, ...]
    images: tuple[Image, ...]
    related: tuple[RelatedStory, ...]
    body_html: str  # sanitised HTML, "" when the file has no body
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)
    slug_line: int = field(default=1, compare=False)  # where a slug collision is reported
    # Story grouping's words of the title and excerpt (story_text.Words), when read with them: made
    # by the reading workers; grouping makes them itself otherwise.
    story_words: Words | None = field(default=None, compare=False, repr=False)

    @property
    def lead_image(self) -> Image | None:
        return self.images[0] if self.images else None


@dataclass(frozen=True)
class TopicMeta:
    """Optional metadata from ``_data/topics/*.yaml``."""

    slug: str
    name: str
    description_html: str = ""
    keywords: tuple[str, ...] = ()
    image: Image | None = None
    source: str = ""

    @property
    def key(self) -> str:
        """What it is matched by, as for every kind of metadata: the topic's slug."""
        return self.slug


@dataclass(frozen=True)
class ProviderMeta:
    """Optional metadata from ``_data/organizations/*``."""

    key: str
    name: str
    domain: str
    logo: Image | None = None
    source: str = ""


@dataclass(frozen=True)
class FeatureSection:
    """A ``site.yaml`` section that turns a feature on or off; it is true when on, so ``{% if site.search %}`` reads
    as the switch it is."""

    enabled: bool = True

    def __bool__(self) -> bool:
        return self.enabled


@dataclass(frozen=True)
class SmtpSettings:
    """``digest.smtp:``: the server that sends the e-mail edition. The login is never in ``site.yaml``: it comes
    from the environment (NEWSDIGEST_SMTP_USER, NEWSDIGEST_SMTP_PASSWORD)."""

    host: str = ""  # no host: the edition is not sent
    port: int = 0  # 0: the standard port of the security (587 starttls, 465 tls, 25 none)
    security: str = "starttls"  # starttls, tls or none (none only to this machine)

    @property
    def port_or_default(self) -> int:
        return self.port or {"starttls": 587, "tls": 465}.get(self.security, 25)


@dataclass(frozen=True)
class DigestSettings(FeatureSection):
    """``digest:``: day pages, their e-mail editions, the archive and the digest feeds (``digest: false``: none)."""

    email_stories: int = 20  # stories in full in the e-mail before "N more stories"
    subject: str = "{title}: {date}"  # "{title}" and "{date}" are filled in
    sender: str = ""  # ``from:`` (a Python keyword, hence the field's name)
    to: tuple[str, ...] = ()  # each subscriber's address, or one mailing list's
    unsubscribe: str = ""  # URL or mailto of List-Unsubscribe
    subscribe_url: str = ""  # where readers sign up for the e-mail edition ("Get it by e-mail" on every page)
    smtp: SmtpSettings = SmtpSettings()


@dataclass(frozen=True)
class SearchSettings(FeatureSection):
    """``search:``: the Pagefind index and the search page."""

    split_above: int = 20_000  # a part of the index holds at most this many pages (and never more than 2,000)


@dataclass(frozen=True)
class Reach:
    """Every outlet that reported a story (stories/reach.py makes it)."""

    outlets: tuple[Provider, ...]  # distinct outlets (by key), in order: the site's articles, then related coverage
    reports: int  # the site's articles plus the related reports not among them
    related: tuple[RelatedStory, ...]  # those related reports, each URL once, in the order found


@dataclass(frozen=True)
class StorySettings(FeatureSection):
    """``stories:``: group each story's coverage across outlets."""

    window_hours: int = 72  # coverage this close in time can be one story


@dataclass(frozen=True)
class ImageSettings:
    """``images:``: serve outlets' pictures resized from the site (images/mirror.py); off unless asked."""

    mirror: bool = False
    max_bytes: int = 15_000_000  # a larger picture stays where it is
    timeout: float = 20.0  # seconds for a whole picture (5 s at most to connect)


@dataclass(frozen=True)
class SiteConfig:
    """``site.yaml``: top-level settings, and one section per feature, as the file nests them."""

    title: str = "News Digest"
    description: str = ""
    base_url: str = "http://127.0.0.1:8000/"
    language: str = "en"
    timezone: tzinfo | None = None  # None means UTC
    timezone_name: str = "UTC"
    page_size: int = 20
    max_topics_per_article: int = 50  # more are ignored with a warning: each topic is a page and a feed
    max_article_bytes: int = 2_000_000  # a larger file is an error: Markdown is slow on huge paragraphs
    digest: DigestSettings = DigestSettings()
    search: SearchSettings = SearchSettings()
    stories: StorySettings = StorySettings()
    images: ImageSettings = ImageSettings()

    @property
    def base_path(self) -> str:
        """The URL path the site lives under, always with a trailing slash ("/ai/")."""
        path = urlsplit(self.base_url).path or "/"
        return path if path.endswith("/") else path + "/"


# --- collections: "a named group of stories with its own pages and feeds" -------------


@dataclass(frozen=True)
class CollectionKind:
    name: str  # "topic": the page kind, its template (topic.html) and the template's variable
    section: str  # "topics": the URL folder, the index page (topics.html) and the API section
    preposition: str  # "Stories about Robotics", "Stories from Forbes"
    path: Callable[[str, int], str]  # (key, page number) -> URL path
    members: Callable[[Article], Iterable[tuple[str, str, Image | None, str]]]  # (key, name, logo, domain) per group
    per_story: bool = True  # its pages list each story once (an outlet's page lists each of its articles)

    def index_path(self) -> str:
        return f"{self.section}/"


@dataclass(frozen=True)
class Collection:
    kind: CollectionKind
    key: str
    name: str
    articles: tuple[str, ...]  # article slugs, newest first
    logo: Image | None = None
    domain: str = ""
    meta: TopicMeta | None = None
    entries: tuple[str, ...] = ()  # what its pages list, newest first: one article per story if the kind says so

    @property
    def slug(self) -> str:
        return self.key

    @property
    def about(self) -> str:
        """ "Stories about Robotics": the wording of feeds and meta descriptions."""
        return f"Stories {self.kind.preposition} {self.name}"

    def path(self, page: int = 1) -> str:
        path: str = self.kind.path(self.key, page)
        return path

    def row(self) -> tuple[str, str, Image | None, int]:
        """What an index page (topics/, providers/) shows of it."""
        return (self.key, self.name, self.logo, len(self.entries))


@dataclass(frozen=True)
class Story:
    """The coverage of one event across outlets: two or more articles."""

    id: str  # the earliest member's slug: stable while coverage is added later
    lead: str  # the member first by lead_rank
    members: tuple[str, ...]  # earliest first


def lead_rank(article: Article) -> tuple[int, int, datetime, str]:
    """Which report leads a story, lowest first: highest quality, then heat, then the earliest; ties by slug.
    The one place this rule lives (grouping picks the lead by it; pages list the rest in its order)."""
    return (-article.quality, -article.heat, article.published, article.slug)


@dataclass(frozen=True)
class DayEntry:
    """One story (or an article standing alone) as a day lists it."""

    story: str | None  # the story's id
    articles: tuple[str, ...]  # its articles of that day, the one that best leads it first
    outlets: int  # outlets covering the story (all its days)
    heat: int
    quality: int
    newest: datetime


@dataclass(frozen=True)
class Day:
    """A local day (the site's time zone) with its stories, the most covered first."""

    date: date
    entries: tuple[DayEntry, ...]
    articles: int
    outlets: int


@dataclass(frozen=True)
class SiteIndex:
    articles: Mapping[str, Article]  # by slug
    newest: tuple[str, ...]  # every article slug, newest first
    collections: Mapping[str, Mapping[str, Collection]]  # kind name -> key -> group, each sorted by name
    more_on_topic: Mapping[str, tuple[str, ...]]  # article slug -> similar slugs (not of its own story)
    top_stories: tuple[str, ...]
    slug_of_source: Mapping[str, str]  # content file -> article slug (pages list their sources by file)
    river: tuple[str, ...] = ()  # the home page's list, newest first: each story once, by its lead
    below_top: tuple[str, ...] = ()  # the river without the stories "Top stories" shows: the home page's pages
    stories: Mapping[str, Story] = field(default_factory=dict)  # by id
    story_of: Mapping[str, str] = field(default_factory=dict)  # article slug -> its story's id, if it has one
    # Story id -> every outlet that reported it, made once here for the many lists that show each story.
    story_reach: Mapping[str, Reach] = field(default_factory=dict)
    days: Mapping[date, Day] = field(default_factory=dict)  # newest first
    day_of: Mapping[str, date] = field(default_factory=dict)  # article slug -> its local day
    today: date | None = None  # the build's date in the site's time zone ("Today", "Yesterday" on the home page)
    # Topics on nearly every article ("AI" on an AI site): a filter or label for them tells the reader nothing.
    common_topics: frozenset[str] = frozenset()
    similar: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # "More on" before leaving out own stories
    unpublished: frozenset[str] = (
        frozenset()
    )  # slugs of the drafts shown (--unpublished): left out of feeds and the API

    def article_of(self, source: str) -> Article:
        return self.articles[self.slug_of_source[source]]

    def focus_topic(self, article: Article) -> TopicRef | None:
        """The article's most specific (rarest) topic: it names "More on" and places the story on a day page."""
        return min(article.topics, key=lambda t: (len(self.topics[t.slug].articles), t.slug), default=None)

    def story(self, slug: str) -> Story | None:
        """The story an article belongs to, if any."""
        story_id = self.story_of.get(slug)
        return self.stories[story_id] if story_id is not None else None

    @property
    def topics(self) -> Mapping[str, Collection]:
        return self.collections["topic"]

    @property
    def providers(self) -> Mapping[str, Collection]:
        return self.collections["provider"]


JSON_OUTPUT = "(json)"  # the "template" of pages whose context["data"] is written as JSON, not rendered


@dataclass(frozen=True)
class OutputPage:
    """One file the build will produce, planned but not yet rendered.

    ``kind``/``key``/``number`` say what the page shows (e.g. "topic", "robotics",
    page 2). ``sources`` are the content files whose data it shows, in order; ``stamp`` is
    every other value it shows that can change with content (counts, names).
    Two plans with equal template, sources (with equal content digests) and stamp render
    to the same bytes.
    """

    path: str  # relative output path, e.g. "news/some-slug/index.html"
    template: str
    kind: str
    key: str | None = None
    number: int = 1
    sources: tuple[str, ...] = ()  # in the order the page shows them: order is content too
    stamp: Any = None  # a frozen dataclass of its kind (kinds.py), or None when it shows nothing else
