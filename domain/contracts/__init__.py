"""Contracts (合同): drafts with line items, multi-level approval, life after approval."""
