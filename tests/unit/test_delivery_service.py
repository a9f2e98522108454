"""The delivery use case on fakes: retries on a schedule, permanent failures, fallbacks."""

from __future__ import annotations

import uuid

from domain.notifications.delivery_service import DeliveryService
from domain.notifications.kinds import Channel
from domain.notifications.model import (
    DeliveryFailed,
    DeliveryStatus,
    Notification,
    NotificationPreferences,
    Recipient,
    RetryPolicy,
)
from domain.notifications.model import EventType as NotificationEvent
from tests.fakes.notifications import FakeNotifyUow, FakeSender, NotifyStore
from tests.fakes.shared import FakeClock

DATA = {"lead_id": "l1", "label": "Acme", "grade": "high", "reason": "territory"}


def setup(locale: str = "zh-CN", mobile: str | None = None
          ) -> tuple[NotifyStore, DeliveryService, FakeSender, FakeSender, FakeClock, uuid.UUID]:
    store, clock = NotifyStore(), FakeClock()
    user = uuid.uuid4()
    store.recipients[user] = Recipient(user, "王芳", "wang@example.com", locale, mobile)
    email, sms = FakeSender(), FakeSender()
    service = DeliveryService(lambda: FakeNotifyUow(store), clock, email, sms,  # type: ignore[arg-type]
                              RetryPolicy((10, 60)))
    return store, service, email, sms, clock, user


async def add(store: NotifyStore, user: uuid.UUID, kind: str = "lead_assigned",
              data: dict | None = None) -> Notification:  # type: ignore[type-arg]
    n = Notification.for_event(user, kind, "Consumer title", "Consumer body", uuid.uuid4(),
                               data=DATA if data is None else data)
    await FakeNotifyUow(store).notifications.add(n)
    return n


async def test_adding_a_notification_creates_its_deliveries_and_one_event() -> None:
    store, _, _, _, _, user = setup()
    n = await add(store, user)
    (d,) = store.deliveries.values()
    assert (d.notification_id, d.channel, d.status) == (n.id, Channel.EMAIL, "pending")
    (event,) = store.outbox
    assert event.type == NotificationEvent.CREATED and event.payload["channels"] == ["email"]
    assert n.title == "新线索分配给您：Acme（高意向）", "in-app text from the zh-CN in_app template"
    await add(store, user, kind="followup_overdue", data={})
    assert len(store.deliveries) == 1 and len(store.outbox) == 1, "in-app only: nothing more"


async def test_a_unit_of_work_that_sends_after_commit_adds_no_event() -> None:
    store, service, _, _, _, user = setup()
    uow = FakeNotifyUow(store)
    service.will_send_after_commit(uow)  # type: ignore[arg-type]
    n = Notification.for_event(user, "lead_assigned", "t", "b", uuid.uuid4(), data=DATA)
    await uow.notifications.add(n)
    (d,) = store.deliveries.values()
    assert d.notification_id == n.id and store.outbox == []
    assert uow.notifications.with_deliveries == [n.id]


async def test_after_commit_sends_what_the_consumer_rendered_without_reading_it_again() -> None:
    store, service, email, _, _, user = setup(locale="en")
    uow = FakeNotifyUow(store)
    service.will_send_after_commit(uow)  # type: ignore[arg-type]
    n = Notification.for_event(user, "lead_assigned", "t", "b", uuid.uuid4(), data=DATA)
    await uow.notifications.add(n)
    # After the commit nothing about the message is read: not the row, the user or a template.
    store.templates, store.recipients = [], {}
    store.notifications.clear()
    await service.after_commit(uow)  # type: ignore[arg-type]
    ((to, subject, body),) = email.sent
    assert to == "wang@example.com" and subject == "New high lead assigned to you: Acme"
    assert "Hello 王芳" in body
    (d,) = store.deliveries.values()
    assert (d.status, d.attempts, d.claim) == (DeliveryStatus.SENT, 1, None)
    assert await service.send_due() == 0, "sent once; the sweep finds nothing"


async def test_transient_failures_follow_the_schedule_then_fail_visibly() -> None:
    store, service, email, _, clock, user = setup()
    await add(store, user)
    email.fail_with = DeliveryFailed("SMTP server unreachable")
    assert await service.send_due() == 1
    (d,) = store.deliveries.values()
    assert d.status == "pending" and d.attempts == 1 and d.last_error == "SMTP server unreachable"
    assert d.next_attempt_at is not None
    assert 10 <= (d.next_attempt_at - clock.now()).total_seconds() <= 11  # with jitter
    clock.advance(seconds=9)
    assert await service.send_due() == 0
    clock.advance(seconds=2)
    assert await service.send_due() == 1 and d.attempts == 2
    clock.advance(seconds=67)
    assert await service.send_due() == 1
    assert d.status == DeliveryStatus.FAILED and d.attempts == 3 and d.next_attempt_at is None
    email.fail_with = None
    clock.advance(days=1)
    assert await service.send_due() == 0 and email.sent == []


async def test_a_permanent_failure_is_not_retried() -> None:
    store, service, email, _, _, user = setup()
    await add(store, user)
    email.fail_with = DeliveryFailed("recipient refused: 550", permanent=True)
    await service.send_due()
    (d,) = store.deliveries.values()
    assert d.status == "failed" and d.attempts == 1


async def test_sent_in_the_recipients_language_or_as_the_consumer_wrote_it() -> None:
    store, service, email, _, _, user = setup(locale="en")
    await add(store, user)
    await add(store, user, data={"label": "Thin"})  # fewer variables than the template needs
    await service.send_due()
    (to1, subject1, body1), (_, subject2, body2) = sorted(email.sent, key=lambda m: m[1])
    assert to1 == "wang@example.com"
    assert subject2 == "New high lead assigned to you: Acme" and "Hello 王芳" in body2
    assert (subject1, body1) == ("Consumer title", "Consumer body")


async def test_sms_needs_a_number_and_a_disabled_user_gets_nothing() -> None:
    store, service, _, sms, _, user = setup(mobile=None)
    store.prefs[user] = NotificationPreferences(user, channels={
        "lead_assigned": frozenset({Channel.IN_APP, Channel.SMS})})
    await add(store, user)
    await service.send_due()
    (d,) = store.deliveries.values()
    assert d.status == "failed" and d.last_error == "no mobile number on file"
    store.recipients[user] = Recipient(user, "王芳", "w@example.com", "zh-CN", "13812345678",
                                       active=False)
    await add(store, user)
    await service.send_due()
    assert sms.sent == []
    assert {d.last_error for d in store.deliveries.values()} >= {
        "the recipient's account is disabled"}


async def test_a_claim_held_by_another_sender_is_left_alone_until_its_lease_ends() -> None:
    store, service, email, _, clock, user = setup()
    await add(store, user)
    (held,) = await FakeNotifyUow(store).deliveries.claim_due(
        clock.now(), clock.now().replace(minute=5), uuid.uuid4(), 10)
    assert await service.send_due() == 0
    clock.advance(minutes=6)
    assert await service.send_due() == 1 and len(email.sent) == 1
    assert not await FakeNotifyUow(store).deliveries.record(held)
