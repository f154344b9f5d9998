from django.contrib import admin
from django.urls import include, path

from coordination.api.urls import core as api_core
from web.account_notifications import account_notifications_view, unsubscribe_view
from web.audit_views import audit_list
from web.otp_views import otp_account_view, otp_setup_view, otp_verify_view
from web.views import healthz

api_v1 = [
    path("", include((api_core, "coordination-api"))),
    path("", include("pledges.api.urls")),
    path("", include("stockpiles.api.urls")),
    path("", include("notifications.api.urls")),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/2fa/", otp_account_view, name="otp-account"),
    path("accounts/2fa/verify/", otp_verify_view, name="otp-verify"),
    path("accounts/2fa/setup/", otp_setup_view, name="otp-setup"),
    path("accounts/notifications/", account_notifications_view, name="account-notifications"),
    path("notifications/unsubscribe/<str:token>/", unsubscribe_view, name="notifications-unsubscribe"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include(api_v1)),
    path("api/", include("coordination.api.urls")),
    path("audit/", audit_list, name="audit"),
    path("", include("web.dashboard.urls")),
]

# Under /api/ a refused request or a server error is JSON, as every other API answer.
handler400 = "web.views.bad_request"
handler500 = "web.views.server_error"
