"""Helpers for writing article files in the crawler's format and building sites."""
from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from bs4 import BeautifulSoup

from generator.build.builder import BuildOptions, BuildResult, build

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)


def article_fields(n: int = 0, **overrides: Any) -> dict[str, Any]:
    """A complete, valid article's front matter; ``overrides`` replace or (with None) remove fields."""
    fields: dict[str, Any] = {
        "title": f"Story number {n}",
        "excerpt": f"Summary of story {n}.",
        "publishedDateTime": f"2026-11-{(n % 20) + 1:02d}T{n % 24:02d}:00:00Z",
        "webUrl": f"https://outlet{n % 3}.example/story-{n}",
        "type": "article",
        "quality": n,
        "heat": n % 7,
        "provider": {"name": f"Outlet {n % 3}", "domain": f"outlet{n % 3}.example"},
        "topics": ["AI"],
        "images": [{"url": f"https://img.example/{n}.jpg", "width": 800, "height": 450}],
        "secured": f"SECRET-BLOB-{n}",
    }
    for key, value in overrides.items():
        if value is None:
            fields.pop(key, None)
        else:
            fields[key] = value
    return fields


def write_article(content: Path, name: str, fields: dict[str, Any], body: str = "") -> Path:
    path = content / name
    path.parent.mkdir(parents=True, exist_ok=True)
    front = yaml.safe_dump(fields, sort_keys=False, allow_unicode=True)
    path.write_text(f"---\n{front}---\n{body}", encoding="utf-8")
    return path


def write_config(site: Path, **settings: Any) -> Path:
    path = site / "site.yaml"
    site.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"title": "Test Digest", "base_url": "https://news.example/", **settings}))
    return path


def build_site(site: Path, **options: Any) -> BuildResult:
    config = site / "site.yaml"
    return build(BuildOptions(
        content_dir=site / "content",
        output_dir=site / "public",
        config_path=config if config.exists() else None,
        **{"now": NOW, **options},
    ))


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def snapshot(folder: Path, search: bool = False) -> dict[str, bytes]:
    """Every file's bytes except the generator's bookkeeping: the ownership mark (a preview's and a site's
    differ by purpose) and, in an output that is a mount point, the lock holding a pid. The search bundle
    only with ``search``: Pagefind names some files differently on each run over the same pages, so two
    independent builds agree on the pages it indexes, not on its bytes (tests/site/test_search.py)."""
    files = {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*"))
             if p.is_file() and not p.name.startswith(".newsdigest")}
    return {path: p.read_bytes() for path, p in files.items() if search or not path.startswith("pagefind/")}


def internal_links(html: str) -> list[str]:
    """Site-internal href/src targets of an HTML document ("/x/", not "//host" or "https://")."""
    parsed = BeautifulSoup(html, "html.parser")
    targets = []
    for tag in parsed.find_all(True):
        for attribute in ("href", "src"):
            value = tag.get(attribute)
            if value and value.startswith("/") and not value.startswith("//"):
                targets.append(value.split("#")[0].split("?")[0])
    return targets


def broken_links(output: Path, base_path: str = "/") -> list[tuple[str, str]]:
    """(page, target) for every internal link in the output that does not resolve to a file."""
    broken = []
    for page in output.rglob("*.html"):
        for target in internal_links(page.read_text(encoding="utf-8")):
            relative = target[len(base_path):] if target.startswith(base_path) else None
            if relative is None:
                broken.append((page.relative_to(output).as_posix(), target))
                continue
            file = output / relative / "index.html" if relative == "" or relative.endswith("/") else output / relative
            if not file.is_file():
                broken.append((page.relative_to(output).as_posix(), target))
    return broken


def incomplete_files(output: Path) -> list[str]:
    """Output files that are not whole documents of their kind."""
    import json
    import xml.etree.ElementTree as ET

    bad = []
    for path in output.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        try:
            if path.suffix == ".html" and not data.rstrip().endswith(b"</html>"):
                bad.append(path.name)
            elif path.suffix == ".json":
                json.loads(data)
            elif path.suffix == ".xml":
                ET.fromstring(data)
        except ValueError:
            bad.append(path.relative_to(output).as_posix())
        except ET.ParseError:
            bad.append(path.relative_to(output).as_posix())
    return bad


def site_cache(site: Path) -> Path:
    """The build cache of ``site/public`` as build_site makes it: in the project's .cache/ beside site.yaml."""
    from generator.build.cache import cache_file

    return cache_file(site / "public", site / ".cache" / "newsdigest")


def site_lock(site: Path, output: str = "public", wait: float = 3.0) -> Any:
    """The output's lock, as a build of ``site`` takes it."""
    from generator.publish.output import OutputLock, place_of

    return OutputLock(place_of(site / output, site / ".cache" / "newsdigest"), wait=wait)


def children_of(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


# The crawler's real examples: NEWSDIGEST_FIXTURES, by default the team's shared/fixtures beside the checkout.
FIXTURES = Path(
    os.environ.get("NEWSDIGEST_FIXTURES") or Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"
)
needs_fixtures = pytest.mark.skipif(
    not (FIXTURES / "real-ai").is_dir(),
    reason=f"the crawler's real examples are not at {FIXTURES} (set NEWSDIGEST_FIXTURES to their folder); "
    "they are data from public sources, so they are not copied into this repository",
)
