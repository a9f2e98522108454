"""The event types a webhook may subscribe to: the outbox events integrations care about.

User events stay internal (they carry e-mail addresses and say nothing about the business);
follow-up lapses are reminders for people, not facts about records.
"""

from __future__ import annotations

from domain.contracts.model import EventType as Contract
from domain.customers.model import EventType as Customer
from domain.leads.model import EventType as Lead
from domain.pipeline.model import EventType as Opportunity

EVENT_TYPES: dict[str, str] = {
    Customer.CREATED: "A customer was created",
    Customer.UPDATED: "A customer's fields changed (data.fields names them)",
    Customer.DELETED: "A customer was deleted (or merged into another: data.merged_into)",
    Customer.RESTORED: "A deleted customer was restored",
    Customer.REASSIGNED: "A customer got a new owner",
    Customer.MERGED: "Other customers were merged into this one (data.merged)",
    Customer.FOLLOWUP_CREATED: "A follow-up was recorded on a customer",
    Customer.TASK_CREATED: "A task was created",
    Lead.CREATED: "A lead was captured",
    Lead.ASSIGNED: "A lead was assigned to a rep",
    Lead.STATUS_CHANGED: "A lead's status changed (contacted, qualified, disqualified…)",
    Lead.CONVERTED: "A lead was converted into a customer and an opportunity",
    Opportunity.CREATED: "An opportunity was created",
    Opportunity.STAGE_CHANGED: "An opportunity moved stage; won and lost arrive here with "
                               "data.status 'won' or 'lost'",
    Opportunity.REASSIGNED: "An opportunity got a new owner",
    Contract.CREATED: "A contract draft was created",
    Contract.UPDATED: "A contract draft was edited",
    Contract.SUBMITTED: "A contract was submitted for approval",
    Contract.APPROVED: "A contract passed its last approval step",
    Contract.REJECTED: "An approver rejected a contract",
    Contract.SIGNED: "A contract was signed",
    Contract.ACTIVATED: "A signed contract became active",
    Contract.PAYMENT_RECEIVED: "Payment for a contract was received",
    Contract.COMPLETED: "A contract was completed",
    Contract.TERMINATED: "A contract was terminated early",
    Contract.EXPIRED: "A contract reached its end date and expired",
}
