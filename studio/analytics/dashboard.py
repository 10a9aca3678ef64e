"""What the Analytics page shows, read from the aggregates and snapshots only (never the raw
events): a range's totals against the range before it, each day's gains, followers by day, the
split by platform and the best posts. A post's aggregate holds its lifetime totals at each day's
last fetch, so what a range gained is each post's last total in it less its last total before it."""
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import bindparam, text

from studio.extensions import db, read_rows

NUMBERS = ("views", "likes", "comments", "shares", "saves")
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


# Each post's totals at the end of the range and before it; summed, what the range gained.
GAINED = text("""
SELECT platform, SUM(end_views - COALESCE(start_views, 0)), SUM(end_likes - COALESCE(start_likes, 0)),
       SUM(end_comments - COALESCE(start_comments, 0)), SUM(end_shares - COALESCE(start_shares, 0)),
       SUM(end_saves - COALESCE(start_saves, 0))
FROM (SELECT published_post_id, platform,
             MAX(views) AS end_views, MAX(likes) AS end_likes, MAX(comments) AS end_comments,
             MAX(shares) AS end_shares, MAX(saves) AS end_saves,
             MAX(CASE WHEN period_start < :first THEN views END) AS start_views,
             MAX(CASE WHEN period_start < :first THEN likes END) AS start_likes,
             MAX(CASE WHEN period_start < :first THEN comments END) AS start_comments,
             MAX(CASE WHEN period_start < :first THEN shares END) AS start_shares,
             MAX(CASE WHEN period_start < :first THEN saves END) AS start_saves
      FROM metric_aggregates
      WHERE workspace_id = :ws AND period = 'day' AND period_start <= :last
      GROUP BY published_post_id, platform) AS per_post
GROUP BY platform ORDER BY platform
""")

# What each day of the range gained: each post's total that day less its previous day's.
DAILY = text("""
SELECT day, SUM(views), SUM(likes + comments + shares + saves) FROM (
  SELECT period_start AS day,
         views - COALESCE(LAG(views) OVER (PARTITION BY published_post_id ORDER BY period_start), 0) AS views,
         likes - COALESCE(LAG(likes) OVER (PARTITION BY published_post_id ORDER BY period_start), 0) AS likes,
         comments - COALESCE(LAG(comments) OVER (PARTITION BY published_post_id ORDER BY period_start), 0) AS comments,
         shares - COALESCE(LAG(shares) OVER (PARTITION BY published_post_id ORDER BY period_start), 0) AS shares,
         saves - COALESCE(LAG(saves) OVER (PARTITION BY published_post_id ORDER BY period_start), 0) AS saves
  FROM metric_aggregates WHERE workspace_id = :ws AND period = 'day' AND period_start <= :last) AS gains
WHERE day >= :first GROUP BY day ORDER BY day
""")

FOLLOWERS = text("""
SELECT day, SUM(followers) FROM account_snapshots WHERE workspace_id = :ws AND day >= :first AND day <= :last
GROUP BY day ORDER BY day
""")

BEST_POSTS = text("""
SELECT p.id, p.platform, p.caption, p.url, p.published_at, MAX(a.views), MAX(a.likes), MAX(a.comments), MAX(a.shares),
       MAX(a.saves)
FROM metric_aggregates a JOIN published_posts p ON p.id = a.published_post_id
WHERE a.workspace_id = :ws AND a.period = 'day' AND a.period_start <= :last AND p.published_at >= :since
GROUP BY p.id, p.platform, p.caption, p.url, p.published_at ORDER BY MAX(a.views) DESC LIMIT 10
""").bindparams(bindparam("since"))


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


def gained(workspace_id: int, period: Range) -> list[tuple[str, dict[str, int]]]:
    rows = read_rows(GAINED, {"ws": workspace_id, "first": period.first, "last": period.last}).all()
    return [(platform, {name: int(value or 0) for name, value in zip(NUMBERS, values, strict=True)})
            for platform, *values in rows]


def summed(by_platform: list[tuple[str, dict[str, int]]]) -> dict[str, int]:
    totals = {name: sum(numbers[name] for _, numbers in by_platform) for name in NUMBERS}
    totals["engagement"] = totals["likes"] + totals["comments"] + totals["shares"] + totals["saves"]
    return totals


def dashboard(workspace_id: int, period: Range) -> Dashboard:
    values = {"ws": workspace_id, "first": period.first, "last": period.last}
    by_platform = gained(workspace_id, period)
    previous = summed(gained(workspace_id, period.before()))
    daily = {day if isinstance(day, date) else date.fromisoformat(day): (int(views or 0), int(engagement or 0))
             for day, views, engagement in read_rows(DAILY, values)}
    followers = {day if isinstance(day, date) else date.fromisoformat(day): int(count or 0)
                 for day, count in read_rows(FOLLOWERS, values)}
    totals = summed(by_platform)
    days = [{"date": day, "views": daily.get(day, (0, 0))[0], "engagement": daily.get(day, (0, 0))[1],
             "followers": followers.get(day)} for day in period.each_day()]
    known = [followers[day] for day in period.each_day() if day in followers]
    totals["followers"], totals["new_followers"] = (known[-1], known[-1] - known[0]) if known else (0, 0)
    before = read_rows(FOLLOWERS, {"ws": workspace_id, "first": period.before().first, "last": period.before().last}).all()
    previous["new_followers"] = int(before[-1][1]) - int(before[0][1]) if len(before) > 1 else 0
    best = [{"id": row[0], "platform": row[1], "caption": " ".join((row[2] or "").split())[:90] or "(no caption)",
             "url": row[3], "published_at": str(row[4])[:10], **dict(zip(NUMBERS, (int(v or 0) for v in row[5:]), strict=True))}
            for row in read_rows(BEST_POSTS, {**values, "since": period.first - timedelta(days=90)})]
    return Dashboard(period, totals, previous, by_platform, days, best)


def has_history(workspace_id: int) -> bool:
    return db.session.execute(text("SELECT 1 FROM account_snapshots WHERE workspace_id = :ws LIMIT 1"),
                              {"ws": workspace_id}).first() is not None
