"""Demo content work for Northwind: approvals by the team then the client, briefs from the team and
from Rosa, versions, a post sent back by Rosa and edited, comments with @mentions."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from studio.accounts.models import ApprovalMode, Membership, Workspace
from studio.connections.models import PlatformConnection
from studio.content import approvals, comments, history, requests
from studio.content.models import EditAction
from studio.extensions import db
from studio.portal.models import Client
from studio.publishing import service as publishing
from studio.publishing.models import Post


def seed_content(workspace: Workspace) -> None:
    people = {m.user.email.split("@")[0]: m.user for m in db.session.execute(
        select(Membership).where(Membership.workspace_id == workspace.id)).scalars()}
    maya, jordan, priya = people["maya"], people["jordan"], people["priya"]
    rosa = db.session.execute(select(Client).where(Client.workspace_id == workspace.id, Client.name == "Rosa Diaz")).scalar_one()
    rosa_user = rosa.user
    assert rosa_user is not None, "Rosa has her portal log-in"
    rosas = db.session.execute(select(PlatformConnection).where(
        PlatformConnection.workspace_id == workspace.id, PlatformConnection.username == "rosa.lifts")).scalar_one()
    approvals.set_mode(workspace, ApprovalMode.CLIENT)
    zone = maya.timezone
    day = datetime.now(ZoneInfo(zone)).replace(minute=0, second=0, microsecond=0, tzinfo=None)

    # A brief from Rosa, and one of the team's with versions, one of them picked.
    requests.create_request(workspace, rosa_user, "Gym opening week", "Doors open at 6am Monday. First class free with a friend. "
                            "I'd love a reel and two stories.", "Fill the first week's classes", ["sandbox", "instagram"],
                            (day + timedelta(days=5)).date(), rosa)
    autumn = requests.create_request(workspace, maya, "Autumn menu launch", "Three new dishes: squash risotto, "
                                     "chestnut soup, pear tart. Warm, short, one question to the audience.",
                                     "Bookings for the first week", ["sandbox"], (day + timedelta(days=2)).date())
    requests.assign(autumn, priya, maya)
    requests.add_version(autumn, priya, "Autumn is on the menu: squash risotto, chestnut soup and a pear tart. "
                         "Which one are you ordering first?", ["autumnmenu", "northwind"], "The three dishes on a wooden table, low sun")
    picked = requests.add_version(autumn, priya, "Three new dishes, one question: risotto, soup or tart?",
                                  ["autumnmenu"], "Close-up of the pear tart")
    history.edit(picked, "Three new autumn dishes, one question: risotto, soup or tart?", maya, "Say autumn")
    post = requests.pick(picked, priya, day + timedelta(days=3, hours=2), zone)
    approvals.submit(post, priya)
    comments.add(post, priya, "@maya photo from Tuesday's shoot goes with it; @jordan can you check the tart's name?")
    comments.add(autumn, jordan, "Kitchen confirms: it's a pear and almond tart.")

    # Posts for Rosa's own account: one waiting for her, one she sent back and the team edited,
    # one she approved (scheduled), and one she approved that went out.
    def rosa_post(text: str, days: int) -> Post:
        made = publishing.create_post(workspace, jordan, text, {}, [rosas], [], "draft", day + timedelta(days=days, hours=1), zone)
        history.record(made, EditAction.CREATED, jordan, new=text)
        db.session.commit()
        return made

    waiting = rosa_post("5am club, day 30: what I eat before a workout (and what I stopped eating).", 2)
    approvals.submit(waiting, jordan)
    approvals.approve_for_team(waiting, maya)
    sent_back = rosa_post("New gym, new routine. Doors open at 6am Monday!", 4)
    approvals.approve_for_team(sent_back, maya)
    approvals.request_changes(sent_back, rosa_user, "Doors open at 6:30 on Monday, not 6. Can we add 'first class free'?",
                              by_client=True)
    history.edit_post(db.session.get_one(Post, sent_back.id), db.session.get_one(Post, sent_back.id).version,
                      "New gym, new routine. Doors open at 6:30am Monday, and your first class is free!", jordan, "Rosa's note")
    comments.add(db.session.get_one(Post, sent_back.id), jordan, "Fixed the time and added the offer. Over to Maya.", internal=False)
    approved = rosa_post("Honest review: the 3 protein bars I actually finish.", 6)
    approvals.approve_for_team(approved, maya)
    approvals.approve_as_client(db.session.get_one(Post, approved.id), rosa_user)
    db.session.commit()
