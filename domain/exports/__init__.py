"""Exports of any list (customers, a segment, leads, opportunities, contracts) to CSV or XLSX,
in resumable chunks, in the requester's language, honouring visibility and masking."""

# What other features may import from this one; the rest is its own business.
PUBLIC_MODULES = ("model", "commands", "ports", "service", "labels", "sources",)
