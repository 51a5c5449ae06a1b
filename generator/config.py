"""Load and check ``site.yaml`` into a :class:`SiteConfig`."""
from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from .frontmatter import describe_yaml_error
from .models import SiteConfig

KNOWN_KEYS = {"title", "description", "base_url", "language", "timezone", "page_size"}


class ConfigError(Exception):
    """``site.yaml`` is unusable; the message names the file and the key."""


def load_config(path: Path | None) -> SiteConfig:
    """Read ``path``; a missing file (or ``None``) gives the defaults."""
    if path is None or not path.exists():
        return SiteConfig()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        line, message = describe_yaml_error(exc)
        raise ConfigError(f"{path}:{line}: {message}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}:1: expected a mapping of settings")
    return parse_config(raw, str(path))


def parse_config(raw: dict[str, Any], where: str = "site.yaml") -> SiteConfig:
    unknown = sorted(set(raw) - KNOWN_KEYS)
    if unknown:
        raise ConfigError(
            f"{where}: unknown setting {unknown[0]!r} (known: {', '.join(sorted(KNOWN_KEYS))})"
        )
    defaults = SiteConfig()
    base_url = str(raw.get("base_url", defaults.base_url))
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{where}: base_url must be an absolute http(s) URL, got {base_url!r}")
    if not base_url.endswith("/"):
        base_url += "/"
    tz_name = str(raw.get("timezone", "UTC"))
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{where}: unknown timezone {tz_name!r}") from None
    page_size = raw.get("page_size", defaults.page_size)
    if not isinstance(page_size, int) or isinstance(page_size, bool) or page_size < 1:
        raise ConfigError(f"{where}: page_size must be a positive integer, got {page_size!r}")
    return SiteConfig(
        title=str(raw.get("title", defaults.title)),
        description=str(raw.get("description", defaults.description) or ""),
        base_url=base_url,
        language=str(raw.get("language", defaults.language)),
        timezone=tz,
        timezone_name=tz_name,
        page_size=page_size,
    )
