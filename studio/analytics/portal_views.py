"""The client's own numbers in their portal: the Analytics page over the accounts that are theirs."""
from flask import g

from studio.analytics.views import analytics_page, export_table
from studio.portal.views import bp


@bp.get("/c/<int:client_id>/analytics")
def client_analytics(client_id):
    return analytics_page(g.portal_client.workspace_id, g.portal_client, "portal.client_analytics",
                          "portal.client_analytics_export", {})


@bp.get("/c/<int:client_id>/analytics/<table>.csv")
def client_analytics_export(client_id, table):
    return export_table(g.portal_client.workspace_id, g.portal_client.id, table)
