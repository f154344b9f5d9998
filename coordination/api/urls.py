"""/api/ — the REST API (v1), its OpenAPI schema and the interactive docs (Swagger UI, served offline).

No ReDoc page: drf-spectacular's ReDoc template loads web fonts from a CDN.

The docs page is the "split" Swagger view: its start-up script is a separate file (``?script``), so the
Content Security Policy needs no inline script. The template's one inline ``<style>`` block is allowed
by its hash, on this page only (tests/security/test_csp.py loads the page in Chromium and fails on any
CSP violation, e.g. when a drf-spectacular upgrade changes that block).
"""

from csp.decorators import csp_update
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny
from rest_framework.routers import SimpleRouter

from coordination.api import views

# sha256 of the inline <style> block in drf-spectacular's swagger_ui.html template.
SWAGGER_UI_CSP = {"style-src": ["'sha256-MMpT0iDxyjALd9PdfepImGX3DBfJPXZ4IlDWdPAgtn0='"]}

router = SimpleRouter()
router.register("nations", views.NationViewSet, basename="nation")
router.register("categories", views.CategoryViewSet, basename="category")
router.register("items", views.ItemViewSet, basename="item")

core = [
    path("", views.ApiRootView.as_view(), name="root"),
    path("whoami/", views.WhoAmIView.as_view(), name="whoami"),
    *router.urls,
]

# /api/v1/ is put together in config/urls.py (this app's ``core`` and the apps above it).
urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(permission_classes=[AllowAny], authentication_classes=[]),
         name="api-schema"),
    path("docs/", csp_update(SWAGGER_UI_CSP)(
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", permission_classes=[AllowAny],
                                            authentication_classes=[])), name="api-docs"),
]
