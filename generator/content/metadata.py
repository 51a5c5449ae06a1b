"""Optional taxonomy metadata: ``_data/topics/*.yaml`` and ``_data/organizations/*``.

Both layouts come from the system the crawler format comes from: topic files
are (multi-document) YAML, organisation files are front-matter blocks, some
without a ``.md`` ending. A topic is matched to articles by the slug of its
name, an organisation by its normalised domain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml

from generator.content.clean import clean_text, clean_url, normalize_domain, slugify
from generator.content.fields import pick_logo, sized_image
from generator.content.markup import render_markdown
from generator.core.models import Image, Problem, ProviderMeta, TopicMeta
from generator.core.yaml_loader import describe_yaml_error, load_yaml_documents

TOPICS_DIR = Path("_data") / "topics"
ORGANIZATIONS_DIR = Path("_data") / "organizations"


@dataclass(frozen=True)
class Metadata:
    topics: dict[str, TopicMeta]  # by topic slug
    providers: dict[str, ProviderMeta]  # by provider key (domain)
    problems: tuple[Problem, ...]


def load_metadata(content_dir: Path) -> Metadata:
    problems: list[Problem] = []
    topics = _load_each(content_dir, TOPICS_DIR, _topic, problems)
    providers = _load_each(content_dir, ORGANIZATIONS_DIR, _organization, problems)
    return Metadata(topics, providers, tuple(problems))


M = TypeVar("M", TopicMeta, ProviderMeta)


def _load_each(
    content_dir: Path,
    folder: Path,
    parse: Callable[[dict[str, Any], str, list[Problem]], M | None],
    problems: list[Problem],
) -> dict[str, M]:
    """Each file of one metadata folder, by the key of what it describes; the first file wins a key."""
    found: dict[str, M] = {}
    for path in _files(content_dir / folder):
        data = _first_mapping(path, content_dir, problems)
        if data is not None and (meta := parse(data, _rel(path, content_dir), problems)):
            found.setdefault(meta.key, meta)
    return found


def _files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def _rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def _first_mapping(path: Path, root: Path, problems: list[Problem]) -> dict[str, Any] | None:
    try:
        docs = load_yaml_documents(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(_rel(path, root), 1, f"cannot read metadata: {exc}", "warning"))
        return None
    except yaml.YAMLError as exc:
        line, message = describe_yaml_error(exc)
        problems.append(Problem(_rel(path, root), line, message, "warning"))
        return None
    for doc in docs:
        if isinstance(doc, dict):
            return doc
    problems.append(Problem(_rel(path, root), 1, "metadata file holds no mapping", "warning"))
    return None


def _topic(data: dict[str, Any], source: str, problems: list[Problem]) -> TopicMeta | None:
    name, _ = clean_text(data.get("name") or data.get("_id"))
    slug = slugify(name)
    if not slug:
        problems.append(Problem(source, 1, "topic metadata has no 'name'", "warning"))
        return None
    description = data.get("description")
    keywords = data["keywords"] if isinstance(data.get("keywords"), list) else []
    return TopicMeta(
        slug=slug,
        name=name,
        description_html=render_markdown(str(description)) if description else "",
        keywords=tuple(clean_text(k)[0] for k in keywords if isinstance(k, str)),
        image=_first_sized_image(data.get("images")),
        source=source,
    )


def _organization(data: dict[str, Any], source: str, problems: list[Problem]) -> ProviderMeta | None:
    domain = normalize_domain(str(data.get("domain") or data.get("_id") or ""))
    if not domain:
        problems.append(Problem(source, 1, "organization metadata has no 'domain'", "warning"))
        return None
    name, _ = clean_text(data.get("name"))
    images = data["images"] if isinstance(data.get("images"), list) else []
    logos = [img for item in images if (img := sized_image(item))]
    return ProviderMeta(key=domain, name=name or domain, domain=domain, logo=pick_logo(logos), source=source)


BANNER = (1200, 400)  # a topic's picture given without its size is shown as a 3:1 banner, cropped to fit


def _first_sized_image(value: Any) -> Image | None:
    """The first usable picture: a mapping with url and sizes, or a plain URL (the crawler's topic files)."""
    for item in value if isinstance(value, list) else []:
        if image := sized_image(item):
            return image
        if isinstance(item, str) and (url := clean_url(item)):
            return Image(url=url, width=BANNER[0], height=BANNER[1])
    return None
