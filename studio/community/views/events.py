"""Events: what is coming up, a new event, one event with its answers, and its calendar file."""
from datetime import datetime

from flask import Response, abort, flash, g, request, url_for
from flask_login import current_user

from studio.community import events
from studio.community.forms import EventForm
from studio.community.models import Event, RsvpStatus
from studio.community.views.blueprint import bp
from studio.database import utcnow
from studio.security.access import requires_role, scoped_get_or_404
from studio.urls import external_url
from studio.web import go_to, page, refusals_onto, show_form

ANSWERED = {RsvpStatus.GOING: "You are going.", RsvpStatus.MAYBE: "Marked maybe.", RsvpStatus.NOT_GOING: "Marked not going."}


@bp.get("/events", endpoint="events")
def coming_up():
    return page("community/events.html", events=events.upcoming_events(g.space))


@bp.route("/events/new", methods=["GET", "POST"])
@requires_role("moderator")
def new_event():
    form = EventForm()
    if request.method == "GET":
        form.timezone.data = current_user.timezone or "UTC"
    if form.validate_on_submit():
        with refusals_onto(form):
            event = events.create_event(g.space, current_user, form.title.data, form.description.data or "",
                                        form.type.data, datetime.combine(form.date.data, form.starts_time.data),
                                        datetime.combine(form.date.data, form.ends_time.data), form.timezone.data,
                                        form.meeting_url.data or "", form.capacity.data)
            return go_to(url_for("community.event", event_id=event.id))
    return show_form("community/new_event.html", form)


@bp.get("/events/<int:event_id>")
def event(event_id):
    item = scoped_get_or_404(Event, event_id)
    mine = events.rsvp_of(item, current_user)
    return page("community/event.html", event=item, mine=mine, attendees=events.attendees(item),
                past=item.ends_at < utcnow())


@bp.post("/events/<int:event_id>/rsvp")
def rsvp(event_id):
    item = scoped_get_or_404(Event, event_id)
    answer = request.form.get("status", "")
    if answer not in ANSWERED:
        abort(400)
    with refusals_onto():
        events.rsvp(item, current_user, RsvpStatus(answer))
        flash(ANSWERED[answer], "success")
    return go_to(url_for("community.event", event_id=item.id))


@bp.get("/events/<int:event_id>.ics")
def event_ics(event_id):
    item = scoped_get_or_404(Event, event_id)
    body = events.ical(item, external_url("community.event", space=g.space.slug, event_id=item.id))
    return Response(body, mimetype="text/calendar",
                    headers={"Content-Disposition": f'attachment; filename="event-{item.id}.ics"'})
