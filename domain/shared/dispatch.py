"""Runs the consumers of an outbox event, each in its own transaction, at most once per event.

Which consumers an event type has is the registry's to say (adapters/jobs/reactions.py)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from domain.shared.events import DomainEvent
from domain.shared.ports import AlreadyProcessed, UnitOfWork, UnitOfWorkFactory

Handler = Callable[[UnitOfWork, DomainEvent], Awaitable[None]]


@dataclass
class EventDispatcher:
    uow: UnitOfWorkFactory
    handlers: dict[str, list[tuple[str, Handler]]]
    # Runs after each consumer's commit (the e-mails of the notifications it added go out
    # at once instead of one relay round later); must not raise.
    after_commit: Callable[[UnitOfWork], Awaitable[None]] | None = None
    # Runs on each consumer's unit of work before the consumer (tells it after_commit follows).
    before: Callable[[UnitOfWork], None] | None = None
    # Reads the event outside a transaction (one statement, no BEGIN/COMMIT around it).
    reader: UnitOfWorkFactory | None = None

    async def dispatch(self, event_id: uuid.UUID, event: DomainEvent | None = None) -> int:
        """Runs every consumer of the event that has not run yet; returns how many ran now.
        `event` is the committed outbox row when the caller has it (the relay's job carries
        it); otherwise it is read.

        The consumer's effect and its 'processed' marker commit together, so a job delivered
        twice, or re-run after a worker died mid-way, applies each effect exactly once: a run
        after one that committed fails on the marker at its commit and keeps nothing. A re-run
        does execute the handler first, so whatever a handler does outside its unit of work
        must be safe to repeat (the delivery consumer's sends are: each claims its delivery).
        """
        if event is None:
            async with (self.reader or self.uow)() as uow:
                event = await uow.outbox.get(event_id)
        if event is None:
            return 0
        ran = 0
        for name, handler in self.handlers.get(event.type, []):
            async with self.uow() as uow:
                await uow.processed.mark(name, event.id)  # goes with the commit
                if self.before is not None:
                    self.before(uow)
                try:
                    await handler(uow, event)
                    await uow.commit()
                except AlreadyProcessed:
                    continue  # an earlier run did it; this one's work is rolled back
                ran += 1
                if self.after_commit is not None:
                    await self.after_commit(uow)
        return ran
