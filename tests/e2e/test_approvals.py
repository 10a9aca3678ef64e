"""In real browsers, a post's way to a client's yes: Rosa opens the post waiting for her, sees it
as her LinkedIn and Facebook audiences will, and asks for a change with a comment; the team edits
it and approves it again; she approves and the post is scheduled; the history shows each step,
with the edit as a word-level diff."""
from datetime import timedelta

from playwright.sync_api import expect

from studio.content import approvals, history
from studio.content.models import EditAction
from studio.database import utcnow
from studio.extensions import db
from studio.publishing.models import Post
from tests.e2e.browser import log_in_through_the_form
from tests.factories import make_client, make_connection, make_post, make_workspace, owner_of, require_approval


def test_client_asks_for_a_change_staff_edit_she_approves_and_the_post_is_scheduled(live_server, new_page, app):
    workspace = require_approval(make_workspace(name="Launch Agency"), "client")
    owner = owner_of(workspace)
    rosa = make_client(workspace, name="Rosa Diaz")
    accounts = [make_connection(workspace, platform=platform, username="rosa.lifts", display_name="Rosa Lifts",
                                client_id=rosa.id) for platform in ("linkedin", "facebook")]
    when = (utcnow() + timedelta(days=2)).replace(hour=9, minute=0, second=0, microsecond=0)
    text = ("Monday 6am: doors open at the new gym. First class is free for everyone who brings a friend, "
            "and the smoothie bar opens the same morning. Lockers, towels and a coach on the floor all day, "
            "every day of the opening week. See you there!")
    post = make_post(workspace=workspace, author=owner, connections=accounts, status="draft", message=text,
                     scheduled_at=when.replace(tzinfo=None))
    history.record(post, EditAction.CREATED, owner, new=text)
    db.session.commit()
    approvals.approve_for_team(post, owner)

    client = new_page()
    log_in_through_the_form(client, live_server, rosa.email)
    client.goto(f"{live_server}/portal/c/{rosa.id}/inbox")
    client.get_by_role("navigation", name="Portal").get_by_role("link", name="Approvals").click()
    expect(client.get_by_role("heading", level=1)).to_have_text("Approvals")
    client.get_by_role("link", name="Open to comment or ask for changes").click()
    expect(client.locator("#decide")).to_be_visible()
    previews = client.locator(".preview")
    expect(previews).to_have_count(2)
    expect(client.locator(".preview-linkedin")).to_contain_text("LinkedIn · @rosa.lifts")
    expect(client.locator(".preview-linkedin")).to_contain_text("the feed shows the first")  # folded near 210
    client.locator("#decide").get_by_text("Ask for changes", exact=True).click()
    client.get_by_label("What should change").fill("Please say 6:30am, the doors open later.")
    client.get_by_role("button", name="Send to the team").click()
    expect(client.locator("#flash")).to_contain_text("Sent to the team with your note.")
    expect(client.locator("#comments")).to_contain_text("Please say 6:30am")

    staff = new_page()
    log_in_through_the_form(staff, live_server, owner.email)
    staff.goto(f"{live_server}/w/{workspace.slug}/posts/{post.id}")
    expect(staff.locator("#approval")).to_contain_text("changes requested")
    expect(staff.locator("#comments")).to_contain_text("Please say 6:30am")
    staff.get_by_label("Message").fill(text.replace("Monday 6am", "Monday 6:30am"))
    staff.get_by_label("Why (optional)").fill("Rosa's correction")
    staff.get_by_role("button", name="Save the text").click()
    expect(staff.locator("#flash")).to_contain_text("it goes back to the team for approval")
    staff.locator("#approval").get_by_role("button", name="Approve").click()
    expect(staff.locator("#flash")).to_contain_text("it now waits for the client")

    client.goto(f"{live_server}/portal/c/{rosa.id}/approvals/{post.id}")
    expect(client.locator(".preview-facebook")).to_contain_text("Monday 6:30am")
    client.locator("#decide").get_by_role("button", name="Approve").click()
    expect(client.locator("#flash")).to_contain_text("It is scheduled.")
    db.session.expire_all()
    assert db.session.get(Post, post.id).status == "scheduled"

    staff.reload()  # the page shows the post scheduled, approved by her
    expect(staff.locator("#approval")).to_contain_text("Approved by Rosa Diaz")
    staff.get_by_role("link", name="History").click()
    steps = staff.locator(".history-step")
    expect(steps).to_have_count(7)
    expect(steps.nth(0)).to_contain_text("scheduled")
    expect(steps.nth(1)).to_contain_text("client approved")
    expect(steps.nth(2)).to_contain_text("approved")
    expect(steps.nth(3)).to_contain_text("edited")
    expect(steps.nth(3)).to_contain_text("“Rosa's correction”")
    expect(steps.nth(3).locator("del")).to_have_text("6am: ")
    expect(steps.nth(3).locator("ins")).to_have_text("6:30am: ")
    expect(steps.nth(4)).to_contain_text("changes requested")
    expect(steps.nth(4)).to_contain_text("Please say 6:30am")
    expect(steps.nth(5)).to_contain_text("approved")
    expect(steps.nth(6)).to_contain_text("created")
