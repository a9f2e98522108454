"""The composition root: builds adapters from settings and hands them to the core and the API."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from arq.connections import RedisSettings
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.auth.passwords import Argon2PasswordHasher
from adapters.auth.tokens import JoseTokenIssuer
from adapters.clock import SystemClock
from adapters.crypto.fields import AesGcmFieldCipher
from adapters.db.engine import build_engine, libpq_url
from adapters.db.idempotency import SqlIdempotencyStore
from adapters.db.unit_of_work import SqlUnitOfWork
from adapters.embedded import RedisProcess, start_postgres
from adapters.files.tables import Sheets, read_table
from adapters.jobs.outbox import OutboxRelay
from adapters.jobs.queue import ArqQueue, redis_settings
from adapters.ratelimit import RedisRateLimiter
from adapters.settings import Settings
from api.deps import ApiContext
from domain.customers.model import TierPolicy
from domain.ports import Clock
from domain.services.catalog import CatalogService
from domain.services.consumers import HANDLERS, EventDispatcher
from domain.services.contract_consumers import CONTRACT_HANDLERS
from domain.services.contracts import ContractService
from domain.services.customers import CustomerService
from domain.services.exports import ExportService
from domain.services.followup_discipline import FollowUpDiscipline
from domain.services.identity import IdentityPolicy, IdentityService
from domain.services.imports import ImportService
from domain.services.intake import IntakeService
from domain.services.lead_settings import LeadSettingsService
from domain.services.leads import LeadService
from domain.services.notifications import NotificationService
from domain.services.opportunities import OpportunityService
from domain.services.sales_consumers import SALES_HANDLERS

log = logging.getLogger("crm")


def resolve_services(settings: Settings) -> Settings:
    """Fills in embedded PostgreSQL / Redis when no URL is configured."""
    updates: dict[str, Any] = {}
    if not settings.database_url:
        log.info("CRM_DATABASE_URL not set: starting embedded PostgreSQL under %s",
                 settings.data_dir)
        updates["database_url"] = start_postgres(settings.data_dir)
    if not settings.redis_url:
        log.info("CRM_REDIS_URL not set: starting embedded Redis under %s", settings.data_dir)
        updates["redis_url"] = RedisProcess(Path(settings.data_dir) / "redis").start().url
    return settings.model_copy(update=updates) if updates else settings


@dataclass
class Container:
    settings: Settings
    engine: AsyncEngine
    queue: ArqQueue
    redis_settings: RedisSettings
    clock: Clock
    cipher: AesGcmFieldCipher
    identity: IdentityService
    customers: CustomerService
    catalog: CatalogService
    imports: ImportService
    exports: ExportService
    notifications: NotificationService
    dispatcher: EventDispatcher
    relay: OutboxRelay
    idempotency: SqlIdempotencyStore
    leads: LeadService
    lead_settings: LeadSettingsService
    opportunities: OpportunityService
    intake: IntakeService
    discipline: FollowUpDiscipline
    limiter: RedisRateLimiter
    contracts: ContractService
    extras: dict[str, Any] = field(default_factory=dict)

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, self.cipher)

    async def health(self) -> dict[str, bool]:
        db = True
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:
            db = False
        return {"database": db, "redis": await self.queue.ping()}

    def api_context(self) -> ApiContext:
        return ApiContext(
            identity=self.identity, customers=self.customers, catalog=self.catalog,
            imports=self.imports, exports=self.exports,
            max_import_bytes=self.settings.max_import_bytes,
            notifications=self.notifications, leads=self.leads,
            lead_settings=self.lead_settings,
            opportunities=self.opportunities, intake=self.intake, contracts=self.contracts,
            idempotency=self.idempotency, health=self.health,
            max_body_bytes=self.settings.max_body_bytes, web_dist=self.settings.web_dist,
        )

    async def close(self) -> None:
        await self.queue.close()
        await self.limiter.close()
        await self.engine.dispose()


def build(settings: Settings, *, clock: Clock | None = None) -> Container:
    """Nothing connects here; connections open on first use."""
    assert settings.database_url and settings.redis_url, "call resolve_services() first"
    engine = build_engine(settings.database_url)
    clock = clock or SystemClock()
    queue = ArqQueue(settings.redis_url, settings.queue_name)
    cipher = AesGcmFieldCipher(settings.field_key, settings.blind_index_key)

    def uow() -> SqlUnitOfWork:
        return SqlUnitOfWork(engine, cipher)

    def reader() -> SqlUnitOfWork:
        return SqlUnitOfWork(engine, cipher, read_only=True)

    customers = CustomerService(uow, clock, TierPolicy(settings.tier_strategic_from,
                                                       settings.tier_key_from), reader=reader)
    catalog = CatalogService(uow, clock, customers)
    identity = IdentityService(
        uow=uow, reader=reader, hasher=Argon2PasswordHasher(),
        tokens=JoseTokenIssuer(settings.secret_key,
                               timedelta(minutes=settings.access_token_minutes)),
        clock=clock,
        policy=IdentityPolicy(
            max_failed_logins=settings.login_max_failures,
            lockout=timedelta(minutes=settings.lockout_minutes),
            refresh_ttl=timedelta(days=settings.refresh_token_days),
        ),
        caller_ttl=settings.caller_cache_seconds,
    )
    opportunities = OpportunityService(uow, clock, customers)
    leads = LeadService(uow, clock, customers, opportunities)
    limiter = RedisRateLimiter(settings.redis_url, f"{settings.queue_name}:ratelimit")
    handlers = {**HANDLERS, **SALES_HANDLERS, **CONTRACT_HANDLERS}
    return Container(
        settings=settings, engine=engine, queue=queue,
        redis_settings=redis_settings(settings.redis_url), clock=clock, cipher=cipher,
        identity=identity, customers=customers, catalog=catalog,
        imports=ImportService(uow, clock, customers, read_table, queue, leads),
        exports=ExportService(uow, clock, customers, catalog, Sheets(), queue),
        notifications=NotificationService(uow, clock),
        dispatcher=EventDispatcher(uow, handlers),
        relay=OutboxRelay(engine, queue, listen_url=libpq_url(settings.database_url),
                          consumed=handlers.__contains__),
        idempotency=SqlIdempotencyStore(engine),
        leads=leads, lead_settings=LeadSettingsService(uow), opportunities=opportunities,
        intake=IntakeService(uow, limiter, leads),
        discipline=FollowUpDiscipline(uow, clock), limiter=limiter,
        contracts=ContractService(uow, clock, customers, opportunities),
    )
