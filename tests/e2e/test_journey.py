"""In real browsers: staff start a client's program from her page, and both the team's timeline
and the client's own show what comes next, with next month in preview."""
from datetime import timedelta

from playwright.sync_api import expect

from studio.database import utcnow
from tests.e2e.browser import log_in_through_the_form
from tests.factories import make_client, make_step, make_workspace, owner_of


def test_staff_start_a_program_and_both_timelines_show_the_next_steps(live_server, new_page, app):
    workspace = make_workspace(name="Launch Agency")
    owner = owner_of(workspace)
    rosa = make_client(workspace, name="Rosa Diaz")
    make_step(workspace, month=1, day_offset=5, kind="check_in", title="How is week one, {first_name}?")
    make_step(workspace, month=1, day_offset=20, kind="deliverable", title="Your month {month} plan")
    make_step(workspace, month=2, day_offset=0, kind="celebration", title="Month {month} begins!")
    start = (utcnow() + timedelta(days=1)).date()

    staff = new_page()
    log_in_through_the_form(staff, live_server, owner.email)
    staff.get_by_role("navigation", name="Workspace").get_by_role("link", name="Clients").click()
    staff.get_by_role("link", name="Rosa Diaz").click()
    expect(staff.get_by_role("heading", level=1)).to_have_text("Rosa Diaz")
    staff.get_by_role("link", name="Program", exact=True).click()
    expect(staff.get_by_role("heading", level=1)).to_have_text("Program")
    staff.get_by_label("Program starts").fill(start.isoformat())
    staff.get_by_label("The client's time zone").select_option("America/Chicago")
    staff.get_by_role("button", name="Start the program").click()
    expect(staff.locator("#flash")).to_contain_text("Program started: 3 steps scheduled.")
    upcoming = staff.locator("#next-steps")
    expect(upcoming).to_contain_text("How is week one, Rosa?")
    expect(upcoming).to_contain_text("Your month 1 plan")
    expect(upcoming).to_contain_text("Month 2, in preview")
    expect(upcoming).to_contain_text("Month 2 begins!")

    client = new_page()
    log_in_through_the_form(client, live_server, rosa.email)
    client.goto(f"{live_server}/portal/c/{rosa.id}/inbox")
    client.get_by_role("navigation", name="Portal").get_by_role("link", name="Journey").click()
    expect(client.get_by_role("heading", level=1)).to_have_text("Your journey")
    mine = client.locator("#next-steps")
    expect(mine).to_contain_text("How is week one, Rosa?")
    expect(mine).to_contain_text("Your month 1 plan")
    expect(mine.get_by_role("heading", name="Next month")).to_be_visible()
    expect(mine).to_contain_text("Month 2 begins!")
