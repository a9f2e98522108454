"""What admins add around customers: custom fields, the tag catalogue and bulk tagging,
saved segments."""

# What other features may import from this one; the rest is its own business.
PUBLIC_MODULES = ("model", "commands", "ports", "service",)
