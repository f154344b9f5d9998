"""/api/ — the REST API (v1) and its OpenAPI schema. Filled by the API work."""

urlpatterns: list = []
