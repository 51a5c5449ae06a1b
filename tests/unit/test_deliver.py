"""The pieces of delivery that need no server: which days are due, the ledger's record, the settings."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from generator.core.config import ConfigError, parse_config
from generator.deliver.ledger import Ledger
from generator.deliver.update import CATCH_UP_DAYS, days_to_send

NOW = datetime(2026, 12, 2, 6, tzinfo=timezone.utc)


def days(*numbers: int) -> list[date]:
    return [date(2026, 11, n) for n in numbers]


def test_a_new_site_sends_only_its_newest_closed_day_not_its_archive():
    assert days_to_send(days(30, 29, 28), None, False) == days(30)


def test_days_after_the_last_sent_are_due_oldest_first_and_a_long_pause_sends_at_most_a_week():
    assert days_to_send(days(30, 29, 28, 27), date(2026, 11, 28), False) == days(29, 30)
    closed = [date(2026, 11, n) for n in range(30, 10, -1)]
    due = days_to_send(closed, date(2026, 11, 11), False)
    assert len(due) == CATCH_UP_DAYS and due == sorted(due) and due[-1] == date(2026, 11, 30)


def test_the_last_day_sent_is_due_again_while_some_of_its_recipients_are_left():
    assert days_to_send(days(30, 29), date(2026, 11, 30), True) == days(30)
    assert days_to_send(days(30, 29), date(2026, 11, 30), False) == []


def test_the_ledger_keeps_each_recipients_last_outcome_and_survives_a_torn_line(tmp_path):
    ledger = Ledger.load(tmp_path / "sent.jsonl")
    edition = ledger.start(date(2026, 11, 30), "<id@news.example>", NOW)
    ledger.record(date(2026, 11, 30), "Ada <ADA@readers.example>", "accepted", "", NOW)
    ledger.record(date(2026, 11, 30), "bo@readers.example", "deferred", "451 busy", NOW)
    with (tmp_path / "sent.jsonl").open("a") as torn:
        torn.write('{"day": "2026-11-30", "to": "cy@rea')  # a power cut mid-write
    again = Ledger.load(tmp_path / "sent.jsonl")
    recipients = ["ada@readers.example", "bo@readers.example", "cy@readers.example"]
    assert again.editions[date(2026, 11, 30)].pending(recipients) == recipients[1:]
    assert again.editions[date(2026, 11, 30)].message_id == edition.message_id
    restarted = again.start(date(2026, 11, 30), "<resend@news.example>", NOW)  # --resend counts afresh
    assert restarted.pending(recipients) == recipients


def test_recipients_are_a_list_or_one_line_each_checked():
    config = parse_config({"digest": {"to": ["Ada <ada@r.example>", "bo@r.example, cy@r.example"]}})
    assert config.digest.to == ("Ada <ada@r.example>", "bo@r.example", "cy@r.example")
    for wrong in (["ada@r.example", "ADA@r.example"], ["not an address"], [3], "a@r.example\nBcc: x@y.example"):
        with pytest.raises(ConfigError, match="digest.to"):
            parse_config({"digest": {"to": wrong}})


@pytest.mark.parametrize(("smtp", "message"), [
    ({"host": "mail.example.org", "security": "none"}, "allowed only to this machine"),
    ({"host": "mail.example.org", "user": "ed"}, "never from site.yaml"),
    ({"host": "mail.example.org", "port": 70000}, "port number from 1 to 65535"),
    ({"host": "mail.example.org", "security": "ssl"}, "starttls, tls, none"),
    ({"host": "mail example"}, "host name"),
    ({"host": "mail.example.org", "hots": "x"}, "unknown digest.smtp setting 'hots'"),
])
def test_smtp_settings_are_checked_at_read(smtp, message):
    with pytest.raises(ConfigError, match=message):
        parse_config({"digest": {"smtp": smtp}})


def test_smtp_defaults_follow_the_security():
    config = parse_config({"digest": {"smtp": {"host": "127.0.0.1", "security": "none"}}})
    assert config.digest.smtp.port_or_default == 25
    assert parse_config({"digest": {"smtp": {"host": "smtp.example.org"}}}).digest.smtp.port_or_default == 587
    tls = parse_config({"digest": {"smtp": {"host": "smtp.example.org", "security": "tls"}}})
    assert tls.digest.smtp.port_or_default == 465
