"""A publish as a transaction: claim the output, stage everything, then commit; anything that stops the staging
leaves the output as it was and marks the build's state stale, so the next build starts over."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from generator.build.reindex import shown_inputs
from generator.build.state import BuildState
from generator.core.interrupts import Interrupted
from generator.core.models import Problem
from generator.core.options import BuildOptions, BuildResult
from generator.publish.output import MARK, OutputLock, check_output, place_of
from generator.publish.swap import remove_leftovers
from generator.publish.write import Publisher


def claim_output(options: BuildOptions, preview: bool) -> OutputLock:
    """The output's lock, once the output is known not to hold the user's own files (publish/output.py); a one-off
    build then removes what an interrupted build left beside it, whatever this build turns out to do."""
    site = options.site_dir
    own = [site / "templates", site / "static", Path(__file__).resolve().parents[1]]  # the generator's code too
    check_output(
        options.output_dir,
        options.content_dir,
        own + ([options.config_path] if options.config_path else []),
        force=options.force,
        preview=preview,
    )
    lock = OutputLock(place_of(options.output_dir, options.cache_dir))
    lock.acquire()
    if not preview:
        remove_leftovers(lock.place)
    return lock


def open_publisher(
    lock: OutputLock, state: BuildState, preview: bool, allow_empty: bool, result: BuildResult
) -> Publisher:
    """The publisher for this build; an empty site over an earlier one's files is refused unless asked for
    (``result.failed`` says so)."""
    assert state.index is not None
    publisher = Publisher(lock.place, state.owned, preview=preview)
    if not state.index.articles and publisher.owned and not allow_empty:
        result.failed = (
            f"no articles to publish over the {len(publisher.owned)} files of an earlier build "
            "(--allow-empty publishes an empty site)"
        )
    return publisher


class StrictStepFailure(Exception):
    """A build step failed under --strict: nothing is published."""


class Staged:
    done = False  # every page and file is staged: the commit may follow


@contextmanager
def staging(publisher: Publisher, state: BuildState) -> Iterator[Staged]:
    """The staging half of a publish: whatever stops it leaves the output as it was, and the next build
    starting over (an interrupt leaves the staging folder to the next build; anything else removes it)."""
    staged = Staged()
    try:
        yield staged
        staged.done = True
    except StrictStepFailure:
        publisher.abort()
        publisher.finish()
        state.stale = True
    except Interrupted:  # end now: the next build of any kind removes the staging folder
        state.stale = True
        raise
    except BaseException:
        publisher.abort()
        publisher.finish()
        state.stale = True  # what is planned was not published: start over next time
        state.owned = None  # a half-done commit leaves the mark as the truth
        raise


def publishing_problems(publisher: Publisher, output_dir: Path) -> list[Problem]:
    """What publishing did around files that are not the build's: moved aside, or a mark's entry refused."""
    moved = [
        Problem(
            str(output_dir / path),
            0,
            f"not made by this build and in the way of a page; moved to {aside}",
            "warning",
            in_content=False,
        )
        for path, aside in publisher.moved_aside
    ]
    return moved + [
        Problem(
            str(output_dir / MARK),
            0,
            f"ignored the entry {entry!r}: it names no file inside the output",
            "warning",
            in_content=False,
        )
        for entry in publisher.refused_entries
    ]


def record_publish(state: BuildState, owned: frozenset[str], fingerprints: dict[str, Any], copied: Any) -> None:
    """What the state keeps of a commit: the files the output now holds, each page's fingerprint (a page that
    left the plan must not count as rendered if it ever comes back) and what was copied."""
    state.owned = owned
    state.rendered = {path: fp for path, fp in {**state.rendered, **fingerprints}.items() if path in owned}
    state.rendered_inputs = shown_inputs(state)  # every page showing a changed input has rendered
    state.copied = copied
