"""Choosing and filling the template of a message for one recipient."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from domain.notifications.kinds import LOCALES, Channel
from domain.notifications.model import Notification, Recipient, Rendered
from domain.notifications.ports import TemplateRepository
from domain.notifications.templating import MissingVariable, TemplateSyntaxError

log = logging.getLogger("crm.templates")


async def render_message(templates: TemplateRepository, kind: str, channel: Channel,
                         locale: str, variables: Mapping[str, Any]) -> Rendered | None:
    """The recipient's language first (a custom template before the shipped one), then the
    other languages; None when no template fits the variables the consumer gave (the caller
    then falls back to the text the consumer wrote, so a message still reaches people)."""
    for candidate in dict.fromkeys((locale, *LOCALES)):
        template = await templates.effective(kind, channel, candidate)
        if template is None:
            continue
        try:
            return template.render(variables)
        except (MissingVariable, TemplateSyntaxError) as e:
            log.warning("template %s (%s/%s/%s) cannot render: missing %s", template.id, kind,
                        channel, candidate, e)
            return None
    return None


async def render_for(templates: TemplateRepository, notification: Notification,
                     recipient: Recipient, channel: Channel) -> Rendered:
    """A delivery's message: its channel's template in the recipient's language, else the
    notification's own title and body."""
    variables = {**notification.data, "recipient_name": recipient.name}
    rendered = await render_message(templates, notification.kind, channel, recipient.locale,
                                    variables)
    if rendered is not None:
        return rendered
    if channel == Channel.SMS:
        return Rendered(subject="", body=f"{notification.title}: {notification.body}")
    return Rendered(subject=notification.title, body=notification.body)
