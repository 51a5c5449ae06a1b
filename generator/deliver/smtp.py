"""SMTP with the standard library: connect with the configured security, log in from the environment, and hand
over one message per recipient, each outcome reported as it happens.

One transaction per recipient: subscribers never see each other's addresses, a refused address does not stop the
others, and a connection lost halfway is known to the address (the ledger records each delivery as it ends).
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage

from generator.core.models import SmtpSettings
from generator.deliver.ledger import envelope_address

TIMEOUT = 60.0  # seconds for each reply from the server
USER_VARIABLE, PASSWORD_VARIABLE = "NEWSDIGEST_SMTP_USER", "NEWSDIGEST_SMTP_PASSWORD"


class SendError(Exception):
    """Sending stopped (one line for the user). ``temporary``: trying again later may work (the server could
    not be reached, or the connection was lost), which ``update`` tells a scheduler by its exit status."""

    def __init__(self, message: str, temporary: bool = False) -> None:
        super().__init__(message)
        self.temporary = temporary


@dataclass(frozen=True)
class Login:
    user: str
    password: str


def login_from(environment: Mapping[str, str]) -> Login | None:
    """The login, from the environment only (never from ``site.yaml``, which is often in a public repository)."""
    user, password = environment.get(USER_VARIABLE, ""), environment.get(PASSWORD_VARIABLE, "")
    if bool(user) != bool(password):
        given, missing = (USER_VARIABLE, PASSWORD_VARIABLE) if user else (PASSWORD_VARIABLE, USER_VARIABLE)
        raise SendError(f"{given} is set but {missing} is not: set both for a login, or neither")
    return Login(user, password) if user else None


@contextmanager
def smtp_session(settings: SmtpSettings, login: Login | None) -> Iterator[smtplib.SMTP]:
    """A connection ready to send: encrypted as configured (certificates checked) and logged in."""
    where = f"{settings.host}:{settings.port_or_default}"
    context = ssl.create_default_context()
    try:
        if settings.security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.host, settings.port_or_default, timeout=TIMEOUT, context=context
            )
        else:
            smtp = smtplib.SMTP(settings.host, settings.port_or_default, timeout=TIMEOUT)
    except (OSError, smtplib.SMTPException) as exc:
        raise SendError(f"cannot reach the SMTP server {where}: {_reason(exc)}", _passing(exc)) from None
    try:
        _secure_and_log_in(smtp, settings, login, context, where)
        yield smtp
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()


def _secure_and_log_in(
    smtp: smtplib.SMTP, settings: SmtpSettings, login: Login | None, context: ssl.SSLContext, where: str
) -> None:
    try:
        smtp.ehlo()
        if settings.security == "starttls":
            if not smtp.has_extn("starttls"):
                raise SendError(f"the SMTP server {where} does not offer STARTTLS (security: starttls)")
            smtp.starttls(context=context)
            smtp.ehlo()
        if login is not None:
            smtp.login(login.user, login.password)
    except smtplib.SMTPAuthenticationError as exc:
        raise SendError(
            f"the SMTP server {where} refused the login of {login.user if login else ''!r}: "
            f"{_reply(exc.smtp_code, exc.smtp_error)}"
        ) from None
    except smtplib.SMTPNotSupportedError:
        raise SendError(f"the SMTP server {where} does not accept a login on this connection") from None
    except (OSError, smtplib.SMTPException) as exc:
        raise SendError(f"SMTP server {where}: {_reason(exc)}", _passing(exc)) from None


def deliver_each(
    smtp: smtplib.SMTP,
    message: EmailMessage,
    recipients: list[str],
    delivered: Callable[[str, str, str], None],
) -> None:
    """Send ``message`` to each recipient in its own transaction; ``delivered(recipient, outcome, reply)`` is
    called as each ends: "accepted", "refused" (5xx: permanent) or "deferred" (4xx: try again later).
    A lost connection raises :class:`SendError` after reporting every delivery that ended."""
    sender = envelope_address(str(message["From"]))
    for number, recipient in enumerate(recipients):
        del message["To"]
        message["To"] = recipient
        try:
            smtp.send_message(message, from_addr=sender, to_addrs=[envelope_address(recipient)])
            delivered(recipient, "accepted", "")
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()))
            delivered(recipient, _refusal(code), _reply(code, reply))
        except smtplib.SMTPSenderRefused as exc:
            said = _reply(exc.smtp_code, exc.smtp_error)
            raise SendError(f"the SMTP server refused the sender {sender}: {said}") from None
        except smtplib.SMTPDataError as exc:
            delivered(recipient, _refusal(exc.smtp_code), _reply(exc.smtp_code, exc.smtp_error))
        except (OSError, smtplib.SMTPException) as exc:
            left = len(recipients) - number
            raise SendError(
                f"the connection to the SMTP server was lost ({_reason(exc)}) with {left} of {len(recipients)} "
                "recipients left; the next run sends to them",
                temporary=True,
            ) from None


def _refusal(code: int) -> str:
    """5xx is permanent (the address does not exist, the message is refused); 4xx asks to try again later."""
    return "refused" if code >= 500 else "deferred"


def _reply(code: int, text: bytes | str) -> str:
    said = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(said.split())}"


def _passing(exc: BaseException) -> bool:
    """Whether trying again later may work: not for a certificate this machine does not trust (a person must
    install the authority or fix the host name)."""
    return not isinstance(exc, ssl.SSLCertVerificationError)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"its certificate is not trusted ({exc.verify_message})"
    if isinstance(exc, smtplib.SMTPResponseException):
        return _reply(exc.smtp_code, exc.smtp_error)
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
