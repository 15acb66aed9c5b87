"""Notification service: campaign calendars, reminders and notices (mail and in-app inbox)."""

SERVICE = "notification"
__version__ = "0.1.0"
