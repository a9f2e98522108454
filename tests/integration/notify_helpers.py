"""A real SMTP server on loopback (aiosmtpd) and a container that sends to it."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import uuid
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from adapters.bootstrap import Container
from domain.notifications.model import Notification

LEAD_DATA = {"lead_id": str(uuid.uuid4()), "label": "Acme Ltd / Li Lei", "grade": "high",
             "reason": "territory East"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Mailbox:
    """What the SMTP server accepted, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(msg)  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if m["To"] == address]


class SmtpServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.mailbox = Mailbox()
        self._controller: Controller | None = None

    def start(self) -> SmtpServer:
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


async def notify(c: Container, user_id: uuid.UUID, kind: str = "lead_assigned",
                 data: dict[str, Any] | None = None) -> Notification:
    """What a consumer does: one call, in its transaction."""
    n = Notification.for_event(user_id, kind, "New lead assigned to you", "Lead Acme Ltd",
                               uuid.uuid4(), data=LEAD_DATA if data is None else data)
    async with c.uow() as uow:
        await uow.notifications.add(n)
        await uow.commit()
    return n
