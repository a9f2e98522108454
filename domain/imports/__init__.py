"""Bulk import of customers or leads from CSV/XLSX: column mapping, per-row validation,
duplicate policies, dry runs, resumable chunks."""

# What other features may import from this one; the rest is its own business.
PUBLIC_MODULES = ("model", "commands", "ports", "service",)
