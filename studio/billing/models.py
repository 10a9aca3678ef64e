from datetime import date

from sqlalchemy import BigInteger, Date, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from studio.database import workspace_fk
from studio.extensions import Model


class Plan(Model):
    """What a workspace may do: limits per period (AI generations, scheduled posts, uploads) and
    totals at any time (seats, connected accounts). A limit of NULL is unlimited. Starter, Pro and
    Agency are made by the migration; `flask studio plans` edits them and adds others."""

    __tablename__ = "plans"

    key: Mapped[str] = mapped_column(String(20), unique=True)  # what Workspace.plan holds
    name: Mapped[str] = mapped_column(String(60))
    price_label: Mapped[str] = mapped_column(String(60), default="")  # "$19 / month", as shown
    stripe_price_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    position: Mapped[int] = mapped_column(default=0)  # the order of the plans on the page
    ai_generations: Mapped[int | None]
    scheduled_posts: Mapped[int | None]
    uploads: Mapped[int | None]
    seats: Mapped[int | None]
    connected_accounts: Mapped[int | None]

    def __repr__(self) -> str:
        return f"<Plan {self.key}>"


class UsageCounter(Model):
    """What a workspace used in one period. A period is a calendar month in UTC: `period_start` is
    its first day, and a new month starts a new row (so the counts start again at nought)."""

    __tablename__ = "usage_counters"
    __table_args__ = (UniqueConstraint("workspace_id", "period_start"),)

    workspace_id: Mapped[workspace_fk] = mapped_column(index=False)
    period_start: Mapped[date] = mapped_column(Date)
    generations: Mapped[int] = mapped_column(default=0)
    scheduled_posts: Mapped[int] = mapped_column(default=0)
    uploads: Mapped[int] = mapped_column(default=0)
    bytes_uploaded: Mapped[int] = mapped_column(BigInteger, default=0)  # shown on the library page
