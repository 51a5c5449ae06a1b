"""Load and check ``site.yaml`` into a :class:`SiteConfig`.

Read with the same YAML 1.2 loader as the content (so ``language: no`` stays
the text "no"), every problem reported as ``site.yaml:LINE: message``.
"""

from __future__ import annotations

import difflib
import re
import string
from collections.abc import Callable
from dataclasses import fields, is_dataclass
from email.headerregistry import HeaderRegistry
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from generator.core.models import (
    DigestSettings,
    ImageSettings,
    SearchSettings,
    SiteConfig,
    SmtpSettings,
    StorySettings,
)
from generator.core.urls import is_loopback
from generator.core.yaml_loader import ContentLoader, describe_yaml_error, key_line

KNOWN_KEYS = {f.name for f in fields(SiteConfig)} - {"timezone_name"}
# A section field whose site.yaml name is a Python keyword.
_YAML_NAMES = {"sender": "from"}
# The settings inside each section of site.yaml (docs/settings.md must name every one: a test checks).
SECTION_KEYS = {
    section.name: tuple(_YAML_NAMES.get(f.name, f.name) for f in fields(section.default) if f.name != "enabled")
    for section in fields(SiteConfig)
    if is_dataclass(section.default)
}
# BCP 47 in the shape sites use: language, optional script, region and variants ("en", "pt-BR", "zh-Hant-TW").
_LANGUAGE_TAG = re.compile(
    r"^[A-Za-z]{2,3}(?:-[A-Za-z]{4})?(?:-(?:[A-Za-z]{2}|[0-9]{3}))?(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*$"
)
LOCALHOST_DEFAULT = SiteConfig().base_url
SMTP_KEYS = tuple(f.name for f in fields(SmtpSettings))
SMTP_SECURITY = ("starttls", "tls", "none")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST_NAME = re.compile(rf"^(?:{_LABEL}\.)*{_LABEL}$|^\[?[0-9A-Fa-f:.]+\]?$")  # a DNS name, an IPv4 or IPv6 address


class ConfigError(Exception):
    """``site.yaml`` is unusable; the message names the file, the line and the key."""


def load_config(path: Path | None) -> SiteConfig:
    """Read ``path``; ``None`` gives the defaults. A path that does not exist is an error."""
    if path is None:
        return SiteConfig()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the site settings: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not valid UTF-8") from None
    try:
        raw = yaml.load(text, Loader=ContentLoader) or {}
    except yaml.YAMLError as exc:
        line, message = describe_yaml_error(exc)
        raise ConfigError(f"{path}:{line}: {message}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}:1: expected a mapping of settings")
    return parse_config(raw, str(path), text)


def parse_config(raw: dict[str, Any], where: str = "site.yaml", text: str = "") -> SiteConfig:
    def fail(key: str, message: str) -> ConfigError:
        line = key_line(text, key)
        return ConfigError(f"{where}:{line}: {message}" if line else f"{where}: {message}")

    def fail_in(section: str, key: str, message: str) -> ConfigError:
        """At the line of ``key`` inside ``section`` (else of the section)."""
        line = key_line(text, section)
        if line and key:
            match = re.compile(rf"^[ \t]+{re.escape(key)}[ \t]*:", re.M).search(
                text, sum(map(len, text.splitlines(True)[:line]))
            )
            line = text.count("\n", 0, match.start()) + 1 if match else line
        return ConfigError(f"{where}:{line}: {message}" if line else f"{where}: {message}")

    for key in sorted(map(str, raw)):
        if key not in KNOWN_KEYS:
            close = difflib.get_close_matches(key.lower().replace("-", "_"), sorted(KNOWN_KEYS), n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else f" (known: {', '.join(sorted(KNOWN_KEYS))})"
            raise fail(key, f"unknown setting {key!r}{hint}")
    defaults = SiteConfig()
    base_url = str(raw.get("base_url", defaults.base_url))
    try:
        base_url = normalise_base_url(base_url)
    except ValueError as exc:
        raise fail("base_url", str(exc)) from None
    tz_name = str(raw.get("timezone", defaults.timezone_name))
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise fail(
            "timezone", f"unknown timezone {tz_name!r}: use an IANA name such as 'Europe/London' or 'UTC'"
        ) from None
    language = raw.get("language", defaults.language)
    if not isinstance(language, str) or not _LANGUAGE_TAG.match(language):
        raise fail("language", f"language must be a BCP 47 tag such as 'en' or 'pt-BR', got {language!r}")
    numbers = {}
    for key in ("page_size", "max_topics_per_article", "max_article_bytes"):
        value = raw.get(key, getattr(defaults, key))
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise fail(key, f"{key} must be a positive whole number, got {value!r}")
        numbers[key] = value
    return SiteConfig(
        digest=_digest(raw.get("digest", {}), lambda message, key="": fail_in("digest", key, message)),
        search=_search(raw.get("search", True), lambda message: fail("search", message)),
        stories=_stories(raw.get("stories", True), lambda message: fail("stories", message)),
        images=_images(raw.get("images", {}), lambda message: fail("images", message)),
        title=_one_line(raw.get("title", defaults.title), lambda message: fail("title", message), "title"),
        description=str(raw.get("description", defaults.description) or ""),
        base_url=base_url,
        language=language,
        timezone=tz,
        timezone_name=tz_name,
        page_size=numbers["page_size"],
        max_topics_per_article=numbers["max_topics_per_article"],
        max_article_bytes=numbers["max_article_bytes"],
    )


def _stories(value: Any, fail: Callable[[str], ConfigError]) -> StorySettings:
    """``stories: false`` turns grouping off; ``stories: {window_hours: 48}`` sets its window."""
    enabled, hours = _switch(
        "stories",
        "window_hours",
        "a whole number of hours from 1 to 744",
        range(1, 24 * 31 + 1),
        StorySettings.window_hours,
        value,
        fail,
    )
    return StorySettings(enabled=enabled, window_hours=hours)


def _search(value: Any, fail: Callable[[str], ConfigError]) -> SearchSettings:
    """``search: false`` turns the index off; ``search: {split_above: N}`` caps the pages of one part of it."""
    enabled, pages = _switch(
        "search",
        "split_above",
        "a positive whole number of pages",
        range(1, 2**31),
        SearchSettings.split_above,
        value,
        fail,
    )
    return SearchSettings(enabled=enabled, split_above=pages)


def _switch(
    name: str, setting: str, expected: str, allowed: range, default: int, value: Any, fail: Callable[[str], ConfigError]
) -> tuple[bool, int]:
    """A feature that is ``true``, ``false`` or a mapping with its one numeric setting (which means on)."""
    if isinstance(value, bool):
        return value, default
    if not isinstance(value, dict) or set(map(str, value)) - {setting}:
        raise fail(f"{name} must be true, false or a mapping with {setting}, got {value!r}")
    number = value.get(setting, default)
    if not isinstance(number, int) or isinstance(number, bool) or number not in allowed:
        raise fail(f"{name}.{setting} must be {expected}, got {number!r}")
    return True, number


def _images(value: Any, fail: Callable[[str], ConfigError]) -> ImageSettings:
    """``images: {mirror: true, max_bytes: 15000000, timeout: 20}``: the image mirror (off unless asked)."""
    if not isinstance(value, dict) or set(map(str, value)) - set(SECTION_KEYS["images"]):
        raise fail(f"images must be a mapping of mirror (true or false), max_bytes and timeout, got {value!r}")
    settings: dict[str, Any] = {}
    if "mirror" in value:
        if not isinstance(value["mirror"], bool):
            raise fail(f"images.mirror must be true or false, got {value['mirror']!r}")
        settings["mirror"] = value["mirror"]
    if "max_bytes" in value:
        size = value["max_bytes"]
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise fail(f"images.max_bytes must be a positive whole number, got {size!r}")
        settings["max_bytes"] = size
    if "timeout" in value:
        seconds = value["timeout"]
        if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or not 0 < seconds <= 600:
            raise fail(f"images.timeout must be a number of seconds from 0 to 600, got {seconds!r}")
        settings["timeout"] = float(seconds)
    return ImageSettings(**settings)


# Characters that break a line somewhere: in an e-mail header each would start a new header or fail to encode.
_LINE_BREAKS = re.compile("[\x00-\x1f\x7f\x85\u2028\u2029]")
SUBJECT_FIELDS = ("title", "date")


def _one_line(value: Any, fail: Callable[[str], ConfigError], name: str) -> str:
    text = str(value)
    if _LINE_BREAKS.search(text):
        raise fail(f"{name} must be one line of text without control characters or line separators, got {text!r:.80}")
    return text


def subject_line(template: str, **values: str) -> str:
    """``template`` with its ``{title}`` and ``{date}`` filled in (nothing else: no attribute or index access)."""
    return "".join(
        literal + (values[field] if field is not None else "")
        for literal, field, _spec, _conversion in string.Formatter().parse(template)
    )


def _subject_problem(template: str) -> str | None:
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        return f"digest.subject is not a valid template ({exc})"
    for _literal, field, spec, conversion in parts:
        if field is not None and (field not in SUBJECT_FIELDS or spec or conversion):
            return f"digest.subject may use only {{title}} and {{date}}, not {{{field}}}"
    return None


def _address_problem(key: str, value: str) -> str | None:
    header = HeaderRegistry()(key, value)
    addresses = getattr(header, "addresses", ())
    if header.defects or not addresses or not all(a.username and a.domain and "." in a.domain for a in addresses):
        return f"digest.{key} must be an e-mail address such as 'News <news@example.org>', got {value!r:.80}"
    return None


def _digest(value: Any, fail: Callable[..., ConfigError]) -> DigestSettings:
    """``digest: false`` (no day pages), ``true``, or the e-mail edition's settings
    (``{email_stories: 20, subject: ..., from: ..., to: ..., unsubscribe: ..., subscribe_url: ...}``)."""
    if isinstance(value, bool):
        return DigestSettings(enabled=value)
    if not isinstance(value, dict):
        raise fail(f"digest must be true, false or a mapping of e-mail settings, got {value!r}")
    known = set(SECTION_KEYS["digest"])
    unknown = sorted(set(map(str, value)) - known)
    if unknown:
        raise fail(f"unknown digest setting {unknown[0]!r} (known: {', '.join(sorted(known))})")
    settings: dict[str, Any] = {}
    if "email_stories" in value:
        count = value["email_stories"]
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 200:
            raise fail(f"digest.email_stories must be a whole number from 1 to 200, got {count!r}")
        settings["email_stories"] = count
    for key in ("subject", "from", "unsubscribe", "subscribe_url"):
        if key in value:
            text = _text_line(value[key], f"digest.{key}", partial(_failing_at, fail, key))
            problem = (
                _subject_problem(text)
                if key == "subject"
                else _address_problem(key, text)
                if key == "from"
                else _link_problem(key, text)
            )
            if problem:
                raise fail(problem, key)
            settings[{yaml: name for name, yaml in _YAML_NAMES.items()}.get(key, key)] = text
    if "to" in value:
        settings["to"] = _recipients(value["to"], lambda message: fail(message, "to"))
    if "smtp" in value:
        settings["smtp"] = _smtp(value["smtp"], lambda message, key="smtp": fail(message, key))
    return DigestSettings(**settings)


def _failing_at(fail: Callable[..., ConfigError], key: str, message: str) -> ConfigError:
    return fail(message, key)


def _text_line(value: Any, name: str, fail: Callable[[str], ConfigError]) -> str:
    """A setting that must be written as text (not a number or a list), on one line."""
    if not isinstance(value, str):
        raise fail(f"{name} must be text, got {value!r:.80}")
    return _one_line(value, fail, name)


def _recipients(value: Any, fail: Callable[[str], ConfigError]) -> tuple[str, ...]:
    """``to:``: one address, several separated by commas, or a list of them (each checked)."""
    given = value if isinstance(value, list) else [value]
    found: list[str] = []
    for item in given:
        text = _text_line(item, "digest.to", fail)
        header = HeaderRegistry()("to", text)
        for address in getattr(header, "addresses", ()) or [None]:
            problem = _address_problem("to", str(address) if address is not None else text)
            if problem:
                raise fail(problem)
            found.append(str(address))
    if len(set(a.lower() for a in found)) != len(found):
        raise fail("digest.to names one address twice")
    return tuple(found)


def _smtp(value: Any, fail: Callable[..., ConfigError]) -> SmtpSettings:
    """``smtp: {host, port, security}``; the login is refused here (it belongs in the environment)."""
    if not isinstance(value, dict):
        raise fail(f"digest.smtp must be a mapping such as {{host: smtp.example.org}}, got {value!r:.80}")
    for key in map(str, value):
        if key.lower() in ("user", "username", "login", "password", "pass"):
            raise fail(
                f"digest.smtp.{key}: the SMTP login is read from the environment variables NEWSDIGEST_SMTP_USER and "
                "NEWSDIGEST_SMTP_PASSWORD, never from site.yaml",
                key,
            )
        if key not in SMTP_KEYS:
            raise fail(f"unknown digest.smtp setting {key!r} (known: {', '.join(SMTP_KEYS)})", key)
    host = _text_line(value.get("host", ""), "digest.smtp.host", lambda message: fail(message, "host"))
    if not _HOST_NAME.match(host):
        raise fail(
            f"digest.smtp.host must be a host name or address such as smtp.example.org, got {host!r:.80}", "host"
        )
    port = value.get("port", 0)
    if "port" in value and (not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535):
        raise fail(f"digest.smtp.port must be a port number from 1 to 65535, got {port!r}", "port")
    security = value.get("security", SmtpSettings.security)
    if security not in SMTP_SECURITY:
        raise fail(f"digest.smtp.security must be one of {', '.join(SMTP_SECURITY)}, got {security!r}", "security")
    if security == "none" and not is_loopback(host):
        raise fail(
            "digest.smtp.security: none sends the login and the edition in the clear; it is allowed only to this "
            f"machine (localhost, 127.0.0.1, ::1), not to {host!r}",
            "security",
        )
    return SmtpSettings(host=host, port=port, security=security)


def _link_problem(key: str, value: str) -> str | None:
    """One http(s) URL or mailto: address (List-Unsubscribe puts it inside <...>, so none of ``<>,`` or spaces)."""
    problem = f"digest.{key} must be one http(s) URL or mailto: address, got {value!r:.80}"
    if not value.startswith(("https://", "http://", "mailto:")) or re.search(r"[\s<>,\"]", value):
        return problem
    if value.startswith("http") and not urlsplit(value).hostname:
        return problem
    return None


def normalise_base_url(base_url: str) -> str:
    """An absolute http(s) URL ending in "/"; ValueError otherwise."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"base_url must be an absolute http(s) URL, got {base_url!r}")
    if parts.query or parts.fragment or "?" in base_url or "#" in base_url or re.search(r"\s", base_url):
        raise ValueError(
            f"base_url must be the site's address alone, with no query, fragment or spaces, got {base_url!r}"
        )
    return base_url if base_url.endswith("/") else base_url + "/"
