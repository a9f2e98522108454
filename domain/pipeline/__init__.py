"""Pipelines with stages, and opportunities (商机) moving through them to won or lost; the
board."""

# What other features may import from this one; the rest is its own business.
PUBLIC_MODULES = ("model", "stages", "commands", "ports", "queries", "service",)
