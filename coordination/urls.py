from django.contrib import admin
from django.urls import include, path

from coordination.audit_views import audit_list
from coordination.otp_views import otp_account_view, otp_setup_view, otp_verify_view
from coordination.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/2fa/", otp_account_view, name="otp-account"),
    path("accounts/2fa/verify/", otp_verify_view, name="otp-verify"),
    path("accounts/2fa/setup/", otp_setup_view, name="otp-setup"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("coordination.api.urls")),
    path("audit/", audit_list, name="audit"),
    path("", include("coordination.dashboard.urls")),
]

# Under /api/ a refused request or a server error is JSON, as every other API answer.
handler400 = "coordination.views.bad_request"
handler500 = "coordination.views.server_error"
