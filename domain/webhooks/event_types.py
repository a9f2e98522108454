"""The event types a webhook may subscribe to: the outbox events integrations care about.

User events stay internal (they carry e-mail addresses and say nothing about the business);
follow-up lapses are reminders for people, not facts about records.
"""

from __future__ import annotations

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
    # Contracts (issue 6): the contract module emits these.
    "contract.created": "A contract draft was created",
    "contract.updated": "A contract draft was edited",
    "contract.submitted": "A contract was submitted for approval",
    "contract.approved": "A contract passed its last approval step",
    "contract.rejected": "An approver rejected a contract",
    "contract.signed": "A contract was signed",
    "contract.activated": "A signed contract became active",
    "contract.payment_received": "Payment for a contract was received",
    "contract.completed": "A contract was completed",
    "contract.terminated": "A contract was terminated early",
    "contract.expired": "A contract reached its end date and expired",
}
