"""What was sent: one line per event in ``sent-editions.jsonl`` beside ``site.yaml``, appended and flushed to disk
as each recipient's delivery ends, so a run killed halfway leaves a record from which the next run sends exactly
what was not sent.

Events (JSON objects, one per line):

- ``{"day": "2026-12-05", "edition": "<message-id>", "at": ...}``: an edition of the day starts (a resend starts
  another, whose recipients are counted afresh);
- ``{"day": ..., "to": "a@example.org", "outcome": "accepted" | "refused" | "deferred", "reply": ..., "at": ...}``.

Append-only, so a growing list costs one short write per recipient; a torn last line (power cut mid-write) is
ignored. It is the site's record, not a cache: keep it with the site (``make clean`` never removes it).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from email.headerregistry import HeaderRegistry
from pathlib import Path

LEDGER_NAME = "sent-editions.jsonl"
FINAL = ("accepted", "refused")  # a deferred recipient (4xx) is tried again by the next run


@dataclass
class Edition:
    """One day's latest edition as recorded: its Message-ID and each recipient's last outcome."""

    message_id: str
    outcomes: dict[str, tuple[str, str]] = field(default_factory=dict)  # address (lower case) -> (outcome, reply)

    def pending(self, recipients: Iterable[str]) -> list[str]:
        """The addresses (as configured) this edition has not reached and may still reach."""
        return [r for r in recipients if self.outcomes.get(envelope_address(r).lower(), ("",))[0] not in FINAL]

    def count(self, outcome: str) -> int:
        return sum(found == outcome for found, _reply in self.outcomes.values())


@dataclass
class Ledger:
    path: Path
    editions: dict[date, Edition] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Ledger:
        ledger = cls(path)
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return ledger
        for line in lines:
            try:
                event = json.loads(line)
                day = date.fromisoformat(event["day"])
            except (ValueError, KeyError, TypeError):
                continue  # a torn last line
            if "edition" in event:
                ledger.editions[day] = Edition(str(event["edition"]))
            elif day in ledger.editions and "to" in event:
                ledger.editions[day].outcomes[str(event["to"]).lower()] = (
                    str(event.get("outcome")),
                    str(event.get("reply", "")),
                )
        return ledger

    @property
    def last_day(self) -> date | None:
        return max(self.editions, default=None)

    def start(self, day: date, message_id: str, now: datetime) -> Edition:
        edition = self.editions[day] = Edition(message_id)
        self._append({"day": day.isoformat(), "edition": message_id, "at": now.isoformat()})
        return edition

    def record(self, day: date, recipient: str, outcome: str, reply: str, now: datetime) -> None:
        address = envelope_address(recipient)
        self.editions[day].outcomes[address.lower()] = (outcome, reply)
        self._append({"day": day.isoformat(), "to": address, "outcome": outcome, "reply": reply, "at": now.isoformat()})

    def _append(self, event: dict[str, str]) -> None:
        line = (json.dumps(event, ensure_ascii=False) + "\n").encode("utf-8")
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            os.write(fd, line)
            os.fsync(fd)  # a delivery the server accepted must not be sent twice after a power cut
        finally:
            os.close(fd)


def envelope_address(recipient: str) -> str:
    """The bare address of ``"Name <a@example.org>"`` (what SMTP's RCPT TO and the ledger use)."""
    addresses = getattr(HeaderRegistry()("to", recipient), "addresses", ())
    return addresses[0].addr_spec if addresses else recipient
