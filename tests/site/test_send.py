"""Sending the e-mail edition to a real SMTP server process on 127.0.0.1 (aiosmtpd, tests/smtp_server.py): STARTTLS
with a throwaway certificate and a login, implicit TLS, a server that drops the connection halfway, refused logins
and addresses; each run is the real ``newsdigest digest --send`` command."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import article_fields, write_article, write_config
from smtp_server import received, smtp_server

pytestmark = pytest.mark.slow  # real SMTP server processes

RECIPIENTS = ["Ada <ada@readers.example>", "bo@readers.example", "cy@readers.example"]
DAY = "2026-11-20"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A throwaway self-signed certificate for 127.0.0.1, trusted by the sending process (SSL_CERT_FILE)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    return cert, key


def make_site(root: Path, port: int, security: str = "starttls", to: list[str] | None = None) -> Path:
    write_config(root, timezone="UTC", digest={
        "from": "AI Daily <digest@news.example>", "to": to or RECIPIENTS,
        "unsubscribe": "https://news.example/unsubscribe",
        "smtp": {"host": "127.0.0.1", "port": port, "security": security},
    })
    for n in range(3):
        write_article(root / "content", f"a{n}.md", article_fields(
            n, title=f"Lab {n} ships a model for tide tables", publishedDateTime=f"{DAY}T0{n + 6}:00:00Z",
            webUrl=f"https://outlet{n}.example/tides-{n}", provider={"name": f"Outlet {n}", "domain": f"o{n}.example"},
        ))
    return root


def send(site: Path, *args: str, cert: Path | None = None, login: tuple[str, str] | None = ("ed", "s3cret"),
         ) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDIGEST_SMTP")}
    if cert is not None:
        env["SSL_CERT_FILE"] = str(cert)
    if login:
        env["NEWSDIGEST_SMTP_USER"], env["NEWSDIGEST_SMTP_PASSWORD"] = login
    return subprocess.run(
        [sys.executable, "-m", "generator", "digest", "--send", "--date", DAY, "--clock", f"{DAY}T23:30:00Z", *args],
        cwd=site, env=env, capture_output=True, text=True, timeout=120,
    )


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_starttls_with_a_login_delivers_both_parts_to_each_recipient_once(tmp_path, certificate):
    cert, key = certificate
    with smtp_server(tmp_path / "mail", "--starttls", str(cert), str(key), "--auth", "ed:s3cret") as port:
        site = make_site(tmp_path / "site", port)
        done = send(site, cert=cert)
        assert done.returncode == 0, done.stderr
        assert f"Sent the edition of {DAY} to 3 of 3 recipients" in done.stdout
        again = send(site, cert=cert)
    assert again.returncode == 0 and "already sent to 3 recipients" in again.stdout
    messages = received(tmp_path / "mail")
    assert len(messages) == 3  # the second run sent nothing
    assert sorted(e["to"][0] for _m, e in messages) == sorted(a.split("<")[-1].rstrip(">") for a in RECIPIENTS)
    assert {e["login"] for _m, e in messages} == {"ed"} and {e["from"] for _m, e in messages} == {"digest@news.example"}
    assert len({m["Message-ID"] for m, _e in messages}) == 1  # one edition, however many copies
    for message, envelope in messages:
        assert message["To"].addresses[0].addr_spec == envelope["to"][0]  # nobody sees the other subscribers
        assert message["List-Unsubscribe"] == "<https://news.example/unsubscribe>"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message["List-Id"] == '"Test Digest" <digest.news.example>'
        assert message["Subject"].startswith("Test Digest: ")
        text, html = message.get_body(("plain",)), message.get_body(("html",))
        assert message.get_content_type() == "multipart/alternative" and text is not None and html is not None
        assert "Lab 0 ships a model for tide tables" in text.get_content()
        links = [part.split('"')[0] for part in html.get_content().split('href="')[1:]]
        assert links and all(link.startswith("https://") for link in links), links
    ledger = (tmp_path / "site" / "sent-editions.jsonl").read_text().splitlines()
    assert sum('"accepted"' in line for line in ledger) == 3


def test_a_connection_lost_after_the_first_recipient_leaves_the_other_two_to_the_next_run(tmp_path, certificate):
    cert, key = certificate
    with smtp_server(tmp_path / "first", "--tls", str(cert), str(key), "--drop-after", "1") as port:
        site = make_site(tmp_path / "site", port, security="tls")
        stopped = send(site, cert=cert, login=None)
    line = one_line(stopped)
    assert stopped.returncode == 75 and "lost" in line and "2 of 3 recipients left" in line
    assert len(received(tmp_path / "first")) == 1
    with smtp_server(tmp_path / "second", "--tls", str(cert), str(key)) as port:
        make_site(site, port, security="tls")
        resumed = send(site, cert=cert, login=None)
    assert resumed.returncode == 0, resumed.stderr
    assert "to 2 of 2 recipients (1 had it already)" in resumed.stdout
    first, second = received(tmp_path / "first"), received(tmp_path / "second")
    assert len(second) == 2
    reached = [e["to"][0] for _m, e in first + second]
    assert sorted(reached) == ["ada@readers.example", "bo@readers.example", "cy@readers.example"]
    assert first[0][0]["Message-ID"] == second[0][0]["Message-ID"]  # the same edition, resumed


def test_a_refused_login_is_one_line_and_exit_1(tmp_path, certificate):
    cert, key = certificate
    with smtp_server(tmp_path / "mail", "--starttls", str(cert), str(key), "--auth", "ed:s3cret") as port:
        site = make_site(tmp_path / "site", port)
        done = send(site, cert=cert, login=("ed", "wrong"))
    assert done.returncode == 1 and "refused the login of 'ed'" in one_line(done)
    assert received(tmp_path / "mail") == []


def test_an_untrusted_certificate_is_refused_before_anything_is_sent(tmp_path, certificate):
    cert, key = certificate
    with smtp_server(tmp_path / "mail", "--starttls", str(cert), str(key), "--auth", "ed:s3cret") as port:
        site = make_site(tmp_path / "site", port)
        done = send(site, cert=None)  # the throwaway certificate is not trusted by this process
    assert done.returncode == 1 and "certificate is not trusted" in one_line(done)
    assert received(tmp_path / "mail") == []


def test_refused_and_deferred_recipients_are_named_and_the_deferred_one_is_tried_again(tmp_path):
    args = ("--refuse", "bo@readers.example", "--defer", "cy@readers.example")
    with smtp_server(tmp_path / "first", *args) as port:
        site = make_site(tmp_path / "site", port, security="none")
        done = send(site, login=None)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "bo@readers.example: refused by the SMTP server: 550 5.1.1 no such mailbox here" in done.stderr
    assert "cy@readers.example: deferred by the SMTP server (451" in done.stderr
    with smtp_server(tmp_path / "second") as port:
        make_site(site, port, security="none")
        again = send(site, login=None)
    assert again.returncode == 0, again.stderr
    assert [e["to"] for _m, e in received(tmp_path / "second")] == [["cy@readers.example"]]


def test_settings_and_login_are_checked_before_connecting(tmp_path):
    site = make_site(tmp_path / "site", 9, security="none")  # port 9: nothing listens, nothing must be tried
    half = send(site, login=("ed", ""))
    assert half.returncode == 1
    assert "NEWSDIGEST_SMTP_USER is set but NEWSDIGEST_SMTP_PASSWORD is not" in one_line(half)
    write_config(site, digest={"from": "d@news.example", "to": "r@news.example",
                               "smtp": {"host": "mail.example.org", "security": "none"}})
    clear = send(site, login=None)
    assert clear.returncode == 2 and "allowed only to this machine" in one_line(clear)
    write_config(site, digest={"from": "d@news.example", "to": "r@news.example",
                               "smtp": {"host": "mail.example.org", "password": "hunter2"}})
    secret = send(site, login=None)
    assert secret.returncode == 2 and "NEWSDIGEST_SMTP_PASSWORD, never from site.yaml" in one_line(secret)
    unreachable = send(make_site(tmp_path / "other", 9, security="none"), login=None)
    assert unreachable.returncode == 75 and "cannot reach the SMTP server 127.0.0.1:9" in one_line(unreachable)
