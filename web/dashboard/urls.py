"""The coordinators' dashboard (mounted at "/")."""

from django.urls import path

from web.dashboard import reporting, views

app_name = "dashboard"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("nations/<str:code>/", views.nation_detail, name="nation"),
    path("items/<int:pk>/", views.item_detail, name="item"),
    path("pledges/", views.pledge_list, name="pledges"),
    path("procurement/", views.procurement, name="procurement"),
    path("reporting/", reporting.reporting, name="reporting"),
]
