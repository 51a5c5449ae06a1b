"""The search index: a build step that runs Pagefind over the pages worth finding and publishes /pagefind/.

Pagefind (its binary, from the ``pagefind[bin]`` wheel: nothing is downloaded
at run time) indexes article and story pages, and topic and outlet landing
pages with a low weight; each of those marks its indexed region with
``data-pagefind-body`` and declares its filters, meta and date sort in the
HTML, so the index and the pages agree. The pages are handed over as one
folder (the wrapper's per-page API costs about 100 ms a page). Pagefind's
output is byte-identical for identical input, so a build without changes
writes no index file.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

from .options import StepInput

INDEXED_KINDS = frozenset({"article", "story", "topic", "provider"})  # topic and provider: page 1 only
BUNDLE = "pagefind/"
INPUT = BUNDLE + "newsdigest-input.txt"  # a digest of the pages the bundle was made from
TIMEOUT = 600  # seconds: 50,000 pages take about 40 s on two cores


class SearchUnavailable(Exception):
    """Pagefind could not run; the message is one line for the user."""


def pagefind_binary() -> Path | None:
    try:
        from pagefind_bin import get_executable  # type: ignore[import-untyped]
    except ImportError:
        return None
    try:
        return Path(get_executable())
    except Exception:  # no binary for this platform
        return None


def search_index(given: StepInput) -> Iterable[tuple[str, bytes]]:
    """The Pagefind bundle of this build's pages, as (output path, bytes)."""
    if not given.config.search:
        return []
    binary = pagefind_binary()
    if binary is None:
        raise SearchUnavailable("the Pagefind binary is not installed for this platform; the site is built without search")
    pages = [p for p in given.pages if p.kind in INDEXED_KINDS and (p.kind in ("article", "story") or p.number == 1)]
    # Pagefind's filter files differ between runs on the same input (hash-map order), so unchanged input
    # keeps the last bundle: a build without changes writes no index file.
    digest = hashlib.blake2b(binary.name.encode(), digest_size=16)
    for page in sorted(pages, key=lambda p: p.path):
        digest.update(page.path.encode() + b"\0" + hashlib.blake2b(given.read(page.path), digest_size=16).digest())
    fingerprint = digest.hexdigest().encode()
    previous = sorted(path for path in given.owned if path.startswith(BUNDLE))
    published = given.published
    if published is not None and INPUT in previous and published(INPUT) == fingerprint:
        return [(path, published(path)) for path in previous]
    scratch = Path("/dev/shm") if Path("/dev/shm").is_dir() and os.access("/dev/shm", os.W_OK) else None
    with tempfile.TemporaryDirectory(prefix="newsdigest-search-", dir=scratch) as folder:
        site, bundle = Path(folder) / "site", Path(folder) / "bundle"
        for page in pages:
            target = site / page.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(given.read(page.path))
        try:
            done = subprocess.run([str(binary), "--site", str(site), "--output-path", str(bundle), "--silent"],
                                  capture_output=True, text=True, timeout=TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SearchUnavailable(f"Pagefind could not run ({exc}); the site is built without search") from None
        if done.returncode != 0:
            detail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise SearchUnavailable(f"Pagefind failed ({detail[0]}); the site is built without search")
        return [(BUNDLE + path.relative_to(bundle).as_posix(), path.read_bytes())
                for path in sorted(bundle.rglob("*")) if path.is_file()] + [(INPUT, fingerprint)]
