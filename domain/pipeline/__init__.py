"""Pipelines and opportunities (商机)."""
