"""When something may be scheduled (posts, repeat rules, events): never at a time that has already passed.

"Post now" is how one publishes now; a time in the past would otherwise be accepted, sit under
"Upcoming", and later turn "missed" for a reason that is not true."""
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from studio.database import utcnow

PAST_TIME = "That time has already passed. Choose a later time, or use “Post now”."


def has_passed(day: date, at: time, zone: str, now: datetime | None = None) -> bool:
    """True when `day` `at` (wall clock in `zone`) lies before the current minute.

    The current minute itself still counts as "now": someone who types the time it is has not
    asked for the past."""
    return instant_has_passed(datetime.combine(day, at).replace(tzinfo=ZoneInfo(zone)), now)


def instant_has_passed(moment: datetime, now: datetime | None = None) -> bool:
    return moment < (now or utcnow()).replace(second=0, microsecond=0)
