from django.urls import path
from rest_framework.routers import SimpleRouter

from pledges.api import views

app_name = "pledges-api"

router = SimpleRouter()
router.register("pledges", views.PledgeViewSet, basename="pledge")
router.register("deliveries", views.DeliveryViewSet, basename="delivery")
router.register("training-commitments", views.TrainingCommitmentViewSet, basename="trainingcommitment")
router.register("requirements", views.RequirementViewSet, basename="requirement")

urlpatterns = [
    path("fulfilment/donors/", views.FulfilmentByDonorView.as_view(), name="fulfilment-donors"),
    path("fulfilment/items/", views.FulfilmentByItemView.as_view(), name="fulfilment-items"),
    path("fulfilment/gaps/", views.RecipientGapView.as_view(), name="recipient-gaps"),
    path("training/summary/", views.TrainingSummaryView.as_view(), name="training-summary"),
    path("tracker/", views.TrackerView.as_view(), name="tracker"),
    *router.urls,
]
