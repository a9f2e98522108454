"""Notifications: the in-app inbox, message templates per kind, channel and language,
a user's channel preferences, and e-mail/SMS deliveries with retries."""

# What other features may import from this one; the rest is its own business.
PUBLIC_MODULES = ("model", "kinds", "commands", "ports",)
