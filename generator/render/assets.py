"""Fingerprinted names for the theme's stylesheets and scripts: ``css/site.css`` -> ``css/site.3f2a9c1b.css``.

Pages link the fingerprinted name, so a host or CDN can cache it forever
(``Cache-Control: immutable``): a changed file gets a new name. The plain
name is published too, for links written by hand.
"""

from __future__ import annotations

import hashlib
from pathlib import Path, PurePosixPath

FINGERPRINTED = (".css", ".js")


def fingerprinted_names(files: dict[str, Path]) -> dict[str, str]:
    """Output path -> fingerprinted output path, for every stylesheet and script among ``files``."""
    names = {}
    for path, source in sorted(files.items()):
        if path.endswith(FINGERPRINTED):
            try:
                digest = hashlib.sha256(source.read_bytes()).hexdigest()[:10]
            except OSError:
                continue  # reported when it is copied
            pure = PurePosixPath(path)
            names[path] = str(pure.with_name(f"{pure.stem}.{digest}{pure.suffix}"))
    return names
