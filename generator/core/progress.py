"""The progress bar of long builds: on a terminal only, once the build has taken a second."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Progress:
    quiet: bool = True
    started: float = 0.0  # perf_counter() when the build began

    def each(self, items: Sequence[T], label: str) -> Iterator[T]:
        """``items`` as they are worked through, counted on the bar."""
        if not self._shown():
            return iter(items)
        from tqdm import tqdm  # imported only for a terminal

        return iter(tqdm(items, desc=label, **self._settings()))

    @contextmanager
    def counting(self, total: int, label: str) -> Iterator[Callable[[int], None]]:
        """A function to call with the number of items done, as work done elsewhere (workers) finishes."""
        if not self._shown():
            yield lambda count: None
            return
        from tqdm import tqdm

        bar: tqdm[None] = tqdm(total=total, desc=label, **self._settings())

        def done(count: int) -> None:
            bar.update(count)

        try:
            yield done
        finally:
            bar.close()

    def _shown(self) -> bool:
        return not self.quiet and sys.stderr.isatty()

    def _settings(self) -> dict[str, Any]:
        after = float(os.environ.get("NEWSDIGEST_PROGRESS_AFTER") or 1.0)
        delay = max(0.0, after - (time.perf_counter() - self.started))
        return {"unit": "file", "delay": delay, "leave": False}
