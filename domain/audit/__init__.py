"""The audit trail: who did what, when, from where, with a field-level diff of the change."""

# What other features may import from this one; the rest is its own business.
PUBLIC_MODULES = ("model", "ports",)
