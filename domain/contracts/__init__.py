"""Contracts (合同): drafts with line items, multi-level approval by policy and amount,
signing, activation, renewal and expiry, and the reminders of approvals that wait."""

# What other features may import from this one; the rest is its own business.
PUBLIC_MODULES = ("model", "commands", "ports", "queries", "service",)
