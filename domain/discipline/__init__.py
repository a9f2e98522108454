"""Follow-up discipline: an open lead or opportunity nobody touched for its limit of days
reminds its owner, then tells the manager."""

# What other features may import from this one; the rest is its own business.
PUBLIC_MODULES = ("model", "ports", "service",)
