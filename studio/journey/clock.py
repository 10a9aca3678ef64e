"""The program's calendar. Month n of a program starts n - 1 calendar months after its first day,
on the same day of the month or the month's last day when it has fewer (a program begun on 31
January has month 2 on the last day of February, 28th or 29th, and month 3 on 31 March): always
counted from the first day, never from the month before, so the days do not drift."""
import calendar
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

UTC = ZoneInfo("UTC")


def add_months(start: date, months: int) -> date:
    year, month = divmod(start.month - 1 + months, 12)
    year, month = start.year + year, month + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def month_start(program_start: date, month: int) -> date:
    return add_months(program_start, month - 1)


def due_instant(program_start: date, month: int, day_offset: int, hour: int, zone: str) -> datetime:
    """When a step falls due: its month's first day plus its offset, at its hour in the client's
    zone (DST-aware), as UTC."""
    day = month_start(program_start, month) + timedelta(days=day_offset)
    return datetime.combine(day, time(hour)).replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def program_month(program_start: date, today: date, paused_days: int = 0) -> int:
    """Which month of the program `today` is in, with the days spent paused pushing it back; 1 to 8
    (0 before it starts)."""
    shifted = today - timedelta(days=paused_days)
    if shifted < program_start:
        return 0
    month = 1
    while month < 8 and month_start(program_start, month + 1) <= shifted:
        month += 1
    return month
