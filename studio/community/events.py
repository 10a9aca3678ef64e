"""Community events: calls and meetups with a time zone and places, answers (going, maybe, not
going) that never take more seats than there are, a calendar file, and reminders."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar
from icalendar import Event as CalendarEvent
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from studio.accounts.models import User, Workspace
from studio.community.members import render
from studio.community.models import Event, EventRSVP, EventType, MemberProfile, RsvpStatus
from studio.database import changed_rows, utcnow
from studio.extensions import db
from studio.notify import service as notify
from studio.notify.models import NotificationType
from studio.refusal import Refused
from studio.schedule_rules import instant_has_passed
from studio.urls import path_for

UTC = ZoneInfo("UTC")


def create_event(workspace: Workspace, author: User, title: str, description: str, type_: EventType, starts_local: datetime,
                 ends_local: datetime, timezone: str, meeting_url: str, capacity: int | None) -> Event:
    """An event at local times in `timezone`; it must end after it starts and start in the future."""
    zone = ZoneInfo(timezone)
    starts = starts_local.replace(tzinfo=zone).astimezone(UTC)
    ends = ends_local.replace(tzinfo=zone).astimezone(UTC)
    if ends <= starts:
        raise Refused("The end must be after the start.", "ends_time")
    if instant_has_passed(starts):
        raise Refused("That time has already passed. Choose a date and start time still to come.", "date")
    event = Event(workspace_id=workspace.id, created_by_id=author.id, title=title.strip(), description=description,
                  description_html=render(workspace, description), type=type_, starts_at=starts, ends_at=ends,
                  timezone=timezone, meeting_url=meeting_url.strip(), capacity=capacity or None)
    db.session.add(event)
    db.session.commit()
    return event


def upcoming_events(workspace: Workspace, now: datetime | None = None) -> list[Event]:
    return list(db.session.execute(select(Event).where(Event.workspace_id == workspace.id, Event.ends_at >= (now or utcnow()))
                                   .order_by(Event.starts_at).limit(50)).scalars())


def rsvp_of(event: Event, user: User) -> EventRSVP | None:
    return db.session.execute(select(EventRSVP).where(EventRSVP.event_id == event.id, EventRSVP.user_id == user.id)
                              ).scalar_one_or_none()


def rsvp(event: Event, user: User, status: RsvpStatus) -> None:
    """Going takes a seat only if one is free. Every change is a conditional UPDATE, so two
    answers at once cannot take two seats for one member, take the last seat twice, or give a
    seat back twice."""
    if event.ends_at < utcnow():
        raise Refused("This event is over.")
    if status == RsvpStatus.GOING:
        seat = changed_rows(db.session.execute(update(Event).where(Event.id == event.id, or_(
            Event.capacity.is_(None), Event.going_count < Event.capacity)).values(going_count=Event.going_count + 1)))
        if not seat:
            db.session.rollback()
            raise Refused(f"“{event.title}” is full: all {event.capacity} places are taken. "
                          "Choose Maybe to hear if one frees up.")
        if not set_rsvp(event, user, RsvpStatus.GOING, unless=RsvpStatus.GOING):  # already going: give the extra seat back
            db.session.execute(update(Event).where(Event.id == event.id).values(going_count=Event.going_count - 1))
    else:
        was_going = changed_rows(db.session.execute(update(EventRSVP).where(
            EventRSVP.event_id == event.id, EventRSVP.user_id == user.id, EventRSVP.status == RsvpStatus.GOING)
            .values(status=status)))
        if was_going:
            db.session.execute(update(Event).where(Event.id == event.id).values(going_count=Event.going_count - 1))
        else:
            set_rsvp(event, user, status)
    db.session.commit()


def set_rsvp(event: Event, user: User, status: RsvpStatus, unless: RsvpStatus | None = None) -> bool:
    """Write the member's answer; False when it already was `unless` (nothing changed)."""
    query = update(EventRSVP).where(EventRSVP.event_id == event.id, EventRSVP.user_id == user.id)
    if unless:
        query = query.where(EventRSVP.status != unless)
    if changed_rows(db.session.execute(query.values(status=status))):
        return True
    exists = db.session.execute(select(EventRSVP.id).where(EventRSVP.event_id == event.id,
                                                           EventRSVP.user_id == user.id)).first()
    if exists:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(EventRSVP(event_id=event.id, user_id=user.id, status=status))
    except IntegrityError:  # the member's other answer made the row a moment ago
        return set_rsvp(event, user, status, unless)
    return True


def attendees(event: Event) -> list[tuple[str, RsvpStatus]]:
    """(username, answer) of everyone going or maybe going."""
    rows = db.session.execute(select(MemberProfile.username, EventRSVP.status).join(
        MemberProfile, and_(MemberProfile.user_id == EventRSVP.user_id, MemberProfile.workspace_id == event.workspace_id),
        isouter=False).where(EventRSVP.event_id == event.id, EventRSVP.status != RsvpStatus.NOT_GOING)
        .order_by(EventRSVP.status, MemberProfile.username))
    return [(username, status) for username, status in rows]


def ical(event: Event, url: str) -> bytes:
    """The event as an iCalendar file, in the event's own time zone."""
    calendar = Calendar()
    calendar.add("prodid", "-//Studio//Community//EN")
    calendar.add("version", "2.0")
    entry = CalendarEvent()
    entry.add("uid", f"event-{event.id}@studio")
    entry.add("summary", event.title)
    entry.add("dtstart", event.starts_at.astimezone(ZoneInfo(event.timezone)))
    entry.add("dtend", event.ends_at.astimezone(ZoneInfo(event.timezone)))
    entry.add("dtstamp", utcnow())
    entry.add("description", f"{event.description}\n\n{url}".strip())
    entry.add("url", url)
    calendar.add_component(entry)
    return calendar.to_ical()


def send_event_reminders(now: datetime | None = None, ahead: timedelta = timedelta(hours=1)) -> int:
    """A notification to everyone going (or maybe going) an hour before an event starts."""
    now = now or utcnow()
    due = db.session.execute(select(Event).where(Event.reminder_sent_at.is_(None), Event.starts_at > now,
                                                 Event.starts_at <= now + ahead)).scalars().all()
    sent = 0
    for event in due:
        claimed = changed_rows(db.session.execute(update(Event).where(Event.id == event.id, Event.reminder_sent_at.is_(None))
                                     .values(reminder_sent_at=now)))
        db.session.commit()
        if not claimed:
            continue
        workspace = db.session.get_one(Workspace, event.workspace_id)
        for user_id in db.session.execute(select(EventRSVP.user_id).where(
                EventRSVP.event_id == event.id, EventRSVP.status.in_((RsvpStatus.GOING, RsvpStatus.MAYBE)))).scalars():
            notify.notify(user_id, NotificationType.EVENT_REMINDER, f"Starting soon: {event.title}",
                          f"{event.starts_at.astimezone(ZoneInfo(event.timezone)):%H:%M} {event.timezone}",
                          path_for("community.event", space=workspace.slug, event_id=event.id), workspace_id=workspace.id)
            sent += 1
    return sent
