"""What ``fetch`` keeps beside the content: its state file, a lock, and new article files (never an old one).

The article files are the truth about which stories are present (an editor
may add, edit or delete them); the state file remembers what the files cannot:
entry ids, each feed's ETag and Last-Modified, a permanent redirect, a
server's request to wait. A lost or corrupt state costs conditional requests,
never a duplicate: stories already in the folder are found by their URLs.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from generator.content.sources import scan_content
from generator.core.atomic import write_atomically
from generator.core.locks import LockHeld, hold_lock
from generator.fetch.entries import Draft, url_key

STATE_NAME = ".fetch-state.json"
LOCK_NAME = ".fetch.lock"
STATE_VERSION = 1
HEAD_BYTES = 16 * 1024  # front matter sits at the top; a URL line further down is not the article's
_URL_LINE = re.compile(r"^(?:webUrl|originalUrl):[ \t]*(\S.*?)[ \t]*$", re.M)


class FetchBusy(Exception):
    pass


@dataclass
class FetchState:
    """Mutable on purpose: one run updates it as feeds answer, then saves it once."""

    feeds: dict[str, dict[str, Any]] = field(default_factory=dict)  # by the feed's URL in the feeds file
    keys: set[str] = field(default_factory=set)  # url_key of every story present or ever written
    ids: set[str] = field(default_factory=set)  # entry ids already handled (see entry_id_key)
    files: dict[str, str] = field(default_factory=dict)  # content-relative article path -> its url_key ("" if none)

    def knows(self, draft_key: str, id_key: str) -> bool:
        return draft_key in self.keys or (bool(id_key) and id_key in self.ids)

    def remember(self, draft_key: str, id_key: str) -> None:
        self.keys.add(draft_key)
        if id_key:
            self.ids.add(id_key)


def entry_id_key(feed_url: str, entry_id: str) -> str:
    """An id that names itself (a URL, ``tag:``, ``urn:``) counts across feeds; a bare "123" only within its feed."""
    if not entry_id:
        return ""
    return entry_id if ":" in entry_id else f"{feed_url} {entry_id}"


def load_state(content_dir: Path) -> tuple[FetchState, str]:
    """The saved state, or a fresh one and a note saying why the saved one was not used."""
    path = content_dir / STATE_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return FetchState(), ""
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return (
            FetchState(),
            f"{path}: unreadable ({type(exc).__name__}); "
            "starting afresh (stories already present are still recognised)",
        )
    if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
        return FetchState(), f"{path}: from another version; starting afresh"
    try:
        return FetchState(
            feeds={str(k): dict(v) for k, v in data["feeds"].items() if isinstance(v, dict)},
            keys={str(k) for k in data["keys"]},
            ids={str(i) for i in data["ids"]},
            files={str(k): str(v) for k, v in data["files"].items()},
        ), ""
    except (KeyError, TypeError, AttributeError):
        return FetchState(), f"{path}: incomplete; starting afresh"


def save_state(content_dir: Path, state: FetchState) -> None:
    """Written whole or not at all: a run killed while saving leaves the previous state."""
    data = {
        "version": STATE_VERSION,
        "feeds": state.feeds,
        "keys": sorted(state.keys),
        "ids": sorted(state.ids),
        "files": state.files,
    }
    write_atomically(
        content_dir / STATE_NAME, json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode(), durable=True
    )


def note_existing(content_dir: Path, state: FetchState) -> None:
    """Learn the URL of every article file not seen before (the crawler's, an editor's, a run killed before saving)."""
    present = scan_content(content_dir).articles
    known = state.files
    fresh = {rel: known[rel] if rel in known else _file_url_key(content_dir / rel) for rel in present}
    state.files = fresh
    state.keys.update(key for key in fresh.values() if key)


def _file_url_key(path: Path) -> str:
    try:
        with open(path, "rb") as source:
            head = source.read(HEAD_BYTES).decode("utf-8", "replace")
    except OSError:
        return ""
    match = _URL_LINE.search(head)
    if match is None:
        return ""
    try:
        value = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return ""
    return url_key(value) if isinstance(value, str) and value.startswith(("http://", "https://")) else ""


def write_new(content_dir: Path, draft: Draft) -> str:
    """Write ``draft`` under a name no file has: ``name.md``, else ``name-2.md``... Returns the name used.

    The text goes to a hidden temporary file first and is then linked to its
    name, which fails rather than replaces if the name exists: an editor's file
    is never overwritten, and no reader (``serve`` watching the folder) sees
    half a file.
    """
    stem = draft.file_name.removesuffix(".md")
    temporary = content_dir / f".{stem}.fetching"
    with open(temporary, "w", encoding="utf-8") as out:
        out.write(draft.text)
        out.flush()
        os.fsync(out.fileno())
    try:
        for number in range(1, 1000):
            name = f"{stem}.md" if number == 1 else f"{stem}-{number}.md"
            try:
                _link_or_create(temporary, content_dir / name, draft.text)
            except FileExistsError:
                continue
            return name
        raise FileExistsError(f"{content_dir / draft.file_name}: 999 files of that name exist")
    finally:
        temporary.unlink(missing_ok=True)


def _link_or_create(temporary: Path, target: Path, text: str) -> None:
    """Hard-link ``temporary`` to ``target``; where links are not supported, create ``target`` exclusively."""
    try:
        os.link(temporary, target)
        return
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
            raise
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)  # still never replaces a file
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)


@contextlib.contextmanager
def fetch_lock(content_dir: Path) -> Iterator[None]:
    """One ``fetch`` at a time per content folder (two would write the same story twice)."""
    try:
        fd = hold_lock(content_dir / LOCK_NAME, name_holder=False)  # in the user's content folder
    except LockHeld:
        raise FetchBusy(f"{content_dir}: another fetch is running into this folder") from None
    try:
        yield
    finally:
        os.close(fd)
