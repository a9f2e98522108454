"""Senders of the notification channels (SMTP e-mail, SMS) and the live feed for SSE."""
