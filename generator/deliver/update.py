"""``newsdigest update``: what a scheduler runs. fetch (when there is a feeds file) -> build -> send the edition of
each day that closed since the last one sent, in the site's time zone; under one lock, so two runs never overlap,
and safe to run again at any time (what was fetched, built or sent is not done twice).

Exit status, for a scheduler to act on: 0 done; 1 failed (the build, a refused login or address; needs a person);
2 unusable settings; 75 (EX_TEMPFAIL) try again later (another run holds the lock, the mail server could not be
reached or the connection was lost).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from generator.build.builder import Builder
from generator.core.config import load_config
from generator.core.locks import LockHeld, locked
from generator.core.options import BuildOptions, BuildResult
from generator.deliver.message import edition_days
from generator.deliver.send import SendReport, check_sending, send_edition, site_ledger
from generator.deliver.smtp import SendError
from generator.fetch import FetchResult, fetch
from generator.fetch.feedlist import FeedListError, NoFeedsYet
from generator.fetch.store import FetchBusy
from generator.index.days import local_day_now

DONE, FAILED, TRY_LATER = 0, 1, 75
CATCH_UP_DAYS = 7  # after a long pause, the editions of at most this many closed days are sent (oldest first)


@dataclass
class UpdateReport:
    fetched: FetchResult | None = None
    built: BuildResult | None = None
    sent: list[SendReport] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # problems, one line each, in order
    status: int = DONE

    def fail(self, line: str, status: int = FAILED) -> None:
        """Note a problem; the status says the worst so far (a failure that needs a person over one that may
        pass by itself)."""
        self.lines.append(line)
        self.status = max(self.status, status, key=(DONE, TRY_LATER, FAILED).index)

    def summary(self) -> str:
        parts = []
        if self.fetched is not None:
            parts.append(f"{self.fetched.written} new articles from {len(self.fetched.reports)} feeds")
        if self.built is not None:
            parts.append(
                "build failed" if self.built.failed else f"{self.built.pages} pages ({self.built.rendered} rendered)"
            )
        editions = [f"{r.day.isoformat()} to {len(r.accepted)}" for r in self.sent if r.accepted]
        parts.append(f"sent {', '.join(editions)}" if editions else "no edition to send")
        return "update: " + "; ".join(parts) + "."


def days_to_send(closed_days: list[date], last_sent: date | None, last_unfinished: bool) -> list[date]:
    """The closed days (newest first as given) whose edition is due, oldest first: those after the last day
    sent, at most :data:`CATCH_UP_DAYS`, and the last day sent again if some of its recipients are left (a run
    stopped halfway, an address deferred); with nothing sent yet, only the newest (a new site does not mail
    its archive)."""
    if last_sent is None:
        return closed_days[:1]
    due = [day for day in closed_days if day > last_sent][:CATCH_UP_DAYS]
    return sorted(due + ([last_sent] if last_unfinished and last_sent in closed_days else []))


def update(options: BuildOptions, feeds: Path | None, environment: Mapping[str, str]) -> UpdateReport:
    report = UpdateReport()
    try:
        with locked(options.cache_dir / "update.lock"):
            _update(options, feeds, environment, report)
    except LockHeld as held:
        report.fail(f"error: another update of this site is running (pid {held.holder})", TRY_LATER)
    return report


def _update(options: BuildOptions, feeds: Path | None, environment: Mapping[str, str], report: UpdateReport) -> None:
    now = options.now or datetime.now().astimezone()
    if feeds is not None:  # a fetch that fails leaves the site to be built from what there is
        try:
            report.fetched = fetch(feeds, options.content_dir, now)
        except NoFeedsYet:
            pass  # a new site: update builds and sends what content/ holds
        except FeedListError as exc:
            report.fail(f"error: {exc}")
        except FetchBusy as exc:
            report.fail(f"error: {exc}", TRY_LATER)
        for feed in report.fetched.reports if report.fetched else ():
            if feed.outcome == "failed":
                report.fail(f"warning: {feed.url}: {feed.reason}", DONE)
    builder = Builder(options)
    report.built = builder.build()
    report.lines += [p.shown_from(str(options.content_dir)) for p in report.built.problems if p.severity == "error"]
    if report.built.failed:
        report.fail(f"error: {report.built.failed}")
        return
    config = builder.state.config or load_config(options.config_path)  # a build that found nothing new loads none
    if not (config.digest.enabled and config.digest.smtp.host):
        return  # sending is not set up: update is fetch and build
    try:
        check_sending(config, environment)
        today = local_day_now(now, config.timezone)
        closed = [day for day in edition_days(builder) if day < today]
        ledger = site_ledger(options)
        last = ledger.last_day
        unfinished = last is not None and bool(ledger.editions[last].pending(config.digest.to))
        for day in days_to_send(closed, last, unfinished):
            sent = send_edition(builder, options, day, now, environment)
            report.sent.append(sent)
            for line in sent.lines()[:-1]:
                report.fail(line)
    except SendError as exc:
        report.fail(f"error: {exc}", TRY_LATER if exc.temporary else FAILED)
