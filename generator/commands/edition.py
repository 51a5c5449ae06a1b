"""``newsdigest digest``: one day's e-mail edition as an RFC 5322 message (text and HTML alternatives).

Built with the standard library's :class:`email.message.EmailMessage` from the
same planned pages and templates as ``digest/<day>/email.html`` and
``email.txt``, so the message and the published edition never differ.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import urlsplit

from generator.build.builder import Builder
from generator.core.config import subject_line
from generator.core.options import BuildOptions


class EditionError(Exception):
    """No edition for that day (one line for the user)."""


def email_message(options: BuildOptions, day: date | None) -> EmailMessage:
    builder = Builder(options)
    builder.plan_only()
    index, config = builder.state.index, builder.state.config
    assert index is not None and config is not None
    if not config.digest.enabled:
        raise EditionError("the daily digest is off (digest: false in the site settings)")
    if not index.days:
        raise EditionError("no stories: there is no edition to send")
    chosen = day or next(iter(index.days))  # the newest day
    if chosen not in index.days:
        raise EditionError(f"no stories on {chosen.isoformat()}")
    pages = {
        p.path.rsplit(".", 1)[1]: p
        for p in builder.state.pages
        if p.kind == "day_email" and p.key == chosen.isoformat()
    }
    html, text = builder.render(pages["html"]).decode("utf-8"), builder.render(pages["txt"]).decode("utf-8")

    message = EmailMessage()
    message["Subject"] = subject_line(
        config.digest.subject, title=config.title, date=f"{chosen:%A} {chosen.day} {chosen:%B %Y}"
    )
    message["Date"] = format_datetime(options.now or datetime.now(timezone.utc))
    message["Message-ID"] = make_msgid(f"digest.{chosen.isoformat()}", domain=urlsplit(config.base_url).hostname)
    if config.digest.sender:
        message["From"] = config.digest.sender
    if config.digest.to:
        message["To"] = config.digest.to
    if config.digest.unsubscribe:
        message["List-Unsubscribe"] = f"<{config.digest.unsubscribe}>"
        if config.digest.unsubscribe.startswith("https://"):  # RFC 8058 one-click needs an HTTPS URI
            message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text, charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    return message
