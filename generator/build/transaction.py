"""A publish as a transaction: stage everything, then commit; anything that stops the staging leaves the
output as it was and marks the build's state stale, so the next build starts over."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from generator.build.state import BuildState
from generator.core.interrupts import Interrupted
from generator.core.models import Problem
from generator.publish.output import MARK
from generator.publish.write import Publisher


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
    moved = [Problem(str(output_dir / path), 0, f"not made by this build and in the way of a page; moved to {aside}",
                     "warning", in_content=False) for path, aside in publisher.moved_aside]
    return moved + [Problem(str(output_dir / MARK), 0, f"ignored the entry {entry!r}: it names no file inside the output",
                            "warning", in_content=False) for entry in publisher.refused_entries]
