"""What is staged after the pages: static files, content assets, and the steps that run after rendering (the
search index)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from generator.build.state import BuildState
from generator.build.transaction import StrictStepFailure
from generator.core.models import Problem
from generator.core.options import BuildOptions, BuildResult, OutputStep, StepInput
from generator.publish.static_files import copy_files
from generator.publish.write import Publisher
from generator.search.pagefind import BUNDLE, SearchUnavailable, scratch


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
            if isinstance(data, Path):
                publisher.put_file(path, data)
            else:
                publisher.put(path, data)
    return problems, failed


def stage_files_and_steps(
    publisher: Publisher,
    state: BuildState,
    options: BuildOptions,
    steps: Sequence[OutputStep],
    static: dict[str, Path],
    result: BuildResult,
    while_waiting: Callable[[], None] = lambda: None,
) -> Any:
    """Copy the static files and content assets, then run the steps; returns what was copied (for the state).
    Raises :class:`StrictStepFailure` when a step could not run under ``--strict``."""
    assert state.index is not None and state.config is not None
    copies = {**static, **{path: options.content_dir / path for path in state.content.assets}}
    copied, copy_problems = copy_files(
        publisher, copies, state.copied, state.asset_names, frozenset(state.content.assets)
    )
    result.problems += copy_problems
    folder = scratch("steps")
    try:
        step_input = StepInput(
            state.index,
            state.config,
            state.pages,
            publisher.read,
            publisher.owned,
            publisher.published_file,
            restaged=publisher.staged_paths(),
            memo=state.step_memo,
            while_waiting=while_waiting,
            scratch=folder,
        )
        problems, result.failed = run_steps(steps, step_input, publisher, options.strict)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    result.problems += problems
    if result.failed:
        raise StrictStepFailure
    return copied
