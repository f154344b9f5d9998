from django.urls import path
from rest_framework.routers import SimpleRouter

from notifications.api import views

app_name = "notifications-api"

router = SimpleRouter()
router.register("webhooks", views.WebhookViewSet, basename="webhook")

urlpatterns = [
    path("me/notifications/", views.MyNotificationsView.as_view(), name="my-notifications"),
    *router.urls,
]
