"""Leads (线索): capture from the API, forms and imports; validation flags, scoring,
routing to a rep, working a lead, conversion into a customer and an opportunity."""

# What other features may import from this one; the rest is its own business.
PUBLIC_MODULES = ("model", "commands", "ports", "queries", "service",)
