"""/api/ — the REST API (v1), its OpenAPI schema and the interactive docs (Swagger UI, served offline).

No ReDoc page: drf-spectacular's ReDoc template loads web fonts from a CDN."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny
from rest_framework.routers import SimpleRouter

from coordination.api import views

router = SimpleRouter()
router.register("nations", views.NationViewSet, basename="nation")
router.register("categories", views.CategoryViewSet, basename="category")
router.register("items", views.ItemViewSet, basename="item")

core = [
    path("", views.ApiRootView.as_view(), name="root"),
    path("whoami/", views.WhoAmIView.as_view(), name="whoami"),
    *router.urls,
]

v1 = [
    path("", include((core, "coordination-api"))),
    path("", include("pledges.api.urls")),
    path("", include("stockpiles.api.urls")),
]

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SpectacularAPIView.as_view(permission_classes=[AllowAny], authentication_classes=[]),
         name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema", permission_classes=[AllowAny],
                                                 authentication_classes=[]), name="api-docs"),
]
