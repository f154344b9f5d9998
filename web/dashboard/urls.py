"""The coordinators' dashboard (mounted at "/"): one module per page."""

from django.urls import path

from web.dashboard import item, nation, overview, pledges, procurement, reporting, snapshots, sourcing

app_name = "dashboard"

urlpatterns = [
    path("", overview.overview, name="overview"),
    path("nations/<str:code>/", nation.nation_detail, name="nation"),
    path("items/<int:pk>/", item.item_detail, name="item"),
    path("pledges/", pledges.pledge_list, name="pledges"),
    path("procurement/", procurement.procurement, name="procurement"),
    path("sourcing/", sourcing.sourcing_page, name="sourcing"),
    path("sourcing/what-if/", sourcing.what_if, name="sourcing-what-if"),
    path("sourcing/items/<int:pk>/", sourcing.item_panel, name="sourcing-item"),
    path("reporting/", reporting.reporting, name="reporting"),
    path("snapshots/", snapshots.snapshot_list, name="snapshots"),
    path("snapshots/compare/", snapshots.snapshot_compare, name="snapshot-compare"),
]
