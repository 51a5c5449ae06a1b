"""The build steps that run after rendering (the search index)."""

from __future__ import annotations

from collections.abc import Sequence

from generator.core.models import Problem
from generator.core.options import OutputStep, StepInput
from generator.publish.write import Publisher
from generator.search.pagefind import BUNDLE, SearchUnavailable


def run_steps(
    steps: Sequence[OutputStep], given: StepInput, publisher: Publisher, strict: bool
) -> tuple[list[Problem], str]:
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
