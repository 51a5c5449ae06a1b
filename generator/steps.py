"""Around the pipeline: the build steps that run after rendering (the search index), and the progress bar."""
from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator, Sequence
from typing import TypeVar

from tqdm import tqdm

from .models import Problem
from .options import OutputStep, StepInput
from .search import BUNDLE, SearchUnavailable
from .write import Publisher

T = TypeVar("T")


def run_steps(steps: Sequence[OutputStep], given: StepInput, publisher: Publisher,
              strict: bool) -> tuple[list[Problem], str]:
    """Run each step and plan its files; returns (problems, why the build fails or "")."""
    problems, failed = [], ""
    for step in steps:
        try:
            outputs = list(step(given))
        except SearchUnavailable as exc:  # the rest of the site builds; the last index stays
            problems.append(Problem("search", 0, str(exc), "warning", in_content=False))
            if strict:
                failed = "the search index could not be built (--strict)"
            publisher.keep_all(path for path in publisher.owned if path.startswith(BUNDLE))
            continue
        for path, data in outputs:
            publisher.put(path, data)
    return problems, failed


def progress(items: Sequence[T], label: str, quiet: bool, started: float) -> Iterator[T]:
    """A progress bar on a terminal, shown once the build has taken a second (NEWSDIGEST_PROGRESS_AFTER)."""
    show = not quiet and sys.stderr.isatty()
    after = float(os.environ.get("NEWSDIGEST_PROGRESS_AFTER") or 1.0)
    delay = max(0.0, after - (time.perf_counter() - started))
    return iter(tqdm(items, desc=label, unit="file", delay=delay, disable=not show, leave=False))
