"""A user's notification settings: language, SMS number, channels per kind."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from domain.audit.model import AuditEntry
from domain.customers.personal import mask_phone, normalise_mobile
from domain.notifications.commands import ChangePreferences
from domain.notifications.kinds import Channel
from domain.notifications.model import NotificationPreferences, check_locale
from domain.shared.authz import Actor, acting_user
from domain.shared.commands import UNSET
from domain.shared.errors import ValidationFailed, check_version
from domain.shared.ports import UnitOfWorkFactory


def _user_id(actor: Actor) -> uuid.UUID:
    return acting_user(actor, "notification.users_only_preferences")


@dataclass
class PreferenceService:
    uow: UnitOfWorkFactory

    async def get(self, actor: Actor) -> NotificationPreferences:
        async with self.uow() as uow:
            return await uow.notification_preferences.get(_user_id(actor))

    async def change(self, actor: Actor, command: ChangePreferences,
                     expected_version: int | None = None) -> NotificationPreferences:
        """Only what is given changes; `mobile=None` removes the number."""
        locale, mobile, kinds = command.locale, command.mobile, command.kinds
        user_id = _user_id(actor)
        async with self.uow() as uow:
            prefs = await uow.notification_preferences.get(user_id, for_update=True)
            check_version("notification preferences", prefs.version, expected_version)
            before_mobile, before_locale = prefs.mobile, prefs.locale
            before_channels = {k: sorted(v) for k, v in prefs.channels.items()}
            if locale is not None:
                prefs.locale = check_locale(locale)
            if mobile is not UNSET:
                prefs.mobile = normalise_mobile(str(mobile)) if mobile else None
            seen: set[str] = set()
            for i, choice in enumerate(kinds):
                if choice.kind in seen:
                    raise ValidationFailed.of(f"kinds.{i}.kind", "notification.listed_twice")
                seen.add(choice.kind)
                prefs.choose(choice.kind, choice.channels, f"kinds.{i}")
            if prefs.mobile is None:
                needing = sorted(k for k, v in prefs.channels.items() if Channel.SMS in v)
                if needing:
                    raise ValidationFailed.of("mobile", "notification.mobile_needed_for_sms",
                                              kinds=needing)
            saved = await uow.notification_preferences.save(prefs)
            diff: dict[str, object] = {}
            if before_locale != saved.locale:
                diff["locale"] = [before_locale, saved.locale]
            if before_mobile != saved.mobile:
                diff["mobile"] = [mask_phone(before_mobile) if before_mobile else None,
                                  mask_phone(saved.mobile) if saved.mobile else None]
            after_channels = {k: sorted(v) for k, v in saved.channels.items()}
            if before_channels != after_channels:
                diff["channels"] = [before_channels, after_channels]
            await uow.audit.record(AuditEntry.of(
                actor, "notification_preferences.updated", "user", user_id, diff))
            await uow.commit()
            return saved
