"""Permissions at the door. Per-object access is the restricted queryset and the services' checks."""

from rest_framework.permissions import BasePermission

from coordination.access import scope_for


class HasScope(BasePermission):
    """Authenticated and belonging somewhere: the cell, or a nation (a user without a membership sees nothing)."""

    message = "Authenticate with a national system's token (Authorization: Token <key>) or log in."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated) and not scope_for(user).is_nobody
