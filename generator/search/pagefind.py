"""The search index: a build step that runs Pagefind over the pages worth finding and publishes /pagefind/.

Pagefind (its binary, from the ``pagefind[bin]`` wheel: nothing is downloaded
at run time) indexes article and story pages, and topic and outlet landing
pages with a low weight; each of those marks its indexed region with
``data-pagefind-body`` and declares its filters, meta and date sort in the
HTML, so the index and the pages agree. The pages are handed over as one
folder (the wrapper's per-page API is far slower than indexing a folder of files).

Pagefind has no incremental mode and its memory grows with the pages it
holds (about 90 KB a page), so the index is split in time at every size: one
bundle per calendar period (the newest month's weeks, then years, a crowded
year in halves, quarters or months), merged in the browser with
``mergeIndex``. A new or edited story re-indexes its own part; a part whose
pages did not change keeps its bundle byte for byte.
``pagefind/bundles.json`` lists the bundles, newest first, for the search page.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from generator.core.budget import affordable
from generator.core.models import OutputPage, SiteConfig, SiteIndex
from generator.core.options import StepInput, StepOutput

INDEXED_KINDS = frozenset({"article", "story", "topic", "provider"})  # topic and provider: page 1 only
BUNDLE = "pagefind/"
BUNDLES = BUNDLE + "bundles.json"  # the bundles the search page loads, newest first
INPUT_NAME = "newsdigest-input.txt"  # in each bundle: a digest of the pages it was made from, and of its files
# Pagefind's ready-made search interfaces, in every bundle it writes: the search page uses its JavaScript API
# (pagefind.js, its worker and WebAssembly) instead, so they are not published (some 400 KB a part).
UNUSED_UI = ("pagefind-ui.", "pagefind-component-ui.", "pagefind-modular-ui.", "pagefind-highlight.")
PAGEFIND_PAGE_MEMORY = 150 * 1024  # bytes a Pagefind process holds per page it indexes, with room to spare
TIMEOUT = 600  # seconds: 50,000 pages take about 40 s on two cores
# An older year's part: the year, then its halves, quarters and months, until every part is small enough.
PERIODS = ((12, "{year}"), (6, "{year}h{n}"), (3, "{year}q{n}"), (1, "{year}-{month:02d}"))


class SearchUnavailable(Exception):
    """Pagefind could not run; the message is one line for the user."""


@dataclass(frozen=True)
class Part:
    """Pages indexed together into one bundle: ``key`` names its period ("2026-11-24", the week from that day;
    "2026-10"; "2024"; "2024h1")."""

    key: str
    pages: tuple[str, ...]  # output paths

    @property
    def bundle(self) -> str:
        return f"{BUNDLE}{self.key}/"


def pagefind_binary() -> Path | None:
    try:
        from pagefind_bin import get_executable  # type: ignore[import-untyped]
    except ImportError:
        return None
    try:
        return Path(get_executable())
    except Exception:  # no binary for this platform
        return None


def indexed_pages(pages: Iterable[OutputPage]) -> list[OutputPage]:
    return [p for p in pages if p.kind in INDEXED_KINDS and (p.kind in ("article", "story") or p.number == 1)]


def plan_parts(pages: Sequence[OutputPage], index: SiteIndex, split_above: int) -> list[Part]:
    """The bundles to build, newest first, split in time at every size, so that a new or edited story re-indexes
    only its own part and every other part is kept byte for byte.

    Parts follow fixed calendar periods: each week of the newest story's month (where new stories land), and
    before it the longest periods (a year, then its halves, quarters or months) that hold at most ``PART_PAGES``
    pages, a month holding more going by week. A part is small enough to index again in about a second, and
    there are few enough for a one-word search to fetch little; ``split_above`` bounds parts too (Pagefind's
    memory grows with the pages it indexes). Pages without a day (topic and outlet landing pages) go with the
    newest part. When a new month begins, the last one's weeks join their period's part, once.
    """
    limit = min(split_above, PART_PAGES)
    days = {p.path: index.day_of.get(p.key or "") if p.kind in ("article", "story") else None for p in pages}
    dated = [day for day in days.values() if day is not None]
    newest = max(dated, default=index.today or date.min)
    months = Counter((day.year, day.month) for day in dated)
    by_week = {month for month, count in months.items() if count > limit} | {(newest.year, newest.month)}
    periods = Counter({month: count for month, count in months.items() if month not in by_week})
    key_of: dict[tuple[int, int], str] = {}
    for year in sorted({year for year, _month in periods}):
        _assign(year, 1, 0, periods, limit, key_of)
    grouped: dict[str, list[str]] = {}
    order: dict[str, date] = {}
    for path, day in days.items():
        when = day or newest
        month = (when.year, when.month)
        key = _week_of(when).isoformat() if month in by_week else key_of[month]
        grouped.setdefault(key, []).append(path)
        order[key] = max(order.get(key, when), when)
    newest_first = sorted(grouped, key=lambda key: (order[key], key), reverse=True)
    return [Part(key, tuple(sorted(grouped[key]))) for key in newest_first]


PART_PAGES = 1_000  # pages a part may hold: what Pagefind indexes again in about a second


def _week_of(day: date) -> date:
    """The first day of the week part ``day`` falls in, in a month indexed by week.

    Weeks run from Monday to Sunday within the month; the days before the month's first Monday join its first
    week and the days after its last Sunday its last, so that every part is a whole week or more: each part
    costs a search one more download, and a stub of a few days is not worth one.
    """
    last = calendar.monthrange(day.year, day.month)[1]
    first_monday = 1 + (7 - day.replace(day=1).weekday()) % 7
    starts = range(first_monday + 7, last - 5, 7)  # the Mondays with a whole week before them and after
    return day.replace(day=max((start for start in starts if start <= day.day), default=1))


def _assign(
    year: int,
    first_month: int,
    level: int,
    months: Counter[tuple[int, int]],
    limit: int,
    key_of: dict[tuple[int, int], str],
) -> None:
    """Name the part of each month of one period, splitting the period while it holds too many pages."""
    length, pattern = PERIODS[level]
    span = range(first_month, first_month + length)
    if sum(months[(year, m)] for m in span) <= limit or level == len(PERIODS) - 1:
        key = pattern.format(year=year, n=(first_month - 1) // length + 1, month=first_month)
        key_of.update({(year, m): key for m in span})
        return
    shorter = PERIODS[level + 1][0]
    for start in range(first_month, first_month + length, shorter):
        _assign(year, start, level + 1, months, limit, key_of)


def search_parts(pages: Sequence[OutputPage], index: SiteIndex, config: SiteConfig) -> list[Part]:
    """The bundles a build with these pages indexes (the build step, the preview and the benchmark agree)."""
    return plan_parts(indexed_pages(pages), index, config.search.split_above)


REGIONS = "pagefind-regions"  # in the steps' memo: each indexed page's region digest, as last published


def search_index(given: StepInput) -> Iterable[StepOutput]:
    """The Pagefind bundles of this build's pages, as (output path, the file holding it, or its bytes)."""
    if not given.config.search.enabled:
        return []
    parts = search_parts(given.pages, given.index, given.config)
    assert given.scratch is not None, "the build gives its steps a scratch folder"
    return build_bundles(
        parts,
        given.read,
        given.owned,
        given.published,
        given.scratch,
        digest_of=_remembered(given, parts),
        meanwhile=given.while_waiting,
    )


def _remembered(given: StepInput, parts: Sequence[Part]) -> Callable[[str], bytes] | None:
    """Each page's region digest: read again only for the pages this build staged anew (every other page is
    as the last build published it, when it recorded the digest). None: this build keeps no record."""
    if given.memo is None or given.restaged is None:
        return None
    known: dict[str, bytes] = given.memo.get(REGIONS, {})
    restaged, current = given.restaged, {}
    for part in parts:
        for path in part.pages:
            found = known.get(path)
            current[path] = found if found is not None and path not in restaged else region_digest(given.read(path))
    given.memo[REGIONS] = current  # the pages of this build only
    return current.__getitem__


def build_bundles(
    parts: Sequence[Part],
    read: Callable[[str], bytes],
    previous: Collection[str],
    previous_file: Callable[[str], Path] | None,
    into: Path,
    started: Callable[[subprocess.Popen[str]], None] | None = None,
    digest_of: Callable[[str], bytes] | None = None,
    meanwhile: Callable[[], None] = lambda: None,
) -> list[StepOutput]:
    """Every file of /pagefind/: each part's bundle (kept from ``previous``, where ``previous_file`` finds them,
    when its pages did not change) and the list of bundles. Files are given as Paths (new ones left in ``into``,
    which must outlive their use), the small ones Pagefind does not make as bytes: a large site's index need not
    sit in memory. ``started``, if given, runs Pagefind at low CPU priority (the preview) and is handed each
    Pagefind process, to stop it when the preview stops. ``digest_of`` gives a page's :func:`region_digest` (by
    default, of its bytes from ``read``); ``meanwhile`` is called once while Pagefind runs."""
    binary = pagefind_binary()
    if binary is None:
        raise SearchUnavailable(
            "the Pagefind binary is not installed for this platform; the site is built without search"
        )
    page_digest = digest_of or (lambda path: region_digest(read(path)))
    fingerprints = [_fingerprint(binary, part, page_digest) for part in parts]
    kept = [
        _kept_bundle(fingerprint, part.bundle + INPUT_NAME, previous, previous_file)
        for part, fingerprint in zip(parts, fingerprints, strict=True)
    ]
    # Pagefind files differ between runs on the same input (its filters' hash-map order): unchanged pages keep
    # their bundle, so a build without changes writes no index file. The others are indexed side by side.
    made = _index_parts(
        binary, [part for part, found in zip(parts, kept, strict=True) if found is None], read, started, meanwhile, into
    )
    files: list[StepOutput] = []
    for part, fingerprint, found in zip(parts, fingerprints, kept, strict=True):
        if found is not None:
            files += found
            continue
        bundle = [(part.bundle + path, file) for path, file in made[part.bundle]]
        digests = b"".join(b"\n" + _digest(file.read_bytes()) + b" " + path.encode() for path, file in bundle)
        files += [*bundle, (part.bundle + INPUT_NAME, fingerprint + digests)]
    bundles = {"bundles": [part.bundle for part in parts]}
    return [*files, (BUNDLES, (json.dumps(bundles, indent=1) + "\n").encode())]


class _Indexing:
    """The Pagefind processes of one index, so that whatever stops the build stops every one of them at once: those
    running are killed, and a part still copying its pages, or about to start, gives up."""

    def __init__(self, started: Callable[[subprocess.Popen[str]], None] | None) -> None:
        self.started = started  # the preview's: each process is handed over, and runs at low priority
        self.stopping = False
        self._running: set[subprocess.Popen[str]] = set()
        self._guard = threading.Lock()

    def track(self, process: subprocess.Popen[str]) -> None:
        with self._guard:
            self._running.add(process)
            if self.stopping:
                process.kill()
        if self.started is not None:
            self.started(process)

    def stop(self) -> None:
        with self._guard:
            self.stopping = True
            for process in self._running:
                process.kill()


def _index_parts(
    binary: Path,
    parts: Sequence[Part],
    read: Callable[[str], bytes],
    started: Callable[[subprocess.Popen[str]], None] | None,
    meanwhile: Callable[[], None],
    into: Path,
) -> dict[str, list[tuple[str, Path]]]:
    """Each part's bundle files (their paths in the bundle, and the files Pagefind left in ``into``), by bundle.
    Parts are indexed side by side, one Pagefind per core as far as the memory budget holds them (one at a time,
    at low priority, in the preview): each spends part of its time in one thread. ``meanwhile`` is called once
    they run (not at all when there is nothing to index)."""
    wanted = 1 if started is not None else max(1, min(os.cpu_count() or 1, 4))
    together = affordable(PAGEFIND_PAGE_MEMORY * max((len(part.pages) for part in parts), default=0), wanted)
    indexing = _Indexing(started)
    pool = ThreadPoolExecutor(max_workers=together, thread_name_prefix="pagefind")
    try:
        jobs = {part.bundle: pool.submit(_run_pagefind, binary, part, read, indexing, into) for part in parts}
        if jobs:
            meanwhile()
        waiting = set(jobs.values())
        while waiting:
            # In short waits: a signal the kernel hands to one of the pool's threads wakes the main thread only
            # when it next runs Python, and an interrupt must not wait for a whole part to be indexed.
            done, waiting = wait(waiting, timeout=0.05, return_when=FIRST_EXCEPTION)
            for job in done:
                job.result()  # a part that failed stops the others
        return {bundle: job.result() for bundle, job in jobs.items()}
    except BaseException:
        indexing.stop()
        raise
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _kept_bundle(
    fingerprint: bytes, input_path: str, previous: Collection[str], previous_file: Callable[[str], Path] | None
) -> list[StepOutput] | None:
    """The bundle as published, if it was made from the same pages and every file of it is still as made."""
    if previous_file is None or input_path not in previous:
        return None
    made_from, *listed = previous_file(input_path).read_bytes().split(b"\n")
    if made_from != fingerprint or not listed:
        return None
    kept: list[StepOutput] = [(input_path, previous_file(input_path))]
    for line in listed:
        digest, _, name = line.partition(b" ")
        path = name.decode("utf-8", "replace")
        if path not in previous:
            return None
        file = previous_file(path)
        if _digest(file.read_bytes()) != digest:
            return None  # damaged since: made again
        kept.append((path, file))
    return kept


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).hexdigest().encode()


def _fingerprint(binary: Path, part: Part, digest_of: Callable[[str], bytes]) -> bytes:
    digest = hashlib.blake2b(binary.name.encode() + b"\0" + part.key.encode(), digest_size=16)
    for path in part.pages:
        digest.update(path.encode() + b"\0" + digest_of(path))
    return digest.hexdigest().encode()


def region_digest(page: bytes) -> bytes:
    return hashlib.blake2b(indexed_document(page), digest_size=16).digest()


def indexed_document(page: bytes) -> bytes:
    """What Pagefind is given of a page: its ``<html>`` tag (the language) and the element marked
    ``data-pagefind-body`` to the end of ``<main>``. The theme keeps every indexed element, filter and meta there;
    the sidebar's "More on", which a new story elsewhere changes, lies after it, and its pictures must not become
    the page's. Less to parse, and a page whose document is the same indexes the same. A page without that
    shape is given whole."""
    marked = page.find(b"data-pagefind-body")
    start = page.rfind(b"<", 0, marked)
    end = page.find(b"</main>", marked)
    if marked < 0 or start < 0 or end < 0:
        return page
    opened = page.find(b"<html")
    html = page[opened : page.index(b">", opened) + 1] if 0 <= opened < start else b"<html>"
    return html + b"<body>" + page[start : end + len(b"</main>")] + b"</body></html>"


def scratch_folder() -> Path | None:
    """tmpfs when there is one: Pagefind reads and writes thousands of small files."""
    shm = Path("/dev/shm")
    return shm if shm.is_dir() and os.access(shm, os.W_OK) else None


def scratch(kind: str) -> Path:
    """A new scratch folder named after this process; first, remove those of ``kind`` whose process is gone.

    A build killed with -9 cannot clean up, and tmpfs is memory: the next one does it.
    """
    parent = scratch_folder() or Path(tempfile.gettempdir())
    prefix = f"newsdigest-{kind}-"
    for old in parent.glob(prefix + "*"):
        pid = old.name[len(prefix) :].split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=parent))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _run_pagefind(
    binary: Path, part: Part, read: Callable[[str], bytes], indexing: _Indexing, into: Path
) -> list[tuple[str, Path]]:
    folder = scratch("search")
    try:
        site, bundle = folder / "site", into / part.key
        for path in part.pages:
            if indexing.stopping:
                raise SearchUnavailable("the build was stopped")
            target = site / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(indexed_document(read(path)))
        command = [str(binary), "--site", str(site), "--output-path", str(bundle), "--silent"]
        if indexing.started is not None and shutil.which("nice"):
            command = ["nice", "-n", "10", *command]
        try:
            with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
                indexing.track(process)
                try:
                    stdout, stderr = process.communicate(timeout=TIMEOUT)
                except BaseException:  # timed out, or the build was interrupted: Pagefind must not outlive it
                    process.kill()
                    raise
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SearchUnavailable(f"Pagefind could not run ({exc}); the site is built without search") from None
        if process.returncode != 0:
            detail = (stderr or stdout).strip().splitlines()[-1:] or [f"exit status {process.returncode}"]
            raise SearchUnavailable(f"Pagefind failed ({detail[0]}); the site is built without search")
        return [
            (path.relative_to(bundle).as_posix(), path)
            for path in sorted(bundle.rglob("*"))
            if path.is_file() and not path.name.startswith(UNUSED_UI)
        ]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
