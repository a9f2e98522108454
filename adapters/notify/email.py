"""E-mail over SMTP (aiosmtplib), or a logging stand-in when no SMTP host is configured."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

import aiosmtplib

from domain.customers.personal import mask_email
from domain.notifications.model import DeliveryFailed

log = logging.getLogger("crm.email")


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 587
    username: str | None = None
    password: str | None = None
    starttls: bool = True
    sender: str = "CRM <crm@localhost>"
    timeout: float = 10.0


def build_message(sender: str, to: str, subject: str, body: str, message_id: str
                  ) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    # A value in the data (a customer's name) must not break the header: one line, always.
    msg["Subject"] = " ".join(subject.split())
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    # The delivery id: a receiving system can drop the copy a crash-resend produces.
    msg["Message-ID"] = f"<{message_id}>"
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(body, charset="utf-8")
    return msg


class SmtpEmailSender:
    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    async def send(self, to: str, subject: str, body: str, *, message_id: str) -> None:
        c = self.config
        msg = build_message(c.sender, to, subject, body, message_id)
        try:
            await aiosmtplib.send(
                msg, hostname=c.host, port=c.port, username=c.username or None,
                password=c.password or None, start_tls=c.starttls, timeout=c.timeout)
        except aiosmtplib.SMTPRecipientsRefused as e:
            # 5xx for the address: retrying will not change the server's mind; 4xx will.
            codes = [r.code for r in e.recipients]
            raise DeliveryFailed(f"recipient refused: {e}",
                                 permanent=bool(codes) and all(c >= 500 for c in codes)) from e
        except aiosmtplib.SMTPResponseException as e:
            # Other refusals (authentication, sender, size) are usually our configuration:
            # retried, so fixing the settings lets the pending messages through.
            raise DeliveryFailed(f"SMTP {e.code}: {e.message}") from e
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as e:
            raise DeliveryFailed(f"SMTP server unreachable: {type(e).__name__}: {e}") from e
        log.info("e-mail %s sent to %s", message_id, mask_email(to))


class LoggingEmailSender:
    """No SMTP host configured: say what would have been sent, and count it as sent."""

    async def send(self, to: str, subject: str, body: str, *, message_id: str) -> None:
        log.info("e-mail %s (no CRM_SMTP_HOST, not sent) to %s: %s", message_id,
                 mask_email(to), subject)
