"""Pure: site-relative images ("/assets/logo.jpg") that name no file of the site.

The crawler's metadata points outlet logos at files the site may not have;
a reference to a missing file would be a broken image on every page that
shows the outlet. Such images are dropped (a logo falls back to a monogram)
and each missing file is reported once.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from urllib.parse import unquote, urlsplit

from generator.content.metadata import Metadata
from generator.core.models import Article, Image, Problem, Provider


def local_path(url: str) -> str | None:
    """The output path a site-relative URL names ("/assets/a.svg" -> "assets/a.svg"), None for remote URLs."""
    if not url.startswith("/") or url.startswith("//"):
        return None
    return unquote(urlsplit(url).path).lstrip("/")


def _article_images(article: Article) -> Iterable[Image]:
    yield from article.images
    if article.provider and article.provider.logo:
        yield article.provider.logo
    for story in article.related:
        if story.image:
            yield story.image
        if story.provider and story.provider.logo:
            yield story.provider.logo


def missing_images(
    articles: Iterable[Article],
    metadata: Metadata,
    available: Collection[str],
    local_images: Callable[[Article], tuple[str, ...]] | None = None,
) -> dict[str, str]:
    """Output path of each missing site-relative image -> the first file (content-relative) that uses it.
    ``local_images``: :func:`local_images_of`, or a memo of it (the preview keeps one per article)."""
    missing: dict[str, str] = {}
    users: list[tuple[str, Iterable[Image]]] = [
        (m.source, [m.logo] if m.logo else []) for m in metadata.providers.values()
    ]
    users += [(m.source, [m.image] if m.image else []) for m in metadata.topics.values()]
    for source, images in users:
        for path in filter(None, (local_path(image.url) for image in images)):
            if path not in available:
                missing.setdefault(path, source)
    images_of = local_images or local_images_of
    for article in articles:
        for path in images_of(article):
            if path not in available:
                missing.setdefault(path, article.source)
    return missing


def local_images_of(article: Article) -> tuple[str, ...]:
    """The output paths of the article's site-relative images (its own, its outlet's logo, its coverage's)."""
    return tuple(path for image in _article_images(article) if (path := local_path(image.url)) is not None)


def missing_problems(missing: dict[str, str], searched: Sequence[Path]) -> list[Problem]:
    """A warning per site-relative image that names no file, naming where it was looked for (``searched``:
    the content folder and the site's static folder, as the user named them)."""

    def looked(path: str) -> str:
        return " or ".join(str(folder / path) for folder in searched)

    return [
        Problem(source, 0, f"image /{path} is not a file of the site (looked for {looked(path)}); not shown", "warning")
        for path, source in sorted(missing.items())
    ]


def _keep(image: Image | None, missing: Collection[str]) -> Image | None:
    return None if image is None or local_path(image.url) in missing else image


def _provider(provider: Provider | None, missing: Collection[str]) -> Provider | None:
    if provider is None or provider.logo is None or _keep(provider.logo, missing):
        return provider
    return replace(provider, logo=None)


def without_missing(article: Article, missing: Collection[str]) -> Article:
    """The article with every image that names a missing file left out."""
    if not missing:
        return article
    related = tuple(
        replace(s, image=_keep(s.image, missing), provider=_provider(s.provider, missing)) for s in article.related
    )
    return replace(
        article,
        images=tuple(i for i in article.images if _keep(i, missing)),
        provider=_provider(article.provider, missing),
        related=related,
    )


def metadata_without(metadata: Metadata, missing: Collection[str]) -> Metadata:
    if not missing:
        return metadata
    providers = {k: replace(m, logo=_keep(m.logo, missing)) for k, m in metadata.providers.items()}
    topics = {k: replace(m, image=_keep(m.image, missing)) for k, m in metadata.topics.items()}
    return replace(metadata, providers=providers, topics=topics)


def references_missing(article: Article, available: Collection[str]) -> bool:
    return any((path := local_path(i.url)) is not None and path not in available for i in _article_images(article))
