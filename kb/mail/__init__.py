"""Outbound mail: notifications from the outbox, worded in the recipient's language and sent."""
