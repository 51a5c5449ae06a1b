"""``newsdigest digest --send``: the edition of a day to every recipient it has not reached, never twice.

Order: settings checked, the message made, then (holding the send lock) the ledger read, the server reached and
each pending recipient sent to, each outcome recorded as it ends. A second run for the same day sends nothing
unless told to resend; a run stopped halfway (a crash, a lost connection) leaves the others for the next run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlsplit

from generator.build.builder import Builder
from generator.core.locks import LockHeld, locked
from generator.core.models import SiteConfig
from generator.core.options import BuildOptions
from generator.core.urls import is_loopback
from generator.deliver.ledger import LEDGER_NAME, Ledger
from generator.deliver.message import edition_day, edition_message_id, email_message, planned
from generator.deliver.smtp import SendError, deliver_each, login_from, smtp_session


@dataclass(frozen=True)
class SendReport:
    day: date
    accepted: tuple[str, ...] = ()
    refused: tuple[tuple[str, str], ...] = ()  # (address, the server's reply)
    deferred: tuple[tuple[str, str], ...] = ()
    already: int = 0  # recipients the edition had reached before this run (nothing sent when all were)

    @property
    def failed(self) -> bool:
        return bool(self.refused or self.deferred)

    def lines(self) -> list[str]:
        """One line per refused or deferred address, then the summary."""
        day = self.day.isoformat()
        said = [f"error: {address}: refused by the SMTP server: {reply}" for address, reply in self.refused]
        said += [
            f"warning: {address}: deferred by the SMTP server ({reply}); the next run tries again"
            for address, reply in self.deferred
        ]
        if not (self.accepted or self.refused or self.deferred):
            return [f"The edition of {day} was already sent to {self.already} recipients (--resend sends it again)."]
        total = len(self.accepted) + len(self.refused) + len(self.deferred)
        before = f" ({self.already} had it already)" if self.already else ""
        return [*said, f"Sent the edition of {day} to {len(self.accepted)} of {total} recipients{before}."]


def site_ledger(options: BuildOptions) -> Ledger:
    return Ledger.load(options.site_dir / LEDGER_NAME)


def check_sending(config: SiteConfig, environment: Mapping[str, str]) -> None:
    """Everything sending needs, before anything is built or connected to."""
    digest = config.digest
    if not digest.enabled:
        raise SendError("the daily digest is off (digest: false in the site settings)")
    missing = [
        name
        for name, value in (
            ("digest.smtp.host", digest.smtp.host),
            ("digest.from", digest.sender),
            ("digest.to", digest.to),
        )
        if not value
    ]
    if missing:
        raise SendError(f"sending the edition needs {', '.join(missing)} in the site settings")
    if is_loopback(urlsplit(config.base_url).hostname or ""):
        raise SendError(f"base_url is {config.base_url}: the edition's links would point at this machine")
    login_from(environment)


def send_edition(
    builder: Builder,
    options: BuildOptions,
    day: date | None,
    now: datetime,
    environment: Mapping[str, str],
    resend: bool = False,
) -> SendReport:
    """Send the edition of ``day`` (None: the newest) to the recipients it has not reached."""
    config = planned(builder).state.config
    assert config is not None
    check_sending(config, environment)
    chosen = edition_day(builder, day)
    try:
        with locked(options.cache_dir / "send.lock"):
            return _send_pending(config, options, chosen, builder, now, environment, resend)
    except LockHeld as held:
        raise SendError(f"another run is sending the edition (pid {held.holder})", temporary=True) from None


def _send_pending(
    config: SiteConfig,
    options: BuildOptions,
    day: date,
    builder: Builder,
    now: datetime,
    environment: Mapping[str, str],
    resend: bool,
) -> SendReport:
    ledger = site_ledger(options)
    edition = ledger.editions.get(day)
    if edition is None or resend:
        edition = ledger.start(day, edition_message_id(config, day), now)
    pending = edition.pending(config.digest.to)
    already = len(config.digest.to) - len(pending)
    if not pending:
        return SendReport(day, already=already)
    message = email_message(builder, day, now, message_id=edition.message_id)
    outcomes: dict[str, list[tuple[str, str]]] = {"accepted": [], "refused": [], "deferred": []}

    def delivered(recipient: str, outcome: str, reply: str) -> None:
        ledger.record(day, recipient, outcome, reply, now)
        outcomes[outcome].append((recipient, reply))

    with smtp_session(config.digest.smtp, login_from(environment)) as smtp:
        deliver_each(smtp, message, pending, delivered)
    return SendReport(
        day,
        accepted=tuple(address for address, _reply in outcomes["accepted"]),
        refused=tuple(outcomes["refused"]),
        deferred=tuple(outcomes["deferred"]),
        already=already,
    )
