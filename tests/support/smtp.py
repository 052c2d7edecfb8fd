"""A real SMTP server inside the test process (aiosmtpd), keeping every message it accepts and
refusing recipients while told to: what the reminder tests send to and read back."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from email import policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

__all__ = ["SmtpServer", "free_port", "running_smtp"]


class SmtpServer:
    """The server's handler: ``messages`` holds (recipients, parsed message) of each accepted
    message; ``refuse`` refuses that many recipients next, ``refused`` every recipient whose
    address starts with one of its prefixes."""

    def __init__(self, refused: tuple[str, ...] = ()) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.refuse = 0
        self.refused = refused

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse or address.startswith(self.refused or ("\0",)):
            self.refuse = max(self.refuse - 1, 0)
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        """The messages that went to ``address``."""
        return [message for recipients, message in self.messages if address in recipients]


def free_port() -> int:
    """A local TCP port nobody listens on (for a server, or for one that is out of reach)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_smtp(refused: tuple[str, ...] = ()) -> Iterator[tuple[SmtpServer, int]]:
    """An SMTP server on a free local port, stopped at the end."""
    handler = SmtpServer(refused)
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()
