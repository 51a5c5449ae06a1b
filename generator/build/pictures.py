"""With ``images: {mirror: true}``: every remote picture shown is mirrored before pages render."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from generator.build.state import BuildState
from generator.core.models import OutputPage
from generator.core.options import BuildResult
from generator.images import mirror


def mirror_pictures(
    state: BuildState,
    cache_dir: Path,
    to_render: dict[str, OutputPage],
    shown: dict[str, Any],
    result: BuildResult,
) -> tuple[mirror.ImageMirror | None, dict[str, OutputPage]]:
    """Mirror this round's pictures; ``shown`` (remote URL -> copies, read by the templates) is updated in place.
    Returns the mirror (None when off) and the pages to render: all of them when a known picture's outcome
    changed."""
    assert state.config is not None and state.index is not None and state.shown_metadata is not None
    pictures = mirror.mirror_round(
        state.config, cache_dir / "images", state.index.articles.values(), state.shown_metadata, state.mirrored
    )
    state.mirrored = pictures.outcomes
    result.problems += pictures.problems
    shown.clear()
    shown.update({url: copies for url, copies in pictures.outcomes.items() if copies is not None})
    return pictures.mirror, ({p.path: p for p in state.pages} if pictures.changed else to_render)
