"""The arq worker: runs the consumers of outbox events, plus the outbox relay and the webhook
delivery loop beside it.

An event job carries its outbox row (which never changes); other jobs take ids and reload.
Every effect is idempotent (see EventDispatcher), so arq's at-least-once delivery and a
hard-killed worker's re-run apply each effect once.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from arq import Retry
from arq.cron import cron
from arq.worker import Worker, func

from adapters.jobs.arq_worker import PromptWorker
from adapters.jobs.housekeeping import housekeeping_context, housekeeping_crons
from adapters.jobs.outbox import event_from_job
from adapters.outages import OUTAGES, unavailable
from domain.discipline.service import FollowUpDiscipline
from domain.shared.dispatch import EventDispatcher
from domain.shared.ports import JobName

log = logging.getLogger("crm.worker")

# Every function, crons included, has this timeout, because arq locks each job it takes for
# the longest timeout of all its functions plus 10 s: a hard-killed worker's jobs are taken
# up again 30 s after it took them, at the latest. Longer work goes in stretches (below).
JOB_TIMEOUT_SECONDS = 20
MAX_TRIES = 12


def backoff_seconds(job_try: int) -> float:
    """1 s, 2 s, 4 s … capped at 5 minutes."""
    return float(min(2 ** max(job_try - 1, 0), 300))


async def handle_event(ctx: dict[str, Any], event_id: str,
                       event: dict[str, Any] | None = None) -> int:
    """`event` is the outbox row as the relay read it; a job queued without it makes the
    dispatcher read the row."""
    dispatcher: EventDispatcher = ctx["dispatcher"]
    try:
        return await dispatcher.dispatch(
            uuid.UUID(event_id),
            event_from_job(uuid.UUID(event_id), event) if event is not None else None)
    except Exception as e:
        job_try = int(ctx.get("job_try", 1))
        if job_try < MAX_TRIES and unavailable(e) is not None:
            # the relay and the worker loop say that the database is away, once
            log.debug("event %s waits for the database (try %s): %r", event_id, job_try, e)
            raise Retry(defer=backoff_seconds(job_try)) from e
        if job_try >= MAX_TRIES:
            log.exception("event %s failed for good after %s tries", event_id, job_try)
            raise
        log.warning("event %s failed (try %s), retrying: %r", event_id, job_try, e)
        raise Retry(defer=backoff_seconds(job_try)) from e


# An import or export works in stretches of this long, then queues its continuation: a
# killed worker loses at most one uncommitted chunk. A stretch starts no chunk once its
# budget is spent, so it ends within the budget plus one chunk (about a second or two of
# 2,000 rows), well inside JOB_TIMEOUT_SECONDS.
STRETCH_BUDGET_SECONDS = 10


async def _resumable(service: Any, record_id: str) -> bool:
    """Runs one stretch of a chunked job and queues the next stretch if work remains."""
    more = bool(await service.run(uuid.UUID(record_id), budget_seconds=STRETCH_BUDGET_SECONDS))
    if more:
        await service.kick(uuid.UUID(record_id), int(time.time() * 1000))
    return more


async def run_import(ctx: dict[str, Any], import_id: str) -> bool:
    return await _resumable(ctx["imports"], import_id)


async def run_export(ctx: dict[str, Any], export_id: str) -> bool:
    return await _resumable(ctx["exports"], export_id)


Result = TypeVar("Result")


def skipped_in_outage(cron_job: Callable[[dict[str, Any]], Awaitable[Result]]
                      ) -> Callable[..., Coroutine[Any, Any, Result | None]]:
    """A scheduled sweep that finds the database away does nothing this time: it runs again at
    its next tick, and the outage is logged once by the worker's loops, not with a traceback
    per tick."""

    @functools.wraps(cron_job)
    async def run(ctx: dict[str, Any]) -> Result | None:
        try:
            return await cron_job(ctx)
        except Exception as e:
            if unavailable(e) is None:
                raise
            log.debug("%s skipped: %r", cron_job.__name__, e)
            return None

    return run


@skipped_in_outage
async def sweep_stale_imports(ctx: dict[str, Any]) -> int:
    """Picks up imports and exports whose job was lost (queue down, worker killed)."""
    return int(await ctx["imports"].sweep_stale()) + int(await ctx["exports"].sweep_stale())


@skipped_in_outage
async def resend_lost_events(ctx: dict[str, Any]) -> int:
    """Cron: events whose reactions have not run a grace period after they were queued are
    queued again (Redis lost them); the outbox, not Redis, says what is owed."""
    return (await ctx["relay"].resend_lost())[1]


@skipped_in_outage
async def scan_followups(ctx: dict[str, Any]) -> dict[str, int]:
    """Cron: open leads and opportunities nobody followed up on (idempotent per lapse)."""
    discipline: FollowUpDiscipline = ctx["discipline"]
    result = await discipline.scan()
    if result.reminded or result.escalated:
        log.info("follow-up scan: %s reminded, %s escalated", result.reminded, result.escalated)
    return {"reminded": result.reminded, "escalated": result.escalated}


@skipped_in_outage
async def scan_approvals(ctx: dict[str, Any]) -> dict[str, int]:
    """Cron: remind, then escalate, approval steps waiting too long (once each per step)."""
    result = await ctx["contracts"].scan_approvals()
    if result.reminded or result.escalated:
        log.info("approval scan: %s reminded, %s escalated", result.reminded, result.escalated)
    return {"reminded": result.reminded, "escalated": result.escalated}


@skipped_in_outage
async def sweep_contracts(ctx: dict[str, Any]) -> dict[str, int]:
    """Cron: contracts whose start came become active, renewal tasks, expiry (idempotent)."""
    result = await ctx["contracts"].sweep()
    return {"activated": result.activated, "renewals": result.renewals,
            "expired": result.expired}

@skipped_in_outage
async def deliver_due(ctx: dict[str, Any]) -> int:
    """Cron: e-mail/SMS retries that are due, and deliveries whose job never ran (the queue
    was down, a worker died holding them); the database, not Redis, holds what is owed."""
    return int(await ctx["delivery"].send_due())


# Every five seconds: retries are at least that far apart, and a lost job costs no more.
DELIVERY_SECONDS = set(range(0, 60, 5))

# Every ten minutes: a lapse is counted in days, so this is prompt enough and cheap.
SCAN_MINUTES = set(range(0, 60, 10))


def build_worker(container: Any, *, handle_signals: bool, burst: bool = False,
                 wake: asyncio.Event | None = None,
                 on_connected: Callable[[], None] | None = None) -> Worker:
    """`wake`, set by the outbox relay of this process when it queued jobs, ends the worker's
    idle wait at once."""
    return PromptWorker(
        # An event job's result (how many consumers ran) is read by nobody: not kept, which
        # spares Redis a write per event. A job id relayed twice then runs twice: harmless, the
        # second run's 'processed' markers fail at its commit and it keeps nothing.
        functions=[func(handle_event, name=JobName.HANDLE_EVENT.value, keep_result=0,
                        timeout=JOB_TIMEOUT_SECONDS, max_tries=MAX_TRIES),
                   func(run_import, name=JobName.RUN_IMPORT.value,
                        timeout=JOB_TIMEOUT_SECONDS, max_tries=MAX_TRIES),
                   func(run_export, name=JobName.RUN_EXPORT.value,
                        timeout=JOB_TIMEOUT_SECONDS, max_tries=MAX_TRIES)],
        # Not in burst mode: a burst (tests draining the queue) runs the queued jobs only.
        # A stretch takes its import row locked, and a second job of a live import (a sweep's
        # kick, a killed worker's job retried) ends at once instead of waiting out its
        # timeout behind it: the sweep can be eager without applying anything twice.
        cron_jobs=[] if burst else [
            cron(sweep_stale_imports, second=set(range(0, 60, 10)), run_at_startup=True,
                 timeout=JOB_TIMEOUT_SECONDS),
            cron(scan_followups, name=JobName.SCAN_FOLLOWUPS.value, minute=SCAN_MINUTES,
                 timeout=JOB_TIMEOUT_SECONDS, unique=True),
            # Reminders count working hours: once a minute is prompt to the minute.
            cron(scan_approvals, name=JobName.SCAN_APPROVALS.value, second=0,
                 timeout=JOB_TIMEOUT_SECONDS, unique=True),
            # The "daily" contract sweep runs hourly: each effect happens once per contract,
            # and a day begins at midnight in the policy's time zone, not the server's.
            cron(sweep_contracts, name=JobName.SWEEP_CONTRACTS.value, minute=5,
                 timeout=JOB_TIMEOUT_SECONDS, unique=True, run_at_startup=True),
            cron(deliver_due, second=DELIVERY_SECONDS, run_at_startup=True,
                 timeout=JOB_TIMEOUT_SECONDS, unique=True),
            cron(resend_lost_events, second=DELIVERY_SECONDS, run_at_startup=True,
                 timeout=JOB_TIMEOUT_SECONDS, unique=True),
            *housekeeping_crons(container.settings)],
        queue_name=container.queue.queue_name,
        redis_settings=container.redis_settings,
        ctx={"dispatcher": container.dispatcher, "imports": container.imports,
             "exports": container.exports, "discipline": container.discipline,
             "contracts": container.contracts, "delivery": container.delivery,
             "relay": container.relay,
             **housekeeping_context(container)},
        handle_signals=handle_signals,
        burst=burst,
        # The idle poll; a job the relay of this process enqueues is picked up at once.
        poll_delay=0.05,
        max_jobs=20,
        job_timeout=JOB_TIMEOUT_SECONDS,
        keep_result=3600,
        # Redis may go away; keep trying to reconnect instead of dying.
        retry_jobs=True,
        wake=wake,
        on_connected=on_connected,
    )


async def run_worker(container: Any, stop: asyncio.Event, *, handle_signals: bool = False) -> None:
    """The arq worker and the outbox relay, until `stop` is set. A worker that loses Redis is
    started again, backing off while Redis stays away (one line when it goes, one when it is
    back)."""
    wake = asyncio.Event()
    container.relay.on_enqueued = wake.set
    relay_task = asyncio.create_task(container.relay.run(stop))
    webhooks_task = asyncio.create_task(container.deliverer.run(stop))
    watch = OUTAGES.watch("job worker", first_wait=1.0, max_wait=5.0)
    try:
        while not stop.is_set():
            worker = build_worker(container, handle_signals=handle_signals, wake=wake,
                                  on_connected=watch.recovered)
            worker_task = asyncio.create_task(worker.async_run())
            stop_task = asyncio.create_task(stop.wait())
            done, _ = await asyncio.wait({worker_task, stop_task},
                                         return_when=asyncio.FIRST_COMPLETED)
            if worker_task in done:
                stop_task.cancel()
                exc = worker_task.exception()
                outage = unavailable(exc) if exc is not None else None
                if outage is not None:
                    wait = watch.failed(outage)
                else:
                    wait = 1.0
                    log.warning("worker stopped (%r); restarting in 1 s", exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), wait)
            else:
                worker_task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await worker_task
                await _close(worker)
    finally:
        watch.close()
    await relay_task
    await webhooks_task


async def _close(worker: Worker) -> None:
    """Closes a stopped worker; its jobs cancelled on the way out are arq's to retry. Only a
    cancellation of this task itself goes on."""
    try:
        await worker.close()
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise
    except Exception:
        log.debug("closing the worker failed", exc_info=True)
