"""One day's e-mail edition as an RFC 5322 message (text and HTML alternatives).

Built with the standard library's :class:`email.message.EmailMessage` from the
same planned pages and templates as ``digest/<day>/email.html`` and
``email.txt``, so the message and the published edition never differ.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import urlsplit

from generator.build.builder import Builder
from generator.core.config import subject_line
from generator.core.models import SiteConfig
from generator.render.language import site_language


class EditionError(Exception):
    """No edition for that day (one line for the user)."""


def planned(builder: Builder) -> Builder:
    """``builder`` with an index and a plan (a build that found nothing changed loaded neither)."""
    if builder.state.index is None:
        builder.plan_only()
    return builder


def edition_days(builder: Builder) -> list[date]:
    """The days with an edition, newest first."""
    index, config = planned(builder).state.index, builder.state.config
    assert index is not None and config is not None
    return list(index.days) if config.digest.enabled else []


def edition_day(builder: Builder, day: date | None) -> date:
    """``day`` (None: the newest day with stories), checked to have an edition."""
    index, config = planned(builder).state.index, builder.state.config
    assert index is not None and config is not None
    if not config.digest.enabled:
        raise EditionError("the daily digest is off (digest: false in the site settings)")
    if not index.days:
        raise EditionError("no stories: there is no edition to send")
    chosen = day or next(iter(index.days))  # the newest day
    if chosen not in index.days:
        raise EditionError(f"no stories on {chosen.isoformat()}")
    return chosen


def email_message(builder: Builder, day: date | None, now: datetime, message_id: str = "") -> EmailMessage:
    """The edition of ``day`` (None: the newest); ``message_id``: the one it was first sent with, if any."""
    chosen = edition_day(builder, day)
    config = builder.state.config
    assert config is not None
    pages = {
        p.path.rsplit(".", 1)[1]: p
        for p in builder.state.pages
        if p.kind == "day_email" and p.key == chosen.isoformat()
    }
    html, text = builder.render(pages["html"]).decode("utf-8"), builder.render(pages["txt"]).decode("utf-8")

    message = EmailMessage()
    written = site_language(config.language, builder.options.site_dir).weekday_date(chosen)  # as the pages write it
    message["Subject"] = subject_line(config.digest.subject, title=config.title, date=written)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id or edition_message_id(config, chosen)
    if config.digest.sender:
        message["From"] = config.digest.sender
    if config.digest.to:
        message["To"] = ", ".join(config.digest.to)
    message["List-Id"] = list_id(config)
    if config.digest.unsubscribe:
        message["List-Unsubscribe"] = f"<{config.digest.unsubscribe}>"
        if config.digest.unsubscribe.startswith("https://"):  # RFC 8058 one-click needs an HTTPS URI
            message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text, charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    return message


def edition_message_id(config: SiteConfig, day: date) -> str:
    return make_msgid(f"digest.{day.isoformat()}", domain=urlsplit(config.base_url).hostname)


def list_id(config: SiteConfig) -> str:
    """RFC 2919: the site's title as the list's name, and an identifier under the site's own host name (which
    its owner controls), the same for every edition so mail programs can filter and group them."""
    host = urlsplit(config.base_url).hostname or "localhost"
    name = re.sub(r'[<>"\\]', "", config.title).strip()
    return f'"{name}" <digest.{host}>' if name else f"<digest.{host}>"
