"""A real SMTP server process on 127.0.0.1 for the sending tests (aiosmtpd), recording what it receives.

    python tests/smtp_server.py OUT [--starttls CERT KEY] [--tls CERT KEY] [--auth USER:PASSWORD]
                                    [--drop-after N] [--refuse ADDRESS] [--defer ADDRESS]

Prints "READY <port>" once it listens. Tests start it with :func:`smtp_server` and read what it got with
:func:`received`. Each message accepted is written to OUT as NNN.eml, with NNN.json holding
its envelope (sender, recipients, the login used). --drop-after N closes the connection, as a crashing server
would, at the first MAIL command after N messages were accepted in this process.
"""
from __future__ import annotations

import argparse
import email
import email.message
import email.policy
import json
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@contextmanager
def smtp_server(out: Path, *args: str) -> Iterator[int]:
    process = subprocess.Popen(
        [sys.executable, __file__, str(out), *args], stdout=subprocess.PIPE, text=True
    )
    try:
        ready = process.stdout.readline() if process.stdout else ""
        assert ready.startswith("READY "), ready
        yield int(ready.split()[1])
    finally:
        process.terminate()
        process.wait(timeout=10)


def received(out: Path) -> list[tuple[email.message.EmailMessage, dict]]:
    return [
        (email.message_from_bytes(eml.read_bytes(), policy=email.policy.default),
         json.loads(eml.with_suffix(".json").read_text()))
        for eml in sorted(out.glob("*.eml"))
    ]


class Recorder:
    def __init__(self, out: Path, drop_after: int | None, refuse: set[str], defer: set[str]) -> None:
        self.out, self.drop_after, self.refuse, self.defer = out, drop_after, refuse, defer
        self.count = 0

    async def handle_MAIL(self, server, session, envelope, address, mail_options):  # noqa: N802 - aiosmtpd's name
        if self.drop_after is not None and self.count >= self.drop_after:
            server.transport.close()
            return "421 closing"
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address.lower() in self.refuse:
            return "550 5.1.1 no such mailbox here"
        if address.lower() in self.defer:
            return "451 4.2.0 mailbox busy, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.count += 1
        name = f"{self.count:03d}"
        (self.out / f"{name}.eml").write_bytes(envelope.original_content or envelope.content)
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        envelope_record = {"from": envelope.mail_from, "to": envelope.rcpt_tos, "login": login}
        (self.out / f"{name}.json").write_text(json.dumps(envelope_record))
        return "250 Message accepted"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--auth")
    parser.add_argument("--drop-after", type=int)
    parser.add_argument("--refuse", action="append", default=[])
    parser.add_argument("--defer", action="append", default=[])
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    handler = Recorder(args.out, args.drop_after, {a.lower() for a in args.refuse}, {a.lower() for a in args.defer})
    options: dict[str, object] = {}
    pair = args.starttls or args.tls
    if pair:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*pair)
        options["tls_context" if args.starttls else "ssl_context"] = context
        if args.starttls:
            options["require_starttls"] = True
    if args.auth:
        user, password = args.auth.split(":", 1)

        def authenticate(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user
            ok = ok and auth_data.password.decode() == password
            return AuthResult(success=ok, handled=False, auth_data=auth_data)

        # Implicit TLS is encrypted from the start (aiosmtpd counts only STARTTLS as TLS for AUTH).
        options.update(authenticator=authenticate, auth_require_tls=bool(args.starttls), auth_required=True)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
    controller.start()
    print(f"READY {port}", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    sys.exit(main())
