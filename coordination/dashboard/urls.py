"""The coordinators' dashboard. Filled by the dashboard work."""

urlpatterns: list = []
