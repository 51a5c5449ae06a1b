"""``newsdigest init DIR``: a new site with settings, two sample articles, metadata examples and a feeds list."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

SITE = Path(__file__).resolve().parent / "site"


def init_site(folder: Path) -> int:
    """Copy the sample site into ``folder``, which must not exist or be empty. Returns an exit status."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        print(f"error: {folder}: already exists and is not an empty folder; nothing was written", file=sys.stderr)
        return 2
    try:
        shutil.copytree(SITE, folder, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    except OSError as exc:
        print(f"error: {exc.filename or folder}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(
        f"Created a news-digest site in {folder}. Next:\n"
        f"  cd {folder}\n"
        "  newsdigest fetch    # after listing feeds in feeds.yaml: their new entries into content/\n"
        "  newsdigest serve    # preview with live reload\n"
        "  newsdigest build    # publish into public/"
    )
    return 0
