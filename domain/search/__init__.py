"""Global search: one query over customers, contacts, leads, opportunities and contracts, by
name, number, company and the pinyin of Chinese names, under each record's visibility."""

# What other features (and the repositories spelling their keys) may import from this one.
PUBLIC_MODULES = ("keys", "model", "ports", "service",)
