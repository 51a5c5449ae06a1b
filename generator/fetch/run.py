"""``newsdigest fetch``: every feed of the feeds file, fetched politely, its new entries written as article files.

Network work runs in a few threads, one per host at a time (a site with ten
feeds gets one request at a time from us). Deciding what is new and writing
files happens afterwards in one thread, in the feeds file's order, so that a
story carried by two feeds is written once, from the first feed listing it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import partial
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from generator.content.metadata import load_metadata
from generator.fetch.entries import TopicMatcher, canonical_url, draft_article, url_key
from generator.fetch.feedlist import FeedList, FeedSpec, load_feed_list
from generator.fetch.parse import FeedEntry, FeedError, FeedPicture, ParsedFeed, parse_feed
from generator.fetch.pictures import picture_size
from generator.fetch.store import FetchState, entry_id_key, fetch_lock, load_state, note_existing, save_state, write_new
from generator.net.download import FetchError, HostGate, Limits, Response, get, user_agent

MAX_HOSTS_AT_ONCE = 4
RETRY_NOW_SECONDS = 10.0
MAX_WAIT = timedelta(days=7)
PICTURES_PER_ENTRY = 2  # pictures whose size is asked for, per new entry
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.8, application/json;q=0.8, */*;q=0.5"
)
Outcome = Literal["new", "unchanged", "waiting", "failed"]


@dataclass(frozen=True)
class FeedReport:
    url: str  # as the feeds file lists it
    outcome: Outcome
    written: tuple[str, ...] = ()
    reason: str = ""  # why it failed or waits
    notes: tuple[str, ...] = ()  # worth knowing, not failures (a permanent redirect, recovered XML)


@dataclass(frozen=True)
class FetchResult:
    reports: tuple[FeedReport, ...]
    notes: tuple[str, ...] = ()

    @property
    def failed(self) -> bool:
        return any(report.outcome == "failed" for report in self.reports)

    @property
    def written(self) -> int:
        return sum(len(report.written) for report in self.reports)

    def summary(self, content_dir: Path) -> str:
        failed = sum(report.outcome == "failed" for report in self.reports)
        articles = "article" if self.written == 1 else "articles"
        tail = f"; {failed} failed" if failed else ""
        return f"Fetched {len(self.reports)} feeds: {self.written} new {articles} in {content_dir}{tail}."


@dataclass(frozen=True)
class _Answer:
    """What one feed's request gave, before anything is written."""

    spec: FeedSpec
    response: Response | None = None
    feed: ParsedFeed | None = None
    sizes: dict[str, tuple[int, int]] = field(default_factory=dict)
    error: FetchError | FeedError | None = None
    waiting_until: str = ""


def fetch(feeds_path: Path, content_dir: Path, now: datetime | None = None) -> FetchResult:
    feed_list = load_feed_list(feeds_path)
    with fetch_lock(content_dir):
        state, state_note = load_state(content_dir)
        note_existing(content_dir, state)
        matcher = TopicMatcher(load_metadata(content_dir).topics.values())
        started = now or datetime.now(timezone.utc)
        answers = _ask_all(feed_list, state, started)
        reports = [
            _take(answers[spec.url], feed_list, state, matcher, content_dir, started) for spec in feed_list.feeds
        ]
        save_state(content_dir, state)
    return FetchResult(tuple(reports), (state_note,) if state_note else ())


def _ask_all(feed_list: FeedList, state: FetchState, now: datetime) -> dict[str, _Answer]:
    by_host: dict[str, list[FeedSpec]] = {}
    for spec in feed_list.feeds:
        address = state.feeds.get(spec.url, {}).get("moved_to") or spec.url
        by_host.setdefault(urlsplit(address).hostname or "", []).append(spec)
    answers: dict[str, _Answer] = {}
    if not by_host:
        return answers

    gate = HostGate()

    def one_host(specs: list[FeedSpec]) -> list[_Answer]:
        return [_ask(spec, dict(state.feeds.get(spec.url, {})), feed_list, state, now, gate) for spec in specs]

    with ThreadPoolExecutor(max_workers=min(MAX_HOSTS_AT_ONCE, len(by_host)), thread_name_prefix="fetch") as pool:
        for batch in pool.map(one_host, by_host.values()):
            answers.update((answer.spec.url, answer) for answer in batch)
    return answers


def _ask(
    spec: FeedSpec, memory: dict[str, Any], feed_list: FeedList, state: FetchState, now: datetime, gate: HostGate
) -> _Answer:
    """Runs in a worker thread: reads ``state`` (nothing writes it meanwhile), never changes it."""
    not_before = _moment(memory.get("not_before"))
    if not_before is not None and not_before > now:
        return _Answer(spec, waiting_until=not_before.isoformat(timespec="seconds"))
    headers = {"Accept": ACCEPT, "User-Agent": user_agent(feed_list.contact)}
    if memory.get("etag"):
        headers["If-None-Match"] = memory["etag"]
    if memory.get("last_modified"):
        headers["If-Modified-Since"] = memory["last_modified"]
    address = memory.get("moved_to") or spec.url
    try:
        with gate.hold(address):
            response = _get_once_more_if_asked(address, headers, feed_list.limits)
        if response.status == 304:
            return _Answer(spec, response)
        feed = parse_feed(response.body, response.url, response.headers.get("content-type", ""))
        new = [entry for entry in _latest(feed, feed_list.max_entries) if not _known(entry, spec, state)]
        sizes = _picture_sizes(new, feed.logo, memory, partial(_probe, gate, feed_list.limits, headers["User-Agent"]))
    except (FetchError, FeedError) as exc:
        return _Answer(spec, error=exc)
    except Exception as exc:  # noqa: BLE001 - one feed that breaks something unforeseen is its own warning, not the run's end
        return _Answer(spec, error=FeedError(f"could not be read ({type(exc).__name__}: {str(exc)[:120]})"))
    return _Answer(spec, response, feed, sizes)


def _moment(value: object) -> datetime | None:
    """A time the state file holds, or None if it holds none (or something else: a hand-edited file)."""
    try:
        when = datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
    return when if when is None or when.tzinfo else when.replace(tzinfo=timezone.utc)


def _get_once_more_if_asked(url: str, headers: dict[str, str], limits: Limits) -> Response:
    try:
        return get(url, headers, limits)
    except FetchError as exc:
        if exc.retry_after is None or exc.retry_after > RETRY_NOW_SECONDS:
            raise
        time.sleep(exc.retry_after)
        return get(url, headers, limits)


def _latest(feed: ParsedFeed, count: int) -> list[FeedEntry]:
    """The ``count`` newest entries, newest first, whatever order the feed lists them in (an entry without a
    date is dated when fetched: newest)."""
    return sorted(feed.entries, key=lambda e: e.published or datetime.max.replace(tzinfo=timezone.utc), reverse=True)[
        :count
    ]


def _keys(entry: FeedEntry, spec: FeedSpec) -> tuple[str, str]:
    """What makes an entry one already written: its story's URL key (a draft's ``key``) and its id key."""
    return url_key(canonical_url(entry.link)), entry_id_key(spec.url, entry.id)


def _known(entry: FeedEntry, spec: FeedSpec, state: FetchState) -> bool:
    return state.knows(*_keys(entry, spec))


def _probe(gate: HostGate, limits: Limits, agent: str, url: str) -> tuple[int, int] | None:
    with gate.hold(url):
        return picture_size(url, limits, agent)


def _picture_sizes(
    entries: Iterable[FeedEntry],
    logo: FeedPicture | None,
    memory: dict[str, Any],
    probe: Callable[[str], tuple[int, int] | None],
) -> dict[str, tuple[int, int]]:
    sizes: dict[str, tuple[int, int]] = {}
    remembered = memory.get("logo")
    if logo and not (logo.width and logo.height):
        if isinstance(remembered, list) and len(remembered) == 3 and remembered[0] == logo.url:
            sizes[logo.url] = (int(remembered[1]), int(remembered[2]))
        elif size := probe(logo.url):
            sizes[logo.url] = size
    for entry in entries:
        unsized = [p for p in entry.pictures if not (p.width and p.height) and p.url not in sizes][:PICTURES_PER_ENTRY]
        for picture in unsized:
            if size := probe(picture.url):
                sizes[picture.url] = size
    return sizes


def _take(
    answer: _Answer, feed_list: FeedList, state: FetchState, matcher: TopicMatcher, content_dir: Path, now: datetime
) -> FeedReport:
    """Main thread: record what the feed said and write its new entries."""
    spec = answer.spec
    memory = state.feeds.setdefault(spec.url, {})
    memory["checked"] = now.isoformat(timespec="seconds")
    if answer.waiting_until:
        return FeedReport(
            spec.url, "waiting", reason=f"the server asked not to be asked again before {answer.waiting_until}"
        )
    if answer.error is not None:
        memory["failed"] = str(answer.error)
        if isinstance(answer.error, FetchError) and answer.error.retry_after:
            memory["not_before"] = (now + min(timedelta(seconds=answer.error.retry_after), MAX_WAIT)).isoformat(
                timespec="seconds"
            )
        return FeedReport(spec.url, "failed", reason=str(answer.error))
    response = answer.response
    assert response is not None
    memory.pop("failed", None)
    memory.pop("not_before", None)
    notes = _redirect_notes(response, memory)
    if response.status == 304:
        return FeedReport(spec.url, "unchanged", notes=notes)
    feed = answer.feed
    assert feed is not None
    if feed.warning:
        notes += (feed.warning,)
    written = []
    for entry in _latest(feed, feed_list.max_entries):
        key, id_key = _keys(entry, spec)
        if state.knows(key, id_key):  # before any cleaning: most entries of a feed were seen on earlier runs
            state.remember(key, id_key)
            continue
        draft = draft_article(entry, feed, spec, matcher, now, answer.sizes)
        if draft is None:
            continue
        name = write_new(content_dir, draft)
        state.remember(key, id_key)
        state.files[name] = draft.key
        written.append(name)
    _remember_validators(response, memory)
    if feed.logo and feed.logo.url in answer.sizes:
        memory["logo"] = [feed.logo.url, *answer.sizes[feed.logo.url]]
    return FeedReport(spec.url, "new", tuple(written), notes=notes)


def _redirect_notes(response: Response, memory: dict[str, Any]) -> tuple[str, ...]:
    if response.redirects:
        memory["redirects"] = [list(hop) for hop in response.redirects]
    else:
        memory.pop("redirects", None)
    moved = response.moved_permanently_to
    if moved and moved != memory.get("moved_to"):
        memory["moved_to"] = moved
        return (f"moved permanently to {moved}; asking there from now on (update the feeds file)",)
    return ()


def _remember_validators(response: Response, memory: dict[str, Any]) -> None:
    """ETag and Last-Modified, kept only once the entries they vouch for are written."""
    for header, key in (("etag", "etag"), ("last-modified", "last_modified")):
        if response.headers.get(header):
            memory[key] = response.headers[header][:200]
        else:
            memory.pop(key, None)
