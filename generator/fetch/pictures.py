"""The size of a feed's picture, read from its first bytes.

Feeds seldom give a picture's width and height (enclosures never do), and
the build drops a picture without them (the page would shift as it loads).
A picture's header says its size, so asking for the first 64 KB (a ``Range``
request; a server that ignores it is cut off there) is enough, and nothing is
decoded.
"""

from __future__ import annotations

import io
from dataclasses import replace

from generator.net.download import FetchError, Limits, get

PROBE_BYTES = 64 * 1024
MAX_PIXELS = 100_000_000  # a picture claiming more is a decompression bomb or a broken header, not a news photo


def picture_size(url: str, limits: Limits, agent: str) -> tuple[int, int] | None:
    """(width, height), or None if the picture cannot be fetched or is not one Pillow knows."""
    from PIL import Image, UnidentifiedImageError  # only fetch needs Pillow here; builds never pay for the import

    probe = replace(limits, max_bytes=PROBE_BYTES, total_timeout=min(limits.total_timeout, 10.0))
    try:
        response = get(
            url, {"Range": f"bytes=0-{PROBE_BYTES - 1}", "Accept": "image/*", "User-Agent": agent}, probe, truncate=True
        )
        content_type = response.headers.get("content-type", "image/")
        if not content_type.startswith("image/"):
            return None
        with Image.open(io.BytesIO(response.body)) as picture:
            width, height = picture.size
    except (FetchError, Image.DecompressionBombError, UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return None
    return (width, height) if 0 < width and 0 < height and width * height <= MAX_PIXELS else None
