from django.contrib import admin
from django.urls import include, path

from coordination.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("coordination.api.urls")),
    path("", include("coordination.dashboard.urls")),
]
