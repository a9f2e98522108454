"""The composition root: builds adapters from settings and hands them to the core and the API."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

from arq.connections import RedisSettings
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.auth.passwords import Argon2PasswordHasher
from adapters.auth.tokens import JoseTokenIssuer
from adapters.clock import SystemClock
from adapters.crypto.fields import AesGcmFieldCipher
from adapters.db.audit_partitions import SqlAuditPartitions
from adapters.db.engine import build_engine, libpq_url
from adapters.db.idempotency import SqlIdempotencyStore
from adapters.db.search import SqlSearch
from adapters.db.unit_of_work import SqlUnitOfWork
from adapters.embedded import RedisProcess, start_postgres
from adapters.files.tables import Sheets, TableLimits, read_table
from adapters.jobs.outbox import OutboxRelay
from adapters.jobs.queue import ArqQueue, redis_settings
from adapters.jobs.reactions import dispatcher, registry
from adapters.jobs.reactions import relay_hooks as hooks_for_relay
from adapters.notify.email import LoggingEmailSender, SmtpConfig, SmtpEmailSender
from adapters.notify.feed import PgNotificationFeed
from adapters.notify.sms import LoggingSmsSender
from adapters.outages import unavailable
from adapters.ratelimit import RedisRateLimiter
from adapters.settings import Settings
from adapters.webhooks.deliverer import WebhookDeliverer
from adapters.webhooks.resolver import DnsResolver
from adapters.webhooks.sender import WebhookSender
from api.deps import ApiContext, NotifyContext
from api.rate_limits import RateLimitPolicy
from domain.audit.retention import AuditRetention
from domain.contracts.service import ContractService
from domain.customers.model import TierPolicy
from domain.customers.service import CustomerService
from domain.discipline.service import FollowUpDiscipline
from domain.exports.service import ExportService
from domain.exports.sources import ExportObject
from domain.fields_and_tags.service import CatalogService
from domain.identity.service import IdentityPolicy, IdentityService, SubtreeCache
from domain.imports.service import ImportService
from domain.leads.intake_service import IntakeService
from domain.leads.service import LeadService
from domain.leads.settings_service import LeadSettingsService
from domain.notifications.delivery_service import DeliveryService
from domain.notifications.inbox_service import NotificationService
from domain.notifications.model import RetryPolicy
from domain.notifications.ports import EmailSender
from domain.notifications.preferences_service import PreferenceService
from domain.notifications.templates_service import TemplateService
from domain.pipeline.service import OpportunityService
from domain.search.service import SearchService
from domain.shared.dispatch import EventDispatcher
from domain.shared.lookup import ContactLookup
from domain.shared.ports import Clock
from domain.webhooks.model import RetryPolicy as WebhookRetryPolicy
from domain.webhooks.service import WebhookService

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
    templates: TemplateService
    preferences: PreferenceService
    delivery: DeliveryService
    feed: PgNotificationFeed
    webhooks: WebhookService
    deliverer: WebhookDeliverer
    audit_retention: AuditRetention
    search: SearchService
    extras: dict[str, Any] = field(default_factory=dict)

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, self.cipher,
                             count_timeout_ms=self.settings.count_timeout_ms)

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
            webhooks=self.webhooks,
            idempotency=self.idempotency, health=self.health,
            max_body_bytes=self.settings.max_body_bytes, web_dist=self.settings.web_dist,
            notify=NotifyContext(templates=self.templates, preferences=self.preferences,
                                 deliveries=self.delivery, feed=self.feed,
                                 keepalive_seconds=self.settings.sse_keepalive_seconds),
            outage_of=unavailable,
            rate_limit=RateLimitPolicy(per_second=self.settings.rate_limit_per_second,
                                       burst=self.settings.rate_limit_burst)
            if self.settings.rate_limit_enabled else None,
            buckets=self.limiter, search=self.search,
            default_locale=self.settings.default_locale,
        )

    async def close(self) -> None:
        await self.feed.close()
        await self.queue.close()
        await self.limiter.close()
        await self.deliverer.close()
        await self.engine.dispose()


def build(settings: Settings, *, clock: Clock | None = None) -> Container:
    """Nothing connects here; connections open on first use."""
    assert settings.database_url and settings.redis_url, "call resolve_services() first"
    engine = build_engine(settings.database_url)
    clock = clock or SystemClock()
    queue = ArqQueue(settings.redis_url, settings.queue_name)
    cipher = AesGcmFieldCipher(settings.field_key, settings.blind_index_key)

    def uow() -> SqlUnitOfWork:
        return SqlUnitOfWork(engine, cipher, count_timeout_ms=settings.count_timeout_ms)

    def reader() -> SqlUnitOfWork:
        return SqlUnitOfWork(engine, cipher, read_only=True)

    def single() -> SqlUnitOfWork:
        return SqlUnitOfWork(engine, cipher, autocommit=True)

    subtrees = SubtreeCache(settings.caller_cache_seconds)
    limiter = RedisRateLimiter(settings.redis_url, f"{settings.queue_name}:ratelimit")
    lookup = ContactLookup(limiter, settings.lookups_per_minute)
    customers = CustomerService(uow, clock, TierPolicy(settings.tier_strategic_from,
                                                       settings.tier_key_from), reader=reader,
                                subtrees=subtrees, lookup=lookup)
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
            logins_per_address_per_minute=settings.logins_per_address_per_minute,
        ),
        caller_ttl=settings.caller_cache_seconds, limiter=limiter,
        subtrees=subtrees,
    )
    opportunities = OpportunityService(uow, clock, customers, settings.default_locale)
    leads = LeadService(uow, clock, customers, opportunities, lookup=lookup)
    delivery = DeliveryService(uow, clock, email_sender(settings), LoggingSmsSender(),
                               RetryPolicy.parse(settings.delivery_retry_seconds),
                               lease_seconds=max(60.0, settings.smtp_timeout * 6),
                               single=single)
    limits = TableLimits(rows=settings.import_max_rows, columns=settings.import_max_columns,
                         cell_chars=settings.import_max_cell_chars)
    imports = ImportService(uow, clock, customers, partial(read_table, limits=limits), queue,
                            leads)
    contracts = ContractService(uow, clock, customers, opportunities)
    exports = ExportService(uow, clock, customers, catalog, Sheets(), queue, readers={
        ExportObject.LEAD: leads.list, ExportObject.OPPORTUNITY: opportunities.list,
        ExportObject.CONTRACT: contracts.list})
    reactions = registry(delivery, imports, exports)
    relay_hooks = hooks_for_relay(reactions)
    resolver = DnsResolver()
    webhooks = WebhookService(uow, clock, resolver,
                              WebhookRetryPolicy(schedule=tuple(settings.webhook_retry_delays)))
    deliverer = WebhookDeliverer(
        engine, cipher, webhooks,
        WebhookSender(resolver, timeout=settings.webhook_timeout_seconds,
                      max_connections=settings.webhook_concurrency),
        listen_url=libpq_url(settings.database_url), concurrency=settings.webhook_concurrency,
        # A delivery whose worker died goes again when its lease runs out: 30 s by default,
        # long enough for an attempt (bounded at half the lease) of a few timed-out phases.
        lease_seconds=settings.webhook_timeout_seconds * 6)
    return Container(
        settings=settings, engine=engine, queue=queue,
        redis_settings=redis_settings(settings.redis_url), clock=clock, cipher=cipher,
        identity=identity, customers=customers, catalog=catalog,
        imports=imports, exports=exports,
        notifications=NotificationService(uow, clock),
        dispatcher=dispatcher(reactions, uow, reader, delivery),
        relay=OutboxRelay(engine, queue, listen_url=libpq_url(settings.database_url),
                          consumers=relay_hooks.consumers,
                          grace_seconds=settings.outbox_grace_seconds,
                          on_batch=relay_hooks.on_batch,
                          subscribers=relay_hooks.subscribers),
        idempotency=SqlIdempotencyStore(engine),
        leads=leads, lead_settings=LeadSettingsService(uow), opportunities=opportunities,
        intake=IntakeService(uow, limiter, leads),
        discipline=FollowUpDiscipline(uow, clock), limiter=limiter,
        contracts=contracts,
        templates=TemplateService(uow), preferences=PreferenceService(uow), delivery=delivery,
        feed=PgNotificationFeed(engine, libpq_url(settings.database_url)),
        webhooks=webhooks, deliverer=deliverer,
        audit_retention=AuditRetention(SqlAuditPartitions(engine), clock,
                                       settings.audit_retention_days),
        search=SearchService(uow, SqlSearch(engine), customers, reader=reader, lookup=lookup),
    )


def email_sender(settings: Settings) -> EmailSender:
    if not settings.smtp_host:
        return LoggingEmailSender()
    return SmtpEmailSender(SmtpConfig(
        host=settings.smtp_host, port=settings.smtp_port, username=settings.smtp_username,
        password=settings.smtp_password, starttls=settings.smtp_starttls,
        sender=settings.smtp_from, timeout=settings.smtp_timeout))
