"""Notification channels: which kinds exist, templates per channel and language, preferences,
and the deliveries that carry an in-app notification to e-mail and SMS."""
