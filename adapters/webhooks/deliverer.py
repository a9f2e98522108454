"""The delivery loop: due deliveries out of PostgreSQL, signed POSTs, outcomes back.

The state lives in the database, not in Redis: a delivery is claimed with SELECT … FOR UPDATE
SKIP LOCKED and leased (its next attempt pushed `lease` seconds ahead) before it is sent. A
worker that dies mid-send leaves the lease to run out and the delivery is sent again, with the
same webhook-id (at least once; subscribers de-duplicate by webhook-id).

The claim also counts the attempt (Delivery.start_attempt), in its own commit before the POST:
whether the worker then dies, or the database is away when the outcome is to be recorded, an
attempt that may have reached the receiver is in the log, and the send after the lease is the
next attempt. The log may count an attempt whose worker died before sending; it never misses
one that was sent. Redis is not needed
here at all: deliveries are made by the outbox relay (adapters/webhooks/fanout.py), which keeps
events in the outbox while a batch it must also queue cannot reach Redis.

Order per record: a delivery is not claimed while an earlier delivery of the same record to the
same endpoint is pending, nor while an earlier event of that record (of a subscribed type) is
not published (fanned out) yet.

The loop LISTENs for the NOTIFY a fan-out or redelivery sends on commit and otherwise wakes when
the next retry falls due (and at least every `poll` seconds).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.db.listen import first_of, listen
from adapters.db.webhooks import CHANNEL
from adapters.outages import OUTAGES, unavailable
from adapters.webhooks.sender import WebhookSender
from domain.shared.ports import FieldCipher
from domain.webhooks.model import AttemptResult
from domain.webhooks.service import WebhookService

log = logging.getLogger("crm.webhooks")

# Pending deliveries of active endpoints that may go now, order per record permitting.
ELIGIBLE = """
  d.status = 'pending' AND e.active
  AND NOT EXISTS (
    SELECT 1 FROM webhook_deliveries p
    WHERE p.endpoint_id = d.endpoint_id AND p.aggregate_type = d.aggregate_type
      AND p.aggregate_id = d.aggregate_id AND p.status = 'pending'
      AND p.sequence < d.sequence)
  AND NOT EXISTS (
    SELECT 1 FROM outbox o
    WHERE o.aggregate_type = d.aggregate_type AND o.aggregate_id = d.aggregate_id
      AND o.seq > e.from_seq AND o.seq < d.sequence AND o.published_at IS NULL
      AND o.type = ANY(e.event_types))
"""

# A constant fragment, no input: S608 does not apply.
CLAIM = text("""
WITH due AS (
  SELECT d.id FROM webhook_deliveries d
  JOIN webhook_endpoints e ON e.id = d.endpoint_id
  WHERE d.next_attempt_at <= now() AND """ + ELIGIBLE + """
  ORDER BY d.next_attempt_at
  LIMIT :limit
  FOR UPDATE OF d SKIP LOCKED
)
UPDATE webhook_deliveries w SET next_attempt_at = now() + make_interval(secs => :lease),
  attempts = w.attempts + 1, round_attempts = w.round_attempts + 1, last_attempt_at = now(),
  response_status = NULL, latency_ms = NULL, last_error = NULL
FROM due, webhook_endpoints e
WHERE w.id = due.id AND e.id = w.endpoint_id
RETURNING w.id, w.body, e.url, e.allow_private, e.secret_enc,
  CASE WHEN e.previous_secret_until > now() THEN e.previous_secret_enc END AS previous_enc,
  EXISTS (
  SELECT 1 FROM webhook_deliveries n
  WHERE n.endpoint_id = w.endpoint_id AND n.aggregate_type = w.aggregate_type
    AND n.aggregate_id = w.aggregate_id AND n.status = 'pending'
    AND n.sequence > w.sequence) AS has_next
""")  # noqa: S608

NEXT_DUE = text("""
SELECT extract(epoch FROM min(d.next_attempt_at) - now()) FROM webhook_deliveries d
JOIN webhook_endpoints e ON e.id = d.endpoint_id
WHERE """ + ELIGIBLE)

# After an error (the database away, out of connections), retry soon: like the relay.
MAX_BACKOFF_SECONDS = 5.0

# Attempts that finish, and NOTIFYs that arrive, within this window share one transaction.
COALESCE_SECONDS = 0.005



@dataclass(frozen=True)
class Claimed:
    id: uuid.UUID
    body: str
    url: str
    allow_private: bool
    secrets: tuple[str, ...]  # the current one, and a rotated-out one still in its overlap
    has_next: bool = False  # a later delivery of the same record waits for this one
    notifies: int = 0  # NOTIFYs heard before it was claimed

    @property
    def message_id(self) -> str:
        return f"msg_{self.id.hex}"


class WebhookDeliverer:
    def __init__(self, engine: AsyncEngine, cipher: FieldCipher, service: WebhookService,
                 sender: WebhookSender, *, listen_url: str | None = None,
                 concurrency: int = 20, lease_seconds: float = 60.0,
                 poll: float = 1.0) -> None:
        self._engine = engine
        self._cipher = cipher
        self._service = service
        self._sender = sender
        self._listen_url = listen_url
        self._concurrency = concurrency
        self._lease = lease_seconds
        self._poll = poll
        self._wake = asyncio.Event()
        self._notifies = 0  # NOTIFYs heard so far

    async def claim(self, limit: int) -> list[Claimed]:
        async with self._engine.begin() as conn:
            rows = (await conn.execute(CLAIM, {"limit": limit, "lease": self._lease})).all()
        decrypt = self._cipher.decrypt
        return [Claimed(r.id, r.body, r.url, r.allow_private,
                        (decrypt(r.secret_enc),) + ((decrypt(r.previous_enc),)
                                                    if r.previous_enc else ()),
                        r.has_next, self._notifies) for r in rows]

    async def attempt(self, c: Claimed) -> AttemptResult:
        try:
            return await asyncio.wait_for(
                self._sender.send(url=c.url, allow_private=c.allow_private, secrets=c.secrets,
                                  msg_id=c.message_id, body=c.body), self._lease / 2)
        except TimeoutError:
            return AttemptResult(None, int(self._lease / 2 * 1000), error="timed out")

    async def deliver_due(self) -> int:
        """Sends everything due now, round after round, until nothing is; answers how many
        attempts were made (tests and the command line drive this; the worker runs `run`)."""
        total = 0
        while True:
            claimed = await self.claim(self._concurrency)
            if not claimed:
                return total
            results = await asyncio.gather(*(self.attempt(c) for c in claimed))
            await self._service.record_attempts([(c.id, r) for c, r in zip(claimed, results,
                                                                           strict=True)])
            total += len(claimed)

    async def run(self, stop: asyncio.Event) -> None:
        """Claims what is due, sends up to `concurrency` at once, and records the outcomes in
        batches (one transaction for all attempts that finished meanwhile)."""
        listener = (asyncio.create_task(self._listen(stop)) if self._listen_url else None)
        inflight: set[asyncio.Task[None]] = set()
        finished: list[tuple[Claimed, AttemptResult]] = []
        some_finished = asyncio.Event()
        slots_were_full = False

        async def send(c: Claimed) -> None:
            finished.append((c, await self.attempt(c)))
            some_finished.set()

        async def recorder() -> None:
            while not (stop.is_set() and not inflight and not finished):
                await first_of(some_finished, stop, self._poll)
                some_finished.clear()
                await asyncio.sleep(COALESCE_SECONDS)
                batch = finished[:]
                del finished[:len(batch)]
                if not batch:
                    continue
                try:
                    await self._service.record_attempts([(c.id, r) for c, r in batch])
                except Exception as e:  # counted already; their leases run out, they go again
                    outage = unavailable(e)
                    if outage is None:
                        log.exception("could not record %s webhook attempts", len(batch))
                    else:
                        log.warning("could not record %s webhook attempts: the %s is "
                                    "unavailable (%s)", len(batch), outage.dependency,
                                    outage.reason)
                # Claim again only when it can give something: deliveries were waiting for a
                # slot or for these (the same record's next), or new ones came meanwhile.
                if slots_were_full or any(c.has_next or c.notifies < self._notifies
                                          for c, _ in batch):
                    self._wake.set()

        recording = asyncio.create_task(recorder())
        backoff = self._poll
        watch = OUTAGES.watch("webhook delivery loop", first_wait=self._poll,
                              max_wait=MAX_BACKOFF_SECONDS)
        try:
            while not stop.is_set():
                self._wake.clear()
                free = self._concurrency - len(inflight)
                try:
                    claimed = await self.claim(free) if free > 0 else []
                    slots_were_full = free <= 0 or len(claimed) == free
                    for c in claimed:
                        task = asyncio.create_task(send(c))
                        inflight.add(task)
                        task.add_done_callback(inflight.discard)
                    # with deliveries out, the recorder wakes us; otherwise the next retry
                    wait = self._poll if inflight else await self._next_due_in()
                    backoff = self._poll
                    watch.recovered()
                except Exception as e:
                    outage = unavailable(e)
                    if outage is None:
                        log.exception("webhook delivery loop failed; retrying")
                        backoff = wait = min(backoff * 2, MAX_BACKOFF_SECONDS)
                    else:
                        backoff = wait = watch.failed(outage)
                await first_of(stop, self._wake, wait)
                await asyncio.sleep(COALESCE_SECONDS)  # one claim for a burst of NOTIFYs
        finally:
            watch.close()
            if inflight:
                await asyncio.wait(inflight, timeout=self._lease / 2)
            some_finished.set()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(recording, timeout=10)
            if listener is not None:
                listener.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await listener

    async def _next_due_in(self) -> float:
        async with self._engine.connect() as conn:
            seconds = await conn.scalar(NEXT_DUE)
        if seconds is None:
            return self._poll
        return min(max(float(seconds), 0.05), self._poll)

    async def _listen(self, stop: asyncio.Event) -> None:
        assert self._listen_url is not None
        await listen(self._listen_url, CHANNEL, lambda _payload: self._notified(), stop,
                     what="webhook deliveries", on_up=self._wake.set)

    def _notified(self) -> None:
        self._notifies += 1
        self._wake.set()

    async def close(self) -> None:
        await self._sender.close()
