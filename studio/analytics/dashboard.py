"""What the Analytics page shows, read from the daily gains and snapshots only (never the raw
events): a range's totals against the range before it, each day's gains, followers by day, the
split by platform and the best posts of the range."""
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import text

from studio.extensions import db, read_rows

NUMBERS = ("views", "likes", "comments", "shares", "saves")
CLIENTS_ACCOUNTS = " AND connection_id IN (SELECT id FROM platform_connections WHERE client_id = :client)"


def scoped(sql: str) -> dict[bool, Any]:
    """A query as it reads for a whole workspace (False) and for one client's own accounts (True)."""
    return {False: text(sql.replace("{client}", "")), True: text(sql.replace("{client}", CLIENTS_ACCOUNTS))}
RANGES = (7, 30, 90)


@dataclass(frozen=True)
class Range:
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def before(self) -> "Range":
        return Range(self.first - timedelta(days=self.days), self.first - timedelta(days=1))

    def each_day(self) -> list[date]:
        return [self.first + timedelta(days=offset) for offset in range(self.days)]


def range_ending(last: date, days: int) -> Range:
    return Range(last - timedelta(days=days - 1), last)


# What the range gained, by platform: the accounts' daily gains added up.
GAINED = scoped("""
SELECT platform, SUM(views), SUM(likes), SUM(comments), SUM(shares), SUM(saves) FROM metric_gains
WHERE workspace_id = :ws{client} AND day >= :first AND day <= :last GROUP BY platform ORDER BY platform
""")

DAILY = scoped("""
SELECT day, SUM(views), SUM(likes + comments + shares + saves) FROM metric_gains
WHERE workspace_id = :ws{client} AND day >= :first AND day <= :last GROUP BY day ORDER BY day
""")

FOLLOWERS = scoped("""
SELECT day, SUM(followers) FROM account_snapshots WHERE workspace_id = :ws{client} AND day >= :first AND day <= :last
GROUP BY day ORDER BY day
""")

# The posts published in the range (at most a few thousand rows), ranked in Python by their views.
POSTS_IN_RANGE = scoped("""
SELECT id, platform, caption, url, published_at, metrics FROM published_posts
WHERE workspace_id = :ws{client} AND published_at >= :since AND published_at < :until
""")


@dataclass
class Dashboard:
    period: Range
    totals: dict[str, int]
    previous: dict[str, int]
    by_platform: list[tuple[str, dict[str, int]]]
    days: list[dict[str, Any]]  # each day: date, views, engagement, followers
    best: list[dict[str, Any]]

    def change(self, name: str) -> float | None:
        before = self.previous.get(name, 0)
        return (self.totals.get(name, 0) - before) / before if before else None


def gained(workspace_id: int, period: Range, client_id: int | None = None) -> list[tuple[str, dict[str, int]]]:
    rows = read_rows(GAINED[client_id is not None], {"ws": workspace_id, "client": client_id, "first": period.first,
                                                      "last": period.last}).all()
    return [(platform, {name: int(value or 0) for name, value in zip(NUMBERS, values, strict=True)})
            for platform, *values in rows]


def summed(by_platform: list[tuple[str, dict[str, int]]]) -> dict[str, int]:
    totals = {name: sum(numbers[name] for _, numbers in by_platform) for name in NUMBERS}
    totals["engagement"] = totals["likes"] + totals["comments"] + totals["shares"] + totals["saves"]
    return totals


def dashboard(workspace_id: int, period: Range, client_id: int | None = None) -> Dashboard:
    """The workspace's numbers, or with `client_id` those of that client's own accounts only."""
    scope = client_id is not None
    values = {"ws": workspace_id, "client": client_id, "first": period.first, "last": period.last}
    by_platform = gained(workspace_id, period, client_id)
    previous = summed(gained(workspace_id, period.before(), client_id))
    daily = {as_date(day): (int(views or 0), int(engagement or 0)) for day, views, engagement in read_rows(DAILY[scope], values)}
    followers = followers_by_day(values, scope)
    totals = {**summed(by_platform), **follower_totals(followers)}
    days = [{"date": day, "views": daily.get(day, (0, 0))[0], "engagement": daily.get(day, (0, 0))[1],
             "followers": followers.get(day)} for day in period.each_day()]
    before = period.before()
    previous["new_followers"] = follower_totals(followers_by_day({**values, "first": before.first, "last": before.last},
                                                                 scope))["new_followers"]
    return Dashboard(period, totals, previous, by_platform, days, best_posts(workspace_id, period, client_id))


def as_date(value: Any) -> date:
    """A day as the database gives it back (SQLite: text)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def followers_by_day(values: dict[str, Any], scope: bool) -> dict[date, int]:
    return {as_date(day): int(count or 0) for day, count in read_rows(FOLLOWERS[scope], values)}


def follower_totals(followers: dict[date, int]) -> dict[str, int]:
    """The last day's followers, and what the range gained from its first day to its last."""
    known = [followers[day] for day in sorted(followers)]
    return {"followers": known[-1], "new_followers": known[-1] - known[0]} if known else {"followers": 0, "new_followers": 0}


def week_totals(workspace_id: int, period: Range) -> dict[str, int]:
    """The range's totals alone, for the Overview (the dashboard's charts and posts are not drawn there)."""
    values = {"ws": workspace_id, "client": None, "first": period.first, "last": period.last}
    return {**summed(gained(workspace_id, period)), **follower_totals(followers_by_day(values, False))}


def best_posts(workspace_id: int, period: Range, client_id: int | None = None, limit: int = 10) -> list[dict[str, Any]]:
    """The range's posts with the most views (their totals as last fetched)."""
    rows = read_rows(POSTS_IN_RANGE[client_id is not None], {
        "ws": workspace_id, "client": client_id, "since": datetime.combine(period.first, time.min, UTC),
                                      "until": datetime.combine(period.last + timedelta(days=1), time.min, UTC)}).all()
    posts = []
    for post_id, platform, caption, url, published_at, metrics in rows:
        numbers = json.loads(metrics) if isinstance(metrics, str) else (metrics or {})
        posts.append({"id": post_id, "platform": platform, "caption": " ".join((caption or "").split())[:90] or "(no caption)",
                      "url": url, "published_at": str(published_at)[:10],
                      **{name: int(numbers.get(name) or 0) for name in NUMBERS}})
    return sorted(posts, key=lambda post: -post["views"])[:limit]


HEAT_POSTS = scoped("""
SELECT published_at, metrics FROM published_posts WHERE workspace_id = :ws{client} AND published_at >= :since
""")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass
class HeatMap:
    """Average views of the posts published in each weekday and hour (the viewer's), last 90 days."""
    cells: dict[tuple[int, int], tuple[int, int]]  # (weekday, hour) -> (posts, average views)
    top: int

    def shade(self, weekday: int, hour: int) -> int:
        """0 (no post then) to 4 (as good as the best slot)."""
        posts, average = self.cells.get((weekday, hour), (0, 0))
        return 0 if not posts or not self.top else 1 + min(3, int(3 * average / self.top))

    def best(self, count: int = 5) -> list[tuple[str, int, int, int]]:
        ranked = sorted(self.cells.items(), key=lambda item: -item[1][1])[:count]
        return [(WEEKDAYS[weekday], hour, posts, average) for (weekday, hour), (posts, average) in ranked]


def heat_map(workspace_id: int, zone: Any, today: date, client_id: int | None = None) -> HeatMap:
    since = datetime.combine(today - timedelta(days=90), time.min, UTC)
    sums: dict[tuple[int, int], list[int]] = {}
    for published_at, metrics in read_rows(HEAT_POSTS[client_id is not None],
                                           {"ws": workspace_id, "client": client_id, "since": since}):
        when = published_at if isinstance(published_at, datetime) else datetime.fromisoformat(str(published_at))
        local = (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(zone)
        numbers = json.loads(metrics) if isinstance(metrics, str) else (metrics or {})
        sums.setdefault((local.weekday(), local.hour), []).append(int(numbers.get("views") or 0))
    cells = {slot: (len(views), sum(views) // len(views)) for slot, views in sums.items()}
    return HeatMap(cells, max((average for _, average in cells.values()), default=0))


def has_history(workspace_id: int) -> bool:
    return db.session.execute(text("SELECT 1 FROM account_snapshots WHERE workspace_id = :ws LIMIT 1"),
                              {"ws": workspace_id}).first() is not None
