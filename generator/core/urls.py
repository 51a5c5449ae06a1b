"""The URL map, in one place. Paths are relative to the site root ("news/x/")."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from datetime import date

ARTICLES = "news/"


def home_path(page: int = 1) -> str:
    return "" if page == 1 else f"page/{page}/"


def article_path(slug: str) -> str:
    return f"{ARTICLES}{slug}/"


def topics_path() -> str:
    return "topics/"


def topic_path(slug: str, page: int = 1) -> str:
    return f"topics/{slug}/" + ("" if page == 1 else f"page/{page}/")


def providers_path() -> str:
    return "providers/"


def provider_path(key: str, page: int = 1) -> str:
    return f"providers/{key}/" + ("" if page == 1 else f"page/{page}/")


def digest_path() -> str:
    return "digest/"


def day_path(day: date) -> str:
    return f"digest/{day.isoformat()}/"


def month_path(year: int, month: int) -> str:
    return f"digest/{year:04d}/{month:02d}/"


def story_path(story_id: str) -> str:
    return f"stories/{story_id}/"


def output_file(path: str) -> str:
    """The file that serves a URL path: "news/x/" -> "news/x/index.html"."""
    return path + "index.html" if path == "" or path.endswith("/") else path


def url_path(output: str) -> str:
    """The URL path a file serves, the inverse of :func:`output_file`: "news/x/index.html" -> "news/x/"."""
    return output[: -len("index.html")] if output == "index.html" or output.endswith("/index.html") else output


def is_article_page(output: str) -> bool:
    return output.startswith(ARTICLES)


def site_url(base_path: str, target: str) -> str:
    """Link target for a page path or a site-relative asset ("/assets/x.png")."""
    if target.startswith(("http://", "https://")):
        return target
    return base_path + target.lstrip("/")


def absolute_url(base_url: str, base_path: str, target: str) -> str:
    """Absolute URL of a page path or site-relative asset; http(s) URLs pass through."""
    if target.startswith(("http://", "https://")):
        return target
    origin = base_url[: len(base_url) - len(base_path)]
    return origin + site_url(base_path, target)


def absolute_writer(base_url: str, base_path: str) -> Callable[[str], str]:
    """:func:`absolute_url` for one site, its prefix made once: templates call it for every sitemap entry."""
    prefix = absolute_url(base_url, base_path, "")

    def absolute(target: str) -> str:
        return target if target.startswith(("http://", "https://")) else prefix + target.lstrip("/")

    return absolute


def api_path(section: str, key: str | None = None, page: int = 1) -> str:
    """ "api/news/", "api/topics/<slug>/page/2/", ... (each served as index.json)."""
    path = f"api/{section}/" + (f"{key}/" if key else "")
    return path + ("" if page == 1 else f"page/{page}/")


def is_loopback(host: str) -> bool:
    """A name or address of this machine itself ("localhost", 127.0.0.0/8, ::1)."""
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
