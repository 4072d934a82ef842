"""Notifications: rules pick channels for a change; the outbox delivers them."""
