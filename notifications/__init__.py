"""Notifications: alerts reach the people (email) and the national systems (signed webhooks) they concern."""
