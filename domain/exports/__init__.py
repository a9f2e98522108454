"""Exports of any customer list or segment to CSV or XLSX, in resumable chunks, honouring
the caller's visibility and masking."""

# What other features may import from this one; the rest is its own business.
PUBLIC_MODULES = ("model", "commands", "ports", "service",)
