"""Sending e-mail over real SMTP (docs/reminders.md): the server settings the admin keeps in
Settings, the password from the environment or ``secrets.toml`` (never the database), one
connection per run, and every failure turned into a reason a person can read."""

from __future__ import annotations

import re
import smtplib
import ssl
from email.message import EmailMessage
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, ValidationError
from pydantic_core import PydanticCustomError

from registry.config import smtp_password
from registry.domain.models import EmailAddress, Model
from registry.errors import MonosashiError
from registry.store import Store

__all__ = [
    "SMTP_KEYS",
    "Mailer",
    "SendFailure",
    "SmtpSettings",
    "smtp_settings",
]

# The settings keys of the server (the password is not one of them).
SMTP_KEYS = ("smtp.host", "smtp.port", "smtp.security", "smtp.user", "smtp.sender")


_HOST = re.compile(r"^[A-Za-z0-9.\-\[\]:]{1,255}$")


def _host(value: str) -> str:
    if not _HOST.fullmatch(value):
        raise PydanticCustomError("smtp.host_pattern", "not a host name: {found}", {"found": value[:80]})
    return value


class SmtpSettings(Model):
    """Where and how to send: host, port, STARTTLS / SSL / none, the user and the From address."""

    host: Annotated[str, AfterValidator(_host)]
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    user: str | None = Field(default=None, max_length=255)
    sender: EmailAddress
    timeout: float = Field(default=30.0, gt=0, le=300)


def smtp_settings(store: Store) -> SmtpSettings | None:
    """The registry's SMTP settings, or None while no host and sender are set (nothing is sent)."""
    values = {key.removeprefix("smtp."): store.setting(key) for key in SMTP_KEYS}
    if not values["host"] or not values["sender"]:
        return None
    try:
        return SmtpSettings(**{k: v for k, v in values.items() if v not in (None, "")})
    except ValidationError as exc:
        raise MonosashiError("mail.settings_invalid", detail=str(exc.errors()[0].get("msg", ""))[:200]) from None


class SendFailure(MonosashiError):
    """A message the server did not take. ``whole_run``: the server itself is out of reach, so the
    rest of the run waits for the next one; ``temporary``: the server said to try later (4xx),
    which is no fault of the message; ``ambiguous``: the connection ended after the message was
    handed over, so whether the server took it is unknown (never sent again by itself)."""

    def __init__(
        self, key: str, *, whole_run: bool = False, temporary: bool = False, ambiguous: bool = False, **params: object
    ) -> None:
        super().__init__(key, **params)
        self.whole_run = whole_run
        self.temporary = temporary
        self.ambiguous = ambiguous


def _reply(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return f"{code} {' '.join(text.split())}"[:300]


def _refused(key: str, code: int, reply: bytes | str) -> SendFailure:
    """The server's refusal: a 4xx is temporary, a 421 (the server closing) ends the run."""
    return SendFailure(key, temporary=400 <= code < 500, whole_run=code == 421, reply=_reply(code, reply))


class Mailer:
    """One SMTP connection for a run: opened at the first message, closed at the end."""

    def __init__(self, settings: SmtpSettings, password: str | None = None) -> None:
        self.settings = settings
        self.password = password if password is not None else smtp_password()
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        try:
            if s.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=s.timeout, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
                if s.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
            if s.user:
                if not self.password:
                    smtp.close()
                    raise SendFailure("mail.no_password", whole_run=True)
                smtp.login(s.user, self.password)
        except smtplib.SMTPAuthenticationError as exc:
            raise SendFailure(
                "mail.login_refused", whole_run=True, reply=_reply(exc.smtp_code, exc.smtp_error)
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise SendFailure(
                "mail.server_unreachable", whole_run=True, host=s.host, port=s.port, error=type(exc).__name__
            ) from None
        return smtp

    def _lost(self, exc: BaseException, **how: bool) -> SendFailure:
        """The connection is gone (closed here too): the run stops."""
        self.close()
        key = "mail.connection_lost_while_sending" if how.get("ambiguous") else "mail.server_unreachable"
        return SendFailure(
            key, whole_run=True, host=self.settings.host, port=self.settings.port, error=type(exc).__name__, **how
        )

    def send(self, message: EmailMessage) -> None:
        """Hand one message to the server, step by step (sender, recipient, data), so that a
        failure before the data is a message not sent, and one while or after the data is handed
        over is ``ambiguous``; raises :class:`SendFailure` with the server's reply."""
        if self._smtp is None:
            self._smtp = self._open()
        smtp = self._smtp
        recipient = message["To"].addresses[0].addr_spec
        if not (recipient.isascii() and self.settings.sender.isascii()):
            raise SendFailure("mail.address_not_ascii", address=recipient)
        try:
            smtp.ehlo_or_helo_if_needed()
            code, reply = smtp.mail(self.settings.sender)
            if code != 250:
                smtp.rset()
                raise _refused("mail.message_refused", code, reply)
            code, reply = smtp.rcpt(recipient)
            if code not in (250, 251):
                smtp.rset()
                raise _refused("mail.recipient_refused", code, reply)
        except (OSError, smtplib.SMTPException) as exc:
            raise self._lost(exc) from None  # nothing was handed over: it is tried again
        try:
            smtp.data(message.as_bytes())
        except smtplib.SMTPDataError as exc:
            raise _refused("mail.message_refused", exc.smtp_code, exc.smtp_error) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise self._lost(exc, ambiguous=True) from None

    def close(self) -> None:
        if self._smtp is not None:
            smtp, self._smtp = self._smtp, None
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()
