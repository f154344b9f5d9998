"""The coordinators' dashboard (mounted at "/"): one module per page."""

from django.urls import path

from web.dashboard import (
    briefing,
    directory,
    item,
    nation,
    overview,
    pledges,
    procurement,
    recipient,
    reporting,
    snapshots,
    sourcing,
    tracker,
    trends,
)

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
    path("directory/", directory.directory, name="directory"),
    path("recipient/", recipient.recipient_page, name="recipient"),
    path("recipient/<str:code>/", recipient.recipient_page, name="recipient-of"),
    path("tracker/", tracker.tracker_page, name="tracker"),
    path("briefing/", briefing.briefing_page, name="briefing"),
    path("briefing.pdf", briefing.briefing_pdf, name="briefing-pdf"),
    path("snapshots/", snapshots.snapshot_list, name="snapshots"),
    path("snapshots/compare/", snapshots.snapshot_compare, name="snapshot-compare"),
    path("trends/", trends.trend_panel, name="trend"),
]
