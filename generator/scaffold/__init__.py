"""``newsdigest init DIR``: a new site with settings, two sample articles, metadata examples, a feeds list, and
the recipes that run it unattended (a systemd service and timer, a cron line, a GitHub Actions workflow), written
for this folder."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

SITE = Path(__file__).resolve().parent / "site"
RECIPES = Path(__file__).resolve().parent / "recipes"
# recipe -> where it goes in the new site; {site} and {newsdigest} are filled in for this machine.
PLACED = {
    "newsdigest-update.service": "deploy/newsdigest-update.service",
    "newsdigest-update.timer": "deploy/newsdigest-update.timer",
    "crontab.txt": "deploy/crontab.txt",
    "smtp.env": "deploy/smtp.env",
    "github-update.yml": ".github/workflows/update.yml",
}


def _command() -> str:
    """How this machine runs newsdigest: the installed script, else this Python with the package."""
    script = shutil.which("newsdigest")
    return script if script else f"{sys.executable} -m generator"


def place_recipes(folder: Path) -> None:
    site = str(folder.resolve())
    for recipe, target in PLACED.items():
        text = (RECIPES / recipe).read_text(encoding="utf-8")
        if not recipe.endswith(".yml"):  # the workflow runs on GitHub's machines: nothing of this one
            text = text.replace("{site}", site).replace("{newsdigest}", _command())
        path = folder / target
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (folder / "deploy/smtp.env").chmod(0o600)  # the login will be written here


def init_site(folder: Path) -> int:
    """Copy the sample site into ``folder``, which must not exist or be empty. Returns an exit status."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        print(f"error: {folder}: already exists and is not an empty folder; nothing was written", file=sys.stderr)
        return 2
    try:
        shutil.copytree(SITE, folder, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
        place_recipes(folder)
    except OSError as exc:
        print(f"error: {exc.filename or folder}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(
        f"Created a news-digest site in {folder}. Next:\n"
        f"  cd {folder}\n"
        "  newsdigest fetch    # after listing feeds in feeds.yaml: their new entries into content/\n"
        "  newsdigest serve    # preview with live reload\n"
        "  newsdigest build    # publish into public/\n"
        "  newsdigest update   # fetch, build, send the e-mail edition: on a schedule (see deploy/)"
    )
    return 0
