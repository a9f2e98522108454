"""Webhooks: endpoints that subscribe to event types, signed deliveries (Standard
Webhooks) with retries, throttling and disabling."""

# What other features may import from this one; the rest is its own business.
PUBLIC_MODULES = ("model", "event_types", "commands", "ports", "service",)
