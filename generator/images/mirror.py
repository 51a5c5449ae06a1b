"""The image mirror (``images: {mirror: true}`` in site.yaml): outlets' pictures served from the site itself.

Feeds hot-link originals of up to 7,680 px that pages show at 340. With the
mirror, each remote picture is downloaded once, at build time, and published
resized (WebP, with JPEG for browsers without it) at the widths the templates
show, with ``srcset``; a picture that cannot be had keeps its remote URL, with
a warning. Downloads are careful: a timeout for connecting and one for the
whole transfer, a size cap, an image content type, a pixel cap checked before
decoding (a "decompression bomb" is refused), at most a few at once and one
per host. Everything is kept in ``.cache/newsdigest/images/`` beside the
output, so a rebuild downloads nothing; a failure is kept too, and tried
again a day later.

A picture's published files are named by its URL, and a URL's outcome is
fixed once decided, so a page that shows it renders to the same bytes on
every build (the build re-renders everything if an outcome changes).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.content.metadata import Metadata
from generator.core.atomic import write_atomically
from generator.core.models import Article, Image, Problem, SiteConfig

WIDTHS = (
    160,
    320,
    640,
    960,
    1280,
)  # the sizes written (those below the original's width, and the original's if smaller)
FOLDER = "media/"  # in the output
TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif", "image/avif")
RETRY_AFTER = 24 * 3600  # seconds before a failed picture is tried again


@dataclass(frozen=True)
class MirrorSettings:
    connect_timeout: float = 5.0  # seconds to connect
    total_timeout: float = 20.0  # seconds for a whole picture
    max_bytes: int = 15_000_000
    max_pixels: int = 50_000_000  # width x height, checked before decoding
    workers: int = 4  # downloads at once (never two to one host)


@dataclass(frozen=True)
class Mirrored:
    """A remote picture as the site serves it."""

    name: str  # output path without width and type: media/<digest of the URL>
    width: int  # of the original
    height: int
    widths: tuple[int, ...]  # the widths published, each as .webp and .jpg

    def path(self, width: int, kind: str) -> str:
        return f"{self.name}-{width}.{kind}"

    def srcset(self, kind: str) -> str:
        return ", ".join(f"{self.path(w, kind)} {w}w" for w in self.widths)

    def fallback(self) -> str:
        """The JPEG the plain ``src`` names: the largest up to 640 px."""
        return self.path(max((w for w in self.widths if w <= 640), default=self.widths[0]), "jpg")


class MirrorFailed(Exception):
    """The picture cannot be mirrored; the message says why in a few words."""


def remote_urls(images: Iterable[Image | None]) -> set[str]:
    return {image.url for image in images if image is not None and image.url.startswith(("http://", "https://"))}


class ImageMirror:
    """Mirrors pictures into a cache folder; thread-safe downloads, one folder per site output."""

    def __init__(self, folder: Path, settings: MirrorSettings = MirrorSettings()) -> None:
        self.folder = folder
        self.settings = settings
        # Imported with the first mirror: http.client and ssl were a twentieth of a second of every build's start.
        from generator.net.download import HostGate

        self._gate = HostGate()

    def prepare(self, urls: Iterable[str], now: float | None = None) -> tuple[dict[str, Mirrored], list[Problem]]:
        """Every URL's outcome: mirrored (downloaded and resized once, then from the cache) or a warning."""
        self.folder.mkdir(parents=True, exist_ok=True)
        wanted = sorted(set(urls))
        when = time.time() if now is None else now
        with ThreadPoolExecutor(max_workers=self.settings.workers) as pool:
            outcomes = list(pool.map(lambda url: self._outcome(url, when), wanted))
        mirrored: dict[str, Mirrored] = {}
        problems = []
        for url, outcome in zip(wanted, outcomes, strict=True):
            if isinstance(outcome, Mirrored):
                mirrored[url] = outcome
            else:
                problems.append(
                    Problem(
                        "images",
                        0,
                        f"picture not mirrored, linked where it is ({outcome}): {url[:120]}",
                        "warning",
                        in_content=False,
                    )
                )
        return mirrored, problems

    def files(self, mirrored: Iterable[Mirrored]) -> Iterator[tuple[str, Path]]:
        """(output path, cached file) of every published file of these pictures."""
        for picture in mirrored:
            for width in picture.widths:
                for kind in ("webp", "jpg"):
                    path = picture.path(width, kind)
                    yield path, self.folder / path.removeprefix(FOLDER)

    # --- one picture -----------------------------------------------------------------

    def _outcome(self, url: str, now: float) -> Mirrored | str:
        key = hashlib.sha256(url.encode()).hexdigest()[:32]
        record = self.folder / f"{key}.json"
        try:
            known = json.loads(record.read_text())
        except (OSError, ValueError):
            known = None
        if isinstance(known, dict) and known.get("widths"):
            return Mirrored(FOLDER + key, known["width"], known["height"], tuple(known["widths"]))
        if isinstance(known, dict) and now - float(known.get("failed_at", 0)) < RETRY_AFTER:
            return str(known.get("why", "failed before"))
        try:
            picture = self._mirror(url, key)
        except MirrorFailed as exc:
            write_atomically(record, json.dumps({"url": url, "why": str(exc), "failed_at": now}).encode())
            return str(exc)
        write_atomically(
            record,
            json.dumps(
                {"url": url, "width": picture.width, "height": picture.height, "widths": list(picture.widths)}
            ).encode(),
        )
        return picture

    def _mirror(self, url: str, key: str) -> Mirrored:
        data = self._download(url)
        from PIL import Image as PillowImage  # imported here: only sites that mirror need Pillow loaded

        PillowImage.MAX_IMAGE_PIXELS = None  # checked below, before decoding, with our own limit
        try:
            with PillowImage.open(io.BytesIO(data)) as opened:
                width, height = opened.size
                if width * height > self.settings.max_pixels:
                    raise MirrorFailed(f"{width}x{height} pixels, over the limit of {self.settings.max_pixels:,}")
                opened.seek(0)  # the first frame of an animation
                picture = opened.convert("RGBA")
        except MirrorFailed:
            raise
        except Exception as exc:  # noqa: BLE001 - Pillow raises many kinds of error on a bad file
            raise MirrorFailed(f"not a picture Pillow can read ({type(exc).__name__})") from None
        flat = PillowImage.new("RGB", picture.size, (255, 255, 255))  # JPEG has no transparency: on white
        flat.paste(picture, mask=picture.getchannel("A"))
        widths = tuple(w for w in WIDTHS if w < width) + ((width,) if width <= WIDTHS[-1] else ())
        for target in widths:
            size = (target, max(1, round(height * target / width)))
            resized = flat if size == flat.size else flat.resize(size, PillowImage.Resampling.LANCZOS)
            for kind, options in (
                ("webp", {"quality": 80, "method": 4}),
                ("jpg", {"quality": 82, "optimize": True, "progressive": True}),
            ):
                buffer = io.BytesIO()
                resized.save(buffer, "WEBP" if kind == "webp" else "JPEG", **options)
                write_atomically(self.folder / f"{key}-{target}.{kind}", buffer.getvalue())
        return Mirrored(FOLDER + key, width, height, widths)

    def _download(self, url: str) -> bytes:
        from generator.net.download import USER_AGENT, FetchError, Limits, get

        limits = Limits(
            connect_timeout=self.settings.connect_timeout,
            total_timeout=self.settings.total_timeout,
            max_bytes=self.settings.max_bytes,
        )
        try:
            with self._gate.hold(url):  # one request at a time to any host
                return get(url, {"User-Agent": USER_AGENT, "Accept": ", ".join(TYPES)}, limits, types=TYPES).body
        except FetchError as exc:
            raise MirrorFailed(str(exc)) from None


def pictures_of(articles: Iterable[Article], metadata: Metadata) -> set[str]:
    """The remote pictures pages show: lead pictures, related coverage's, outlets' logos, topics' pictures."""
    images: list[Image | None] = [meta.image for meta in metadata.topics.values()]
    images += [meta.logo for meta in metadata.providers.values()]
    for article in articles:
        images += [article.lead_image, article.provider.logo if article.provider else None]
        images += [entry.image for entry in article.related]
        images += [entry.provider.logo for entry in article.related if entry.provider]
    return remote_urls(images)


@dataclass(frozen=True)
class MirrorRound:
    """One build's pictures: what pages show for each remote URL, and whether a known outcome changed."""

    mirror: ImageMirror | None  # None when the mirror is off
    outcomes: dict[str, Mirrored | None]  # every remote picture shown -> its copies, None while it fails
    problems: list[Problem]
    changed: bool  # a picture known before has another outcome (a failed one arrived): every page renders again


def mirror_round(
    config: SiteConfig, folder: Path, articles: Iterable[Article], metadata: Metadata, known: dict[str, Mirrored | None]
) -> MirrorRound:
    """Mirror the pictures not known yet (``known``: the last build's outcomes); nothing when the mirror is off."""
    if not config.images.mirror:
        return MirrorRound(None, {}, [], False)
    mirror = ImageMirror(folder, MirrorSettings(total_timeout=config.images.timeout, max_bytes=config.images.max_bytes))
    wanted = pictures_of(articles, metadata)
    found, problems = mirror.prepare(url for url in wanted if known.get(url) is None)
    outcomes = {url: found.get(url) or known.get(url) for url in wanted}
    changed = any(url in known and known[url] != outcome for url, outcome in outcomes.items())
    return MirrorRound(mirror, outcomes, problems, changed)


def publish(publisher: Any, mirror: ImageMirror, pictures: Iterable[Mirrored]) -> None:
    """Plan every file of these pictures: kept where the output has it (its name is its content), else copied."""
    output = str(publisher.output_dir)
    for path, cached in mirror.files(pictures):
        if path in publisher.owned and os.path.exists(os.path.join(output, path)):
            publisher.keep(path)
        else:
            publisher.put_file(path, cached)
