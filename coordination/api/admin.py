"""Admin for API tokens (lives with the API; imported by coordination/admin.py)."""
