"""SMS: the default sender logs (with the number masked); a gateway adapter replaces it."""

from __future__ import annotations

import logging

from domain.customers.personal import mask_phone

log = logging.getLogger("crm.sms")


class LoggingSmsSender:
    async def send(self, to: str, text: str, *, message_id: str) -> None:
        log.info("SMS %s to %s (%d characters): logged, no SMS gateway configured",
                 message_id, mask_phone(to), len(text))
