"""Leads (线索): capture, validation, scoring, assignment and conversion."""
