"""Every effect that follows a committed change, by the event type that causes it: the one list.

Each event type the domain emits has one entry, saying what follows it:
- `consumers`: run by the worker, each in its own transaction, once per event (a consumer's
  'processed' marker commits with its effect); named so a reader can find them in the logs;
- `webhooks`: the relay fans the event out to the subscribed webhook endpoints, one delivery row
  each, in the very transaction that publishes it (so an event only webhooks care about costs
  no job, and a delivery exists exactly when its event is published);
- `NO_REACTION`: nothing follows; the relay marks the event published without a job.

Two fast paths keep the speed the benchmarks measure, and both are declared here:
- a consumer's new notifications have their e-mail/SMS deliveries sent right after that
  consumer commits (`dispatcher()` below); the `notification.created` consumer is the safety
  net that finds nothing left to send;
- the webhook fan-out runs inside the relay's statement (`relay_hooks()` below).

A test holds this list against every event type the domain can emit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.webhooks.fanout import fan_out, subscribers
from domain.contracts.model import EventType as Contract
from domain.contracts.reactions import (
    ask_next_approver,
    escalate_approval,
    remind_approver,
    tell_legal_signed,
    tell_owner_approved,
    tell_owner_expired,
    tell_owner_rejected,
    tell_owner_renewal,
)
from domain.customers.model import EventType as Customer
from domain.customers.reactions import tell_new_owner
from domain.discipline.model import EventType as Lapse
from domain.discipline.reactions import remind_owner, tell_manager
from domain.exports.model import EventType as Export
from domain.exports.service import ExportService
from domain.identity.model import EventType as User
from domain.identity.reactions import welcome_new_user
from domain.imports.model import EventType as Import
from domain.imports.service import ImportService
from domain.leads.model import EventType as Lead
from domain.leads.reactions import tell_lead_owner
from domain.notifications.delivery_service import DeliveryService
from domain.notifications.model import EventType as Notification
from domain.pipeline.model import EventType as Opportunity
from domain.pipeline.reactions import tell_opportunity_owner
from domain.shared.dispatch import EventDispatcher, Handler
from domain.shared.ports import UnitOfWorkFactory


@dataclass(frozen=True)
class Reaction:
    consumers: tuple[tuple[str, Handler], ...] = ()
    webhooks: bool = False


NO_REACTION = Reaction()
WEBHOOKS = Reaction(webhooks=True)


def consumers(*named: tuple[str, Handler], webhooks: bool = False) -> Reaction:
    return Reaction(consumers=tuple(named), webhooks=webhooks)


def registry(delivery: DeliveryService, imports: ImportService,
             exports: ExportService) -> dict[str, Reaction]:
    """The whole list. The services passed in hold what their reactions need: the senders of
    e-mail and SMS, the job queue of imports and exports."""
    deliver = ("notify.deliver", delivery.send_for_event)
    return {
        User.USER_CREATED: consumers(("notify.welcome", welcome_new_user)),
        User.USER_UPDATED: NO_REACTION,
        User.USER_DISABLED: NO_REACTION,

        Customer.CREATED: WEBHOOKS,
        Customer.UPDATED: WEBHOOKS,
        Customer.DELETED: WEBHOOKS,
        Customer.RESTORED: WEBHOOKS,
        Customer.REASSIGNED: consumers(("notify.customer_assigned", tell_new_owner),
                                       webhooks=True),
        Customer.MERGED: WEBHOOKS,
        Customer.FOLLOWUP_CREATED: WEBHOOKS,
        Customer.TASK_CREATED: WEBHOOKS,

        Lead.CREATED: WEBHOOKS,
        Lead.ASSIGNED: consumers(("notify.lead_assigned", tell_lead_owner), webhooks=True),
        Lead.STATUS_CHANGED: WEBHOOKS,
        Lead.CONVERTED: WEBHOOKS,

        Opportunity.CREATED: WEBHOOKS,
        Opportunity.STAGE_CHANGED: WEBHOOKS,
        Opportunity.REASSIGNED: consumers(
            ("notify.opportunity_assigned", tell_opportunity_owner), webhooks=True),

        Lapse.LAPSED: consumers(("notify.followup_overdue", remind_owner)),
        Lapse.ESCALATED: consumers(("notify.followup_escalated", tell_manager)),

        Contract.CREATED: WEBHOOKS,
        Contract.UPDATED: WEBHOOKS,
        Contract.DELETED: NO_REACTION,
        Contract.SUBMITTED: consumers(("notify.approval_requested", ask_next_approver),
                                      webhooks=True),
        Contract.STEP_APPROVED: consumers(("notify.approval_requested", ask_next_approver)),
        Contract.APPROVED: consumers(("notify.contract_approved", tell_owner_approved),
                                     webhooks=True),
        Contract.REJECTED: consumers(("notify.contract_rejected", tell_owner_rejected),
                                     webhooks=True),
        Contract.SIGNED: consumers(("notify.contract_signed", tell_legal_signed),
                                   webhooks=True),
        Contract.ACTIVATED: WEBHOOKS,
        Contract.PAYMENT_RECEIVED: WEBHOOKS,
        Contract.COMPLETED: WEBHOOKS,
        Contract.TERMINATED: WEBHOOKS,
        Contract.EXPIRED: consumers(("notify.contract_expired", tell_owner_expired),
                                    webhooks=True),
        Contract.APPROVAL_REMINDED: consumers(("notify.approval_reminder", remind_approver)),
        Contract.APPROVAL_ESCALATED: consumers(("notify.approval_escalated", escalate_approval)),
        Contract.RENEWAL_DUE: consumers(("notify.contract_renewal_due", tell_owner_renewal)),

        Import.QUEUED: consumers(("imports.start", imports.run_for_event)),
        Export.QUEUED: consumers(("exports.start", exports.run_for_event)),

        Notification.CREATED: consumers(deliver),
        Notification.DELIVERY_REOPENED: consumers(("notify.redeliver", delivery.send_for_event)),
    }


def handlers(reactions: Mapping[str, Reaction]) -> dict[str, list[tuple[str, Handler]]]:
    """The consumers per event type, as the dispatcher runs them."""
    return {type_: list(r.consumers) for type_, r in reactions.items() if r.consumers}


def dispatcher(reactions: Mapping[str, Reaction], uow: UnitOfWorkFactory,
               reader: UnitOfWorkFactory, delivery: DeliveryService) -> EventDispatcher:
    """Runs the consumers; a consumer's notifications are sent as soon as it commits."""
    return EventDispatcher(uow, handlers(reactions), after_commit=delivery.after_commit,
                           before=delivery.will_send_after_commit, reader=reader)


@dataclass(frozen=True)
class RelayHooks:
    """What the relay asks of the registry for each batch it publishes."""

    consumed: Callable[[str], bool]
    # The names of each event type's consumers: an event is done when each has its marker.
    consumers: Mapping[str, tuple[str, ...]]
    subscribers: Callable[[Any], Any]
    on_batch: Callable[[AsyncConnection, Sequence[Any]], Any]


def relay_hooks(reactions: Mapping[str, Reaction]) -> RelayHooks:
    """A job only for events with consumers; the webhook fan-out, in the relay's transaction,
    only for the types the registry fans out."""
    fanned_out = frozenset(type_ for type_, r in reactions.items() if r.webhooks)
    consumer_names = {type_: tuple(name for name, _ in r.consumers)
                      for type_, r in reactions.items() if r.consumers}
    with_consumers = frozenset(consumer_names)

    async def fan_out_batch(conn: AsyncConnection, rows: Sequence[Any]) -> int:
        return await fan_out(conn, rows, fanned_out)

    return RelayHooks(consumed=with_consumers.__contains__, consumers=consumer_names,
                      subscribers=subscribers,
                      on_batch=fan_out_batch)
