"""Identity: users, departments, API keys, log-in and tokens. The roles, scopes and the
principal every feature checks are shared (domain/shared/authz.py)."""

# What other features may import from this one; the rest is its own business.
PUBLIC_MODULES = ("model", "commands", "ports", "service",)
