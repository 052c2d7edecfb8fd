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
    rest of the run waits for the next one."""

    def __init__(self, key: str, *, whole_run: bool = False, **params: object) -> None:
        super().__init__(key, **params)
        self.whole_run = whole_run


def _reply(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return f"{code} {' '.join(text.split())}"[:300]


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

    def send(self, message: EmailMessage) -> None:
        """Hand one message to the server; raises :class:`SendFailure` with the server's reply."""
        if self._smtp is None:
            self._smtp = self._open()
        try:
            refused = self._smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()))
            raise SendFailure("mail.recipient_refused", reply=_reply(code, reply)) from None
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            raise SendFailure("mail.message_refused", reply=_reply(exc.smtp_code, exc.smtp_error)) from None
        except (OSError, smtplib.SMTPException) as exc:
            self._smtp = None
            raise SendFailure(
                "mail.server_unreachable",
                whole_run=True,
                host=self.settings.host,
                port=self.settings.port,
                error=type(exc).__name__,
            ) from None
        if refused:  # one message, one recipient: a refusal of it is a refusal of the message
            code, reply = next(iter(refused.values()))
            raise SendFailure("mail.recipient_refused", reply=_reply(code, reply))

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                self._smtp.close()
            self._smtp = None
