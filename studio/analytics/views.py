"""The workspace's Analytics page: a range's totals against the one before, charts with their
numbers, the split by platform and the best posts; each table downloads as CSV."""
import csv
import io
from datetime import date, datetime

from flask import Response, g, request

from studio.analytics import charts
from studio.analytics.dashboard import RANGES, WEEKDAYS, Dashboard, Range, dashboard, heat_map, range_ending
from studio.portal.models import Client
from studio.security.access import scoped_get_or_404, workspace_blueprint
from studio.web import page, viewer_zone

bp = workspace_blueprint("analytics", __name__, "/analytics")
LONGEST_RANGE = 366


def chosen_range() -> tuple[Range, str, str | None]:
    """The range asked for: ?range=7|30|90 (30 by default), or ?from=…&to=… (days in the viewer's
    own calendar). Returns the range, its name, and what was wrong with a custom one."""
    today = datetime.now(viewer_zone()).date()
    first, last = request.args.get("from", ""), request.args.get("to", "")
    if first or last:
        try:
            custom = Range(date.fromisoformat(first), date.fromisoformat(last))
        except ValueError:
            return range_ending(today, 30), "30", "Give both days of a custom range as dates."
        if custom.first > custom.last:
            return range_ending(today, 30), "30", "A range starts before it ends."
        if custom.days > LONGEST_RANGE:
            return range_ending(today, 30), "30", f"A range is at most {LONGEST_RANGE} days."
        return custom, "custom", None
    days = request.args.get("range", 30, type=int)
    days = days if days in RANGES else 30
    return range_ending(today, days), str(days), None


def chosen_client() -> Client | None:
    """?client=<id>: one of this workspace's clients (anyone else's answers 404), or the whole workspace."""
    client_id = request.args.get("client", type=int)
    return scoped_get_or_404(Client, client_id) if client_id else None


@bp.get("", endpoint="index")
def index():
    client = chosen_client()
    return analytics_page(g.workspace.id, client, "analytics.index", "analytics.export",
                          {"client": client.id} if client else {})


def analytics_page(workspace_id: int, client: Client | None, index_endpoint: str, export_endpoint: str,
                   link_values: dict):
    """The page for a workspace, or for one client's own accounts (the staff's view of them, or the
    client's in the portal): `link_values` go into its range and download links."""
    period, name, problem = chosen_range()
    client_id = client.id if client else None
    board = dashboard(workspace_id, period, client_id)
    heat = recent_heat_map(workspace_id, client_id)
    return page("analytics/index.html", block="content", board=board, range_name=name, problem=problem, ranges=RANGES,
                heat=heat, weekdays=WEEKDAYS, client=client, index_endpoint=index_endpoint,
                export_endpoint=export_endpoint, link_values=link_values,
                views_chart=charts.line_chart([(d["date"], d["views"]) for d in board.days], "Views gained each day"),
                engagement_chart=charts.line_chart([(d["date"], d["engagement"]) for d in board.days],
                                                   "Likes, comments, shares and saves each day"),
                followers_chart=charts.line_chart([(d["date"], d["followers"]) for d in board.days], "Followers"))


def recent_heat_map(workspace_id: int, client_id: int | None):
    """The last 90 days' heat map, in the viewer's own hours."""
    zone = viewer_zone()
    return heat_map(workspace_id, zone, datetime.now(zone).date(), client_id)


def csv_response(name: str, header: list[str], rows: list[list]) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="analytics-{name}.csv"'
    return response


TABLES = ("days", "platforms", "posts", "hours")


@bp.get("/<table>.csv")
def export(table):
    client = chosen_client()
    return export_table(g.workspace.id, client.id if client else None, table)


def export_table(workspace_id: int, client_id: int | None, table: str) -> Response:
    if table not in TABLES:
        return Response("No such table.", status=404)
    period, _, _ = chosen_range()
    board: Dashboard = dashboard(workspace_id, period, client_id)
    suffix = f"{period.first}-to-{period.last}"
    if table == "days":
        return csv_response(f"days-{suffix}", ["date", "views", "engagement", "followers"],
                            [[d["date"].isoformat(), d["views"], d["engagement"], "" if d["followers"] is None else d["followers"]]
                             for d in board.days])
    if table == "hours":
        heat = recent_heat_map(workspace_id, client_id)
        return csv_response("hours-last-90-days", ["weekday", "hour", "posts", "average_views"],
                            [[day, hour, posts, average] for day, hour, posts, average in heat.best(24 * 7)])
    if table == "platforms":
        return csv_response(f"platforms-{suffix}", ["platform", "views", "likes", "comments", "shares", "saves"],
                            [[platform, n["views"], n["likes"], n["comments"], n["shares"], n["saves"]]
                             for platform, n in board.by_platform])
    return csv_response(f"posts-{suffix}", ["published", "platform", "caption", "url", "views", "likes", "comments", "shares",
                                            "saves"],
                        [[str(p["published_at"])[:10], p["platform"], p["caption"], p["url"] or "", p["views"], p["likes"],
                          p["comments"], p["shares"], p["saves"]] for p in board.best])


