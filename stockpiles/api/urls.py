from django.urls import path
from rest_framework.routers import SimpleRouter

from stockpiles.api import sourcing, views

app_name = "stockpiles-api"

router = SimpleRouter()
router.register("stock-reports", views.StockReportViewSet, basename="stockreport")
router.register("current-stock", views.CurrentStockViewSet, basename="currentstock")
router.register("guidelines", views.GuidelineViewSet, basename="guideline")
router.register("production-rates", views.ProductionRateViewSet, basename="productionrate")
router.register("shortfalls", views.ShortfallViewSet, basename="shortfall")
router.register("alerts", views.AlertViewSet, basename="alert")
router.register("agreements", views.AgreementViewSet, basename="agreement")
router.register("orders", views.OrderViewSet, basename="order")
router.register("order-schedule-lines", views.ScheduleLineViewSet, basename="orderscheduleline")
router.register("snapshots", views.SnapshotViewSet, basename="snapshot")

urlpatterns = [
    path("shortfalls/alliance/", views.AlliancePositionView.as_view(), name="alliance-position"),
    path("shortfalls/series/", views.ShortfallSeriesView.as_view(), name="shortfall-series"),
    path("sourcing/", sourcing.SourcingView.as_view(), name="sourcing"),
    path("sourcing/what-if/", sourcing.WhatIfView.as_view(), name="sourcing-what-if"),

    path("reporting/", views.ReportingView.as_view(), name="reporting"),
    *router.urls,
]
