"""The rules of plans and usage: what a workspace's plan allows, what it has used this period, and
the one conditional UPDATE that takes from the allowance or refuses.

Two kinds of limit. What is *counted* (AI generations, scheduled posts, uploads) is taken one at a
time from an allowance per period: the calendar month in UTC, kept as the date of its first day, so
the counts start again at nought on the 1st. What is *totalled* (seats, connected accounts) is how
many a workspace has at any one time; the feature that adds one counts what there is and asks
`check_total`.

With `USAGE_LIMITS` off (`STUDIO_USAGE_LIMITS=off`, for a self-hosted install that wants none),
counting still happens and the usage page still shows it; nothing is refused.

This package sits below the features it limits (accounts, connections, library, content,
publishing): they call it, so it imports none of them."""
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, cast

from flask import current_app
from sqlalchemy import Table, func, select, update

from studio.billing.models import Plan, UsageCounter
from studio.database import changed_rows, utcnow
from studio.extensions import db, insert_in_dialect
from studio.refusal import Refused

if TYPE_CHECKING:
    from studio.accounts.models import Workspace

COUNTERS = cast(Table, UsageCounter.__table__)  # written with Core: counts change in the database, not in objects
DEFAULT_PLAN = "starter"  # a new workspace's (Workspace.plan's default), and where a cancelled one returns


class Counted(StrEnum):
    """What is taken from an allowance per period (a column of UsageCounter each)."""

    GENERATIONS = "generations"
    SCHEDULED_POSTS = "scheduled_posts"
    UPLOADS = "uploads"


class Totalled(StrEnum):
    """What a plan allows so many of at any one time."""

    SEATS = "seats"
    CONNECTED_ACCOUNTS = "connected_accounts"


Limited = Counted | Totalled

# The Plan column that holds each limit, and how a person names one of it and several.
LIMIT_COLUMN = {Counted.GENERATIONS: "ai_generations", Counted.SCHEDULED_POSTS: "scheduled_posts",
                Counted.UPLOADS: "uploads", Totalled.SEATS: "seats", Totalled.CONNECTED_ACCOUNTS: "connected_accounts"}
NOUNS = {Counted.GENERATIONS: ("AI generation", "AI generations"),
         Counted.SCHEDULED_POSTS: ("scheduled post", "scheduled posts"), Counted.UPLOADS: ("upload", "uploads"),
         Totalled.SEATS: ("seat", "seats"), Totalled.CONNECTED_ACCOUNTS: ("connected account", "connected accounts")}


def sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


def noun(what: Limited, count: int | None) -> str:
    one, several = NOUNS[what]
    return one if count == 1 else several


class OverLimit(Refused):
    """A plan's limit said no. The message names the limit and how to raise it."""

    def __init__(self, message: str, what: Limited, limit: int, used: int, field: str | None = None) -> None:
        super().__init__(message, field)
        self.what, self.limit, self.used = what, limit, used


# ---- periods -----------------------------------------------------------------------------------


def period_start(now: datetime | None = None) -> date:
    """The first day of the month (in UTC) that `now` falls in: the period's key."""
    moment = (now or utcnow()).astimezone(UTC)
    return date(moment.year, moment.month, 1)


def next_period_start(start: date) -> date:
    """When the counts start again: the first day of the month after `start`'s."""
    return date(start.year + 1, 1, 1) if start.month == 12 else date(start.year, start.month + 1, 1)


# ---- plans -------------------------------------------------------------------------------------


def limits_on() -> bool:
    return bool(current_app.config.get("USAGE_LIMITS", True))


def all_plans() -> list[Plan]:
    return list(db.session.execute(select(Plan).order_by(Plan.position, Plan.id)).scalars())


def find_plan(key: str) -> Plan | None:
    return db.session.execute(select(Plan).where(Plan.key == key)).scalar_one_or_none()


def plan_of(workspace: "Workspace") -> Plan:
    """The workspace's plan. A key that names no plan (one removed by hand) falls back to the first
    plan in order, and with no plans at all to one without limits: a missing row never locks a
    workspace out, and never hands it more than the smallest plan."""
    plan = find_plan(workspace.plan) or next(iter(all_plans()), None)
    return plan if plan is not None else Plan(key=workspace.plan, name=workspace.plan.title(), price_label="")


def limit_of(plan: Plan, what: Limited) -> int | None:
    """The plan's limit on `what` (None: unlimited)."""
    return getattr(plan, LIMIT_COLUMN[what])


def plan_for_price(price_id: str | None) -> Plan | None:
    if not price_id:
        return None
    return db.session.execute(select(Plan).where(Plan.stripe_price_id == price_id)).scalar_one_or_none()


PLAN_KEY = re.compile(r"[a-z0-9][a-z0-9_-]{0,19}")
PLAN_COLUMNS = ("name", "price_label", "stripe_price_id", "position", *LIMIT_COLUMN.values())


def save_plan(key: str, **values: Any) -> tuple[Plan, bool]:
    """Create the plan `key`, or change it: `values` are Plan columns (`flask studio plans set`); a
    limit of None is unlimited. Returns (plan, created)."""
    unknown = set(values) - set(PLAN_COLUMNS)
    if unknown:
        raise ValueError(f"not a plan's column: {', '.join(sorted(unknown))}")
    plan = find_plan(key)
    created = plan is None
    if plan is None:
        if not PLAN_KEY.fullmatch(key):
            raise Refused(f"A plan's key is up to 20 lower-case letters, digits, - and _ (not “{key}”).")
        last = db.session.scalar(select(func.max(Plan.position)))
        plan = Plan(key=key, name=key.replace("-", " ").replace("_", " ").title(), price_label="",
                    position=(last if last is not None else -1) + 1)
        db.session.add(plan)
    price = values.get("stripe_price_id")
    if price and db.session.scalar(select(Plan.key).where(Plan.stripe_price_id == price, Plan.key != key)):
        raise Refused(f"The Stripe price {price} belongs to another plan already.")
    for name, value in values.items():
        setattr(plan, name, value)
    db.session.commit()
    return plan, created


def assign_plan(workspace: "Workspace", key: str) -> Plan:
    """Move the workspace to the plan `key` (the CLI, and Stripe's webhook through the subscription)."""
    plan = find_plan(key)
    if plan is None:
        raise Refused(f"There is no plan “{key}”.")
    workspace.plan = plan.key
    db.session.commit()
    return plan


# ---- the subscription (Stripe's webhook) -------------------------------------------------------
# Each event carries the subscription as it stood, and is applied as it says (values set, never
# added to), so an event delivered twice changes nothing the second time.

PAYING = ("active", "trialing", "past_due")  # on the plan it pays for (past_due: while Stripe retries)
ENDED = ("canceled", "unpaid", "incomplete_expired", "paused")  # back to the starter plan


def apply_checkout(workspace: "Workspace", customer_id: str | None, subscription_id: str | None,
                   plan_key: str | None) -> None:
    """A Checkout Session completed: keep the customer and the subscription, and move to the plan
    it was for (named in its metadata by `checkout_url`)."""
    if customer_id:
        workspace.stripe_customer_id = customer_id
    if subscription_id:
        if subscription_id != workspace.stripe_subscription_id or workspace.subscription_status is None:
            workspace.subscription_status = "active"  # paid for just now; later events say otherwise
        workspace.stripe_subscription_id = subscription_id
    plan = find_plan(plan_key) if plan_key else None
    if plan is not None:
        workspace.plan = plan.key
    db.session.commit()


def apply_subscription(workspace: "Workspace", subscription_id: str | None, status: str | None,
                       price_id: str | None, customer_id: str | None, deleted: bool = False) -> str:
    """A subscription was created, changed or ended: keep its id and status, and apply the plan
    its price pays for (back to starter once it has ended). Returns what was done, for the log.

    An event that ends a subscription other than the workspace's current one (an old one, after
    the owner subscribed again) is ignored: it must not end the new one."""
    status = "canceled" if deleted else (status or "")
    current = workspace.stripe_subscription_id
    if current and subscription_id != current and status in ENDED:
        return f"ignored: {subscription_id} ended, but the workspace's subscription is {current}"
    # Stripe does not promise order: an update that arrives after the subscription was cancelled
    # describes it as it was. A cancelled subscription never comes back (a new one has a new id).
    if subscription_id == current and workspace.subscription_status == "canceled" and status != "canceled":
        return f"ignored: {subscription_id} is cancelled; a late '{status}' event changes nothing"
    workspace.stripe_subscription_id = subscription_id
    workspace.subscription_status = status[:30] or None
    if customer_id:
        workspace.stripe_customer_id = customer_id
    outcome = f"{workspace.slug}: subscription {status}"
    if status in ENDED:
        workspace.plan = DEFAULT_PLAN
        outcome += f", back on {DEFAULT_PLAN}"
    elif status in PAYING:
        plan = plan_for_price(price_id)
        if plan is not None:
            workspace.plan = plan.key
            outcome += f", on {plan.key}"
        else:
            outcome += f", plan kept (no plan has the price {price_id})"
    db.session.commit()
    return outcome


# ---- counting ----------------------------------------------------------------------------------


def ensure_counter(workspace_id: int, start: date) -> None:
    """The period's row, made if missing; two requests racing to make it both carry on."""
    db.session.execute(insert_in_dialect(UsageCounter).values(
        workspace_id=workspace_id, period_start=start, generations=0, scheduled_posts=0, uploads=0,
        bytes_uploaded=0).on_conflict_do_nothing(index_elements=["workspace_id", "period_start"]))


def take(workspace: "Workspace", what: Counted | str, amount: int = 1, now: datetime | None = None, *,
         commit: bool = True) -> None:
    """Take `amount` of `what` from this period's allowance, or refuse (OverLimit) having taken
    nothing. Atomic: one conditional UPDATE adds only while the sum stays within the limit, so two
    requests at once can never both take the last one.

    `commit=True` commits at once (before slow work such as a model call, which should then
    `give_back` if it fails); `commit=False` leaves it to the caller's transaction, so the count and
    the row it pays for are kept or lost together."""
    what = Counted(what)
    now = now or utcnow()
    start = period_start(now)
    ensure_counter(workspace.id, start)
    plan = plan_of(workspace)
    limit = limit_of(plan, what) if limits_on() else None
    column = COUNTERS.c[what.value]
    statement = update(COUNTERS).where(
        COUNTERS.c.workspace_id == workspace.id, COUNTERS.c.period_start == start)
    if limit is not None:
        statement = statement.where(column + amount <= limit)
    if changed_rows(db.session.execute(statement.values({column: column + amount}))) != 1:
        used = db.session.execute(select(column).where(COUNTERS.c.workspace_id == workspace.id,
                                                       COUNTERS.c.period_start == start)).scalar_one()
        assert limit is not None  # only a limit makes the update miss: the row was ensured above
        raise OverLimit(counted_refusal(plan, what, limit, used, amount, next_period_start(start)), what, limit, used)
    if commit:
        db.session.commit()


def give_back(workspace: "Workspace", what: Counted | str, amount: int = 1, now: datetime | None = None) -> None:
    """Return what `take` took for work that then failed (pass the `now` it was taken at, if the
    month may have turned since). Never goes below nought. Commits."""
    what = Counted(what)
    table = COUNTERS
    column = table.c[what.value]
    db.session.execute(update(table).where(table.c.workspace_id == workspace.id,
                                           table.c.period_start == period_start(now), column >= amount)
                       .values({column: column - amount}))
    db.session.commit()


def add_bytes(workspace: "Workspace", size: int, now: datetime | None = None) -> None:
    """Add an upload's size to the period's bytes (shown on the library page, not limited). The
    period's row exists: `take` made it. Left to the caller's transaction."""
    table = COUNTERS
    db.session.execute(update(table).where(table.c.workspace_id == workspace.id,
                                           table.c.period_start == period_start(now))
                       .values(bytes_uploaded=table.c.bytes_uploaded + size))


def check_total(workspace: "Workspace", what: Totalled | str, current_count: int, adding: int = 1,
                field: str | None = None) -> None:
    """Refuse (OverLimit, about the form field `field` if given) when `adding` more of `what` to the
    `current_count` the workspace has would pass its plan's limit. The caller counts (members with
    pending invitations, connected accounts), since the things counted are its own."""
    what = Totalled(what)
    plan = plan_of(workspace)
    limit = limit_of(plan, what)
    if limit is not None and limits_on() and current_count + adding > limit:
        raise OverLimit(total_refusal(plan, what, limit, current_count), what, limit, current_count, field)


# ---- what people are told ----------------------------------------------------------------------


def how_to_raise() -> str:
    if current_app.config.get("STRIPE_SECRET_KEY"):
        return "an owner can raise it by moving to a bigger plan on Plan & usage."
    return "to raise it, ask whoever runs this studio (they set plans with `flask studio plans`)."


def counted_refusal(plan: Plan, what: Counted, limit: int, used: int, amount: int, resets_on: date) -> str:
    wanted = f" and this needs {amount} more" if amount > 1 else ""
    return (f"Your plan ({plan.name}) allows {limit} {noun(what, limit)} a month and this workspace has used "
            f"{used}{wanted}. The count starts again on {resets_on.day} {resets_on:%B}; {how_to_raise()}")


def total_refusal(plan: Plan, what: Totalled, limit: int, current: int) -> str:
    having = {Totalled.SEATS: f"{current} taken (members and pending invitations)",
              Totalled.CONNECTED_ACCOUNTS: f"{current} connected"}[what]
    return f"Your plan ({plan.name}) allows {limit} {noun(what, limit)} and this workspace has {having}. " \
           f"{sentence_case(how_to_raise())}"


# ---- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Meter:
    """One line of the usage page: what, how much is used, the limit (None: unlimited)."""

    what: Limited
    label: str
    used: int
    limit: int | None

    @property
    def full(self) -> bool:
        return self.limit is not None and self.used >= self.limit

    @property
    def per_period(self) -> bool:
        return isinstance(self.what, Counted)


@dataclass(frozen=True)
class Usage:
    plan: Plan
    period_start: date
    resets_on: date
    used: dict[Counted, int]
    limits_on: bool

    def meters(self, totals: dict[Totalled, int]) -> list[Meter]:
        """The page's meters: this period's counts, then the totals the page counted."""
        counted = [Meter(what, sentence_case(NOUNS[what][1]), self.used[what], limit_of(self.plan, what))
                   for what in Counted]
        return counted + [Meter(what, sentence_case(NOUNS[what][1]), totals.get(what, 0), limit_of(self.plan, what))
                          for what in Totalled]


def usage_of(workspace: "Workspace", now: datetime | None = None) -> Usage:
    """The workspace's plan and what it has counted this period (nought for a period not begun)."""
    start = period_start(now)
    table = COUNTERS
    row = db.session.execute(select(*(table.c[what.value] for what in Counted)).where(
        table.c.workspace_id == workspace.id, table.c.period_start == start)).first()
    used = {what: row._mapping[what.value] if row is not None else 0 for what in Counted}
    return Usage(plan_of(workspace), start, next_period_start(start), used, limits_on())


def describe_limits(plan: Plan) -> list[tuple[str, int | None, bool]]:
    """(what, limit or None for unlimited, whether it is a month's) for each of a plan's limits, as
    the plan cards and the CLI show them."""
    return [(NOUNS[what][1], limit_of(plan, what), isinstance(what, Counted)) for what in (*Counted, *Totalled)]


def subscribed(workspace: "Workspace") -> bool:
    """Paying through Stripe now: the plan changes in the customer portal, not through a new Checkout."""
    return bool(workspace.stripe_subscription_id) and workspace.subscription_status in PAYING
