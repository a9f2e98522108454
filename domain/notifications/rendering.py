"""Choosing and filling the template of a message for one reader, in the reader's language.

A notification is stored as its kind and its variables (`Notification.data`); its words are
chosen when someone reads it: the in-app title and body in the language the reader uses now,
an e-mail or text message in the recipient's saved language when it is sent. So a reader who
switches language sees old notifications in the new one too.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from domain.notifications.kinds import LOCALES, Channel
from domain.notifications.model import Notification, Recipient, Rendered
from domain.notifications.ports import TemplateRepository
from domain.notifications.templating import MissingVariable, TemplateSyntaxError
from domain.shared.catalogue import has, label, money, render
from domain.shared.text import Text

log = logging.getLogger("crm.templates")

# Approval steps as earlier notifications named them (their English label) and as codes: both
# are read as the step's role, shown by its label in the reader's language.
_STEP_ROLES = {"sales manager": "manager", "manager": "manager", "finance": "finance",
               "executive": "executive"}


def presented(variables: Mapping[str, Any], locale: str) -> dict[str, Any]:
    """The variables as a reader of `locale` reads them: an amount with its currency's sign
    (`¥300,000.00`), codes (a record type, an approval step) as their labels."""
    shown = dict(variables)
    amount = shown.get("amount")
    if amount not in (None, ""):
        # Not a number (a consumer's own words): shown as given.
        with contextlib.suppress(InvalidOperation):
            shown["amount"] = money(Decimal(str(amount)), str(shown.get("currency") or "CNY"),
                                    locale)
    step = shown.get("step_name")
    if isinstance(step, str) and step.strip().lower() in _STEP_ROLES:
        shown["step_name"] = label("notification_step", _STEP_ROLES[step.strip().lower()],
                                   locale)
    record_type = shown.get("record_type")
    if isinstance(record_type, str) and record_type:
        shown["record_type"] = label("kind", record_type.lower(), locale)
    grade = shown.get("grade")
    if isinstance(grade, str) and has(f"notification_grade.{grade}"):
        shown["grade"] = label("notification_grade", grade, locale)
    # Words stored as a code (`reason_text` beside the `reason` written when it happened)
    # are read in the reader's language.
    for name, value in variables.items():
        if name.endswith("_text") and isinstance(value, dict) and "code" in value:
            with contextlib.suppress(KeyError, TypeError, ValueError):
                shown[name.removesuffix("_text")] = render(Text.from_json(value), locale)
    return shown


async def render_message(templates: TemplateRepository, kind: str, channel: Channel,
                         locale: str, variables: Mapping[str, Any], *,
                         quiet: bool = False) -> Rendered | None:
    """The reader's language first (a custom template before the shipped one), then the
    other languages; None when no template fits the variables the consumer gave (the caller
    then falls back to the text the consumer wrote, so a message still reaches people)."""
    for candidate in dict.fromkeys((locale, *LOCALES)):
        template = await templates.effective(kind, channel, candidate)
        if template is None:
            continue
        try:
            return template.render(presented(variables, candidate))
        except (MissingVariable, TemplateSyntaxError) as e:
            if not quiet:
                log.warning("template %s (%s/%s/%s) cannot render: missing %s", template.id,
                            kind, channel, candidate, e)
            return None
    return None


async def render_for(templates: TemplateRepository, notification: Notification,
                     recipient: Recipient, channel: Channel) -> Rendered:
    """A delivery's message: its channel's template in the recipient's saved language, else
    the notification's own title and body."""
    variables = {**notification.data, "recipient_name": recipient.name}
    rendered = await render_message(templates, notification.kind, channel, recipient.locale,
                                    variables)
    if rendered is not None:
        return rendered
    if channel == Channel.SMS:
        return Rendered(subject="", body=f"{notification.title}: {notification.body}")
    return Rendered(subject=notification.title, body=notification.body)


async def worded_for_reader(templates: TemplateRepository,
                            notifications: Sequence[Notification], locale: str,
                            reader_name: str = "") -> None:
    """Each in-app notification's title and body in the reader's language, from its kind and
    variables. A row no template fits (its consumer wrote words of its own, or it predates a
    variable) keeps the words it was stored with."""
    for notification in notifications:
        rendered = await render_message(
            templates, notification.kind, Channel.IN_APP, locale,
            {"recipient_name": reader_name, **notification.data}, quiet=True)
        if rendered is not None:
            notification.title, notification.body = rendered.subject, rendered.body
