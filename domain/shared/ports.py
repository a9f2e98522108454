"""What every feature needs from the outside: the unit of work, clock, queue, outbox, cipher."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self

from domain.shared.events import DomainEvent

if TYPE_CHECKING:
    from domain.audit.ports import AuditLog
    from domain.contracts.ports import ContractRepository
    from domain.customers.ports import (
        ActivityLog,
        CustomerRepository,
        FollowUpRepository,
        Picklists,
        TaskRepository,
    )
    from domain.discipline.ports import FollowUpLapses
    from domain.exports.ports import ExportRepository
    from domain.fields_and_tags.ports import (
        CustomFieldRepository,
        ListSettingsRepository,
        SegmentRepository,
        TagRepository,
    )
    from domain.identity.ports import (
        ApiKeyRepository,
        DepartmentRepository,
        RefreshTokenRepository,
        UserRepository,
    )
    from domain.imports.ports import ImportRepository
    from domain.leads.ports import (
        LeadActivityLog,
        LeadFormRepository,
        LeadRepository,
        RepDirectory,
        Rotation,
        SalesSettings,
    )
    from domain.notifications.ports import (
        DeliveryRepository,
        NotificationRepository,
        PreferenceRepository,
        TemplateRepository,
    )
    from domain.pipeline.ports import OpportunityRepository, PipelineRepository
    from domain.webhooks.ports import WebhookDeliveries, WebhookRepository



class Clock(Protocol):
    def now(self) -> datetime: ...


class JobName(StrEnum):
    HANDLE_EVENT = "handle_event"
    RUN_IMPORT = "run_import"
    RUN_EXPORT = "run_export"
    SCAN_FOLLOWUPS = "scan_followups"
    SCAN_APPROVALS = "scan_approvals"
    SWEEP_CONTRACTS = "sweep_contracts"


class JobQueue(Protocol):
    async def enqueue(self, job: JobName, *args: Any, job_id: str) -> None:
        """Raises QueueUnavailable when the queue cannot be reached."""
        ...
    async def enqueue_many(self, job: JobName,
                           jobs: Sequence[tuple[tuple[Any, ...], str]]) -> None:
        """(arguments, job id) pairs, all in one round trip, all or none; a job id already
        queued is queued once. Raises QueueUnavailable when the queue cannot be reached."""
        ...
    async def enqueue_absent(self, job: JobName,
                             jobs: Sequence[tuple[tuple[Any, ...], str]]) -> list[str]:
        """Queues each job whose id the queue does not hold (neither waiting nor running);
        answers the ids it queued. Raises QueueUnavailable when the queue cannot be reached."""
        ...


class QueueUnavailable(Exception):
    pass


async def queue_step(queue: JobQueue, job: JobName, kind: str, record_id: uuid.UUID,
                     step: int | str) -> None:
    """Queues one step of resumable work (an import's stretch, an export's chunk), once per
    step. With the queue down the step is not lost: the record, not the queue, holds the
    work's state, and the sweep of stale work queues it again."""
    with contextlib.suppress(QueueUnavailable):
        await queue.enqueue(job, str(record_id), job_id=f"{kind}:{record_id}:{step}")


async def queue_stalled(queue: JobQueue, job: JobName, kind: str,
                        record_ids: Sequence[uuid.UUID]) -> int:
    """Queues again the work a sweep found stalled (its worker died, or the queue was down),
    each under a step of its own time so that it is not taken for the job it already had."""
    for record_id in record_ids:
        await queue_step(queue, job, kind, record_id, int(time.time() * 1000))
    return len(record_ids)


class Outbox(Protocol):
    async def add(self, event: DomainEvent) -> None: ...
    async def add_all(self, events: Sequence[DomainEvent]) -> None:
        """Events of changes made in bulk, with no aggregate loaded to carry them."""
        ...
    async def get(self, event_id: uuid.UUID) -> DomainEvent | None: ...


class AlreadyProcessed(Exception):
    """The unit of work's consumer had already handled its event (another run committed the
    marker first): nothing of this run is kept."""


class ProcessedEvents(Protocol):
    async def mark(self, consumer: str, event_id: uuid.UUID) -> None:
        """Records, with the unit of work's commit, that `consumer` handled the event. If it
        already had, the commit (or a read that sends held writes first) raises
        AlreadyProcessed, and the unit's changes are rolled back with it."""
        ...


class RateLimiter(Protocol):
    async def hit(self, key: str, limit: int, window_seconds: int) -> int:
        """Counts one request; 0 when it is within the limit, else the seconds to wait."""
        ...


@dataclass(frozen=True)
class Allowance:
    """What a token bucket said to one request."""

    allowed: bool
    remaining: int  # whole requests left in the bucket after this one
    retry_after: int  # seconds until the next request would be let through (0: now)
    full_in: int  # seconds until the bucket is full again


class TokenBuckets(Protocol):
    async def take(self, key: str, per_second: float, burst: int) -> Allowance | None:
        """Takes one token from the key's bucket (refilled at `per_second`, holding at most
        `burst`). None when the store cannot be asked: the caller lets the request through."""
        ...


class UnitOfWork(Protocol):
    """One transaction. Events of the aggregates it saw go to the outbox on commit."""

    @property
    def users(self) -> UserRepository: ...
    @property
    def departments(self) -> DepartmentRepository: ...
    @property
    def api_keys(self) -> ApiKeyRepository: ...
    @property
    def refresh_tokens(self) -> RefreshTokenRepository: ...
    @property
    def audit(self) -> AuditLog: ...
    @property
    def notifications(self) -> NotificationRepository: ...
    @property
    def outbox(self) -> Outbox: ...
    @property
    def processed(self) -> ProcessedEvents: ...
    @property
    def customers(self) -> CustomerRepository: ...
    @property
    def followups(self) -> FollowUpRepository: ...
    @property
    def tasks(self) -> TaskRepository: ...
    @property
    def activity(self) -> ActivityLog: ...
    @property
    def picklists(self) -> Picklists: ...
    @property
    def custom_fields(self) -> CustomFieldRepository: ...
    @property
    def tags(self) -> TagRepository: ...
    @property
    def segments(self) -> SegmentRepository: ...
    @property
    def list_settings(self) -> ListSettingsRepository: ...
    @property
    def imports(self) -> ImportRepository: ...
    @property
    def exports(self) -> ExportRepository: ...
    @property
    def leads(self) -> LeadRepository: ...
    @property
    def lead_activity(self) -> LeadActivityLog: ...
    @property
    def lead_forms(self) -> LeadFormRepository: ...
    @property
    def sales_settings(self) -> SalesSettings: ...
    @property
    def rotation(self) -> Rotation: ...
    @property
    def reps(self) -> RepDirectory: ...
    @property
    def pipelines(self) -> PipelineRepository: ...
    @property
    def opportunities(self) -> OpportunityRepository: ...
    @property
    def lapses(self) -> FollowUpLapses: ...
    @property
    def contracts(self) -> ContractRepository: ...
    @property
    def templates(self) -> TemplateRepository: ...
    @property
    def notification_preferences(self) -> PreferenceRepository: ...
    @property
    def deliveries(self) -> DeliveryRepository: ...
    @property
    def webhooks(self) -> WebhookRepository: ...
    @property
    def webhook_deliveries(self) -> WebhookDeliveries: ...

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    async def commit(self) -> None: ...
    async def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...


class IdempotencyStore(Protocol):
    """Remembers the first response to a (caller, Idempotency-Key) pair."""

    async def begin(self, caller: str, key: str, fingerprint: str) -> IdempotencyOutcome: ...
    async def complete(self, caller: str, key: str, status: int, headers: list[tuple[str, str]],
                       body: bytes) -> None: ...
    async def abandon(self, caller: str, key: str) -> None: ...


@dataclass(frozen=True)
class IdempotencyOutcome:
    """state: 'new' (go ahead), 'in_flight', 'mismatch' or 'replay' (with the stored response)."""

    state: str
    status: int = 0
    headers: list[tuple[str, str]] | None = None
    body: bytes = b""


class FieldCipher(Protocol):
    """Encryption at rest for personal data, and the keyed blind index for exact lookups."""

    def encrypt(self, plaintext: str) -> str: ...
    def decrypt(self, token: str) -> str: ...
    def blind_index(self, kind: str, normalised: str) -> str: ...


class HealthCheck(Protocol):
    async def __call__(self) -> dict[str, bool]: ...

