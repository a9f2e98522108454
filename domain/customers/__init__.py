"""Customer 360 (客户): customers and their contacts, follow-ups (跟进记录) and tasks, the
timeline, duplicates and merging, personal data masked and revealed on purpose."""

# What other features may import from this one; the rest is its own business.
PUBLIC_MODULES = (
    "model", "values", "activity", "personal", "commands", "ports", "queries", "service",
)
