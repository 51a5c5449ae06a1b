"""Ctrl-C and SIGTERM: a build ends at once, in one line, leaving the published site whole.

The command line turns both signals into :class:`Interrupted` in its main thread
(:func:`install`); the builder lets it unwind (nothing in the output changes
before the commit), and holds the signals while it commits
(:func:`held_while_publishing`), so an interrupt arriving then ends the build
just after the new site is complete, never half way. Forked workers ignore
SIGINT (the terminal sends it to the whole group: the parent alone decides) and
die of SIGTERM, which is how the parent stops them.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})


class Interrupted(BaseException):
    """A signal asked the build to stop (BaseException: no ``except Exception`` may swallow it)."""

    def __init__(self, signum: int, published: bool = False) -> None:
        super().__init__(signum, published)
        self.signum = signum
        self.published = published  # the new site had been published in full when the signal came

    @property
    def exit_status(self) -> int:
        return 128 + self.signum  # 130 for SIGINT, 143 for SIGTERM, as shells report them

    def __str__(self) -> str:
        if self.published:
            return "Interrupted: the new site was published in full (the build cache was not saved)"
        return "Interrupted: the published site is unchanged"


def _raise(signum: int, _frame: FrameType | None) -> None:
    raise Interrupted(signum)


def install() -> None:
    """From now on SIGINT and SIGTERM raise :class:`Interrupted` in the main thread."""
    for number in SIGNALS:
        signal.signal(number, _raise)


def held_from_now() -> None:
    """For the end of a command: its work is done and reported, so a signal that comes later must not turn it
    into one killed by that signal (Python puts the default handlers back while it shuts down)."""
    signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)


def in_worker() -> None:
    """For a forked worker: SIGINT is the parent's to act on; SIGTERM ends the worker at once."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def fork(record: Callable[[int], None] = lambda pid: None) -> int:
    """``os.fork()`` with SIGINT and SIGTERM held meanwhile: Python runs its after-fork hooks (logging's) then,
    and an exception raised inside one is printed and dropped, so an interrupt must wait until they are done.
    The parent hands the child's pid to ``record`` (to kill it later) before an interrupt can come; the child
    comes back with :func:`in_worker`'s dispositions."""
    before = signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
    pid = -1
    try:
        pid = os.fork()
        if pid == 0:
            in_worker()
        else:
            record(pid)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)
    return pid


@contextmanager
def held_while_publishing() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block is done; one that came meanwhile then raises
    :class:`Interrupted` with ``published=True``. (Per thread: the preview's builds run in a thread of their own,
    and its main thread takes the signals.)"""
    before = signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
    try:
        yield
    finally:
        came = sorted(signal.sigpending() & SIGNALS)
        ours = bool(came) and signal.getsignal(came[0]) is _raise  # else delivered as usual on unblocking
        for number in came if ours else ():
            signal.sigtimedwait([number], 0)  # taken here, so that it is not delivered again on unblocking
        signal.pthread_sigmask(signal.SIG_SETMASK, before)
        if ours:
            raise Interrupted(came[0], published=True)
