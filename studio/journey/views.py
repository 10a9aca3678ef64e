"""The journey's pages: the agency's program (its steps by month), a client's program on the team's
side (start, pause, resume, the timeline with its log, decisions about held or failed steps), and
the client's own timeline in her portal."""
from datetime import datetime

from flask import flash, g, request, url_for
from flask_login import current_user

from studio.journey import service
from studio.journey.forms import KIND_LABELS, PauseForm, StartProgramForm, StepForm
from studio.journey.models import PROGRAM_MONTHS, Automation, ProgramStep
from studio.portal.models import Client
from studio.portal.staff_views import clients
from studio.portal.views import bp as portal
from studio.security.access import requires_role, scoped_get_or_404, workspace_blueprint
from studio.web import go_to, page, refusals_onto

bp = workspace_blueprint("journey", __name__, "/program")


@bp.app_context_processor
def journey_labels():
    return {"step_kind_labels": KIND_LABELS, "program_months": PROGRAM_MONTHS}


# ---- the agency's program ----------------------------------------------------------------------


def program_page(form: StepForm | None = None, status: int = 200, editing: ProgramStep | None = None):
    steps = service.steps_of(g.workspace)
    by_month = {month: [s for s in steps if s.month == month] for month in range(1, PROGRAM_MONTHS + 1)}
    return page("journey/program.html", status=status, by_month=by_month, form=form or StepForm(formdata=None),
                editing=editing)


@bp.get("", endpoint="index")
def program():
    editing = scoped_get_or_404(ProgramStep, request.args.get("edit", type=int)) if request.args.get("edit") else None
    form = StepForm(formdata=None, obj=editing) if editing else None
    return program_page(form, editing=editing)


@bp.post("/steps")
@requires_role("editor")
def add_step():
    return saved(None)


@bp.post("/steps/<int:step_id>")
@requires_role("editor")
def save_step(step_id):
    return saved(scoped_get_or_404(ProgramStep, step_id))


def saved(step: ProgramStep | None):
    form = StepForm()
    if form.validate_on_submit():
        with refusals_onto(form):
            service.save_step(g.workspace, step, form.month.data, form.day_offset.data, form.hour.data, form.kind.data,
                              form.title.data, form.body.data or "")
            flash("Step saved. Programs started from now on include it.", "success")
            return go_to(url_for("journey.index", _anchor=f"month-{form.month.data}"))
    return program_page(form, 422, editing=step)


@bp.post("/steps/<int:step_id>/delete")
@requires_role("editor")
def delete_step(step_id):
    service.delete_step(scoped_get_or_404(ProgramStep, step_id))
    flash("Step removed from the program (clients keep what was scheduled for them).", "success")
    return go_to(url_for("journey.index"))


# ---- a client's program, for the team ----------------------------------------------------------


def journey_page(client: Client, start_form=None, pause_form=None, status: int = 200):
    start = start_form or StartProgramForm(formdata=None, start=client.program_start, zone=client.program_zone)
    return page("journey/client.html", status=status, client=client, timeline=service.timeline_of(client),
                start_form=start, pause_form=pause_form or PauseForm(formdata=None),
                month=service.current_month(client), now=datetime.now())


@clients.get("/<int:client_id>/journey")
def journey(client_id):
    return journey_page(scoped_get_or_404(Client, client_id))


@clients.post("/<int:client_id>/journey/start")
@requires_role("editor")
def start_program(client_id):
    client = scoped_get_or_404(Client, client_id)
    form = StartProgramForm()
    if form.validate_on_submit():
        with refusals_onto(form):
            made = service.start_program(client, form.start.data, form.zone.data)
            flash(f"Program started: {made} step{'s' if made != 1 else ''} scheduled.", "success")
            return go_to(url_for("clients.journey", client_id=client.id))
    return journey_page(client, start_form=form, status=422)


@clients.post("/<int:client_id>/journey/pause")
@requires_role("editor")
def pause_program(client_id):
    client = scoped_get_or_404(Client, client_id)
    form = PauseForm()
    if form.validate_on_submit():
        with refusals_onto(form):
            service.pause(client, form.reason.data)
            flash("Paused: nothing runs until you resume.", "success")
            return go_to(url_for("clients.journey", client_id=client.id))
    return journey_page(client, pause_form=form, status=422)


@clients.post("/<int:client_id>/journey/resume")
@requires_role("editor")
def resume_program(client_id):
    client = scoped_get_or_404(Client, client_id)
    with refusals_onto():
        moved, held = service.resume(client)
        flash(f"Resumed: {moved} step{'s' if moved != 1 else ''} moved later by the pause"
              + (f"; {held} fell inside it: run or skip each below." if held else "."), "success")
    return go_to(url_for("clients.journey", client_id=client.id))


@clients.post("/<int:client_id>/journey/steps/<int:automation_id>")
@requires_role("editor")
def decide_step(client_id, automation_id):
    client = scoped_get_or_404(Client, client_id)
    automation = scoped_get_or_404(Automation, automation_id)
    if automation.client_id != client.id:
        return go_to(url_for("clients.journey", client_id=client.id))
    with refusals_onto():
        service.decide(automation, request.form.get("choice") == "run", current_user)
        flash("It runs within the minute." if request.form.get("choice") == "run" else "Skipped.", "success")
    return go_to(url_for("clients.journey", client_id=client.id))


# ---- the client's own timeline -----------------------------------------------------------------


@portal.get("/c/<int:client_id>/journey", endpoint="journey")
def client_journey(client_id):
    client = g.portal_client
    return page("journey/portal.html", client=client, timeline=service.timeline_of(client, for_staff=False),
                month=service.current_month(client))
