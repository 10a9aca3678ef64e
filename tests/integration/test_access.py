"""Every route, checked against every kind of visitor: anonymous people are sent to log in (htmx
gets HX-Redirect), members of another workspace get 404, and a viewer gets 403 on every write.

The route list comes from the app itself, so a route added later is checked without editing this
file; a new route that anonymous people may reach must be named in PUBLIC_ENDPOINTS."""
import io
from datetime import timedelta

import pytest

from studio.accounts.models import Invitation
from studio.connections.models import PendingConnection, SocialLink
from studio.database import utcnow
from studio.extensions import db
from studio.library.storage import storage
from tests.factories import (
    add_member,
    make_article,
    make_asset,
    make_connection,
    make_deliverable,
    make_post,
    make_request,
    make_service,
    make_showcase_video,
    make_step,
    make_storefront,
    make_thread,
    make_update,
    make_version,
    make_workspace,
    owner_of,
)

# GET pages that mark something read and send the reader on to what it is about.
OPENS_AND_REDIRECTS = {"workspaces.open_notification"}

PUBLIC_ENDPOINTS = {
    "static",
    "accounts.index",
    "accounts.signup",
    "accounts.login",
    "accounts.logout",
    "accounts.forgot_password",
    "accounts.reset_password",
    "accounts.invitation",
    "portal.invitation",
    # The sandbox platform's OAuth endpoints and public post pages, as on a real platform.
    "sandbox.authorize",
    "sandbox.token",
    "sandbox.revoke",
    "sandbox.public_post",
    # Expiring signed links to media files, for platforms that fetch media by URL.
    "media_links.signed",
    # The private calendar feed: the secret in its address is the key.
    "calendar_feeds.feed",
    # Meta's webhooks: the verify token and the body's signature are the keys.
    "webhooks.verify",
    "webhooks.receive",
    # Stripe's webhook: the Stripe-Signature header (under STRIPE_WEBHOOK_SECRET) is the key.
    "stripe_webhooks.receive",
    # A maker's public storefront: anyone reads it (unknown or unpublished ones answer 404), asks
    # about a service, and opens their question's signed link; liking and commenting answer with a
    # log-in for visitors (tests/integration/test_storefront.py); and what search engines read.
    "storefront.home", "storefront.updates", "storefront.videos", "storefront.update", "storefront.video",
    "storefront.like", "storefront.comment", "storefront.picture", "storefront.followers", "storefront.ask",
    "storefront.inquiry", "storefront.sitemap", "storefront.robots",
    # For load balancers and Prometheus (METRICS_TOKEN guards /metrics when set; tests/integration/test_ops.py).
    "ops.healthz", "ops.readyz", "ops.metrics",
}
# The sandbox's API answers to bearer tokens, not to sessions.
TOKEN_PROTECTED_PREFIX = "sandbox.api_"
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def routes(app):
    """(endpoint, method, rule) for every route the app serves."""
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, rule


def url_for_rule(rule, workspace, ids):
    values = {}
    for argument in rule.arguments:
        if argument == "ws":
            values[argument] = workspace.slug
        elif argument in ids:
            values[argument] = ids[argument]
        elif argument == "platform":
            values[argument] = "sandbox"
        elif argument == "table":
            values[argument] = "days"
        else:
            values[argument] = 1
    return rule.build(values)[1]


@pytest.fixture
def world(app):
    """Two workspaces: ours (with a viewer) and theirs, each with an invitation and members."""
    ours = make_workspace(name="Ours")
    viewer = add_member(ours, "viewer")
    theirs = make_workspace(name="Theirs")
    stranger_editor = add_member(theirs, "editor")
    for workspace in (ours, theirs):
        db.session.add(
            Invitation(workspace=workspace, email=f"invitee@{workspace.slug}.example", role="editor",
                       token_hash=f"hash-{workspace.slug}", expires_at=utcnow())
        )
    db.session.commit()
    made = {workspace.id: make_connection_things(workspace) for workspace in (ours, theirs)}

    from studio.notify.service import notify

    # A notification of each workspace's non-owner member (the viewer's, in ours): its page is theirs.
    told = {workspace.id: notify(next(m for m in workspace.memberships if m.role != "owner").user_id, "mention", "Hello",
                                 action_url="/", workspace_id=workspace.id).id for workspace in (ours, theirs)}

    def ids_in(workspace):
        invitation = next(i for i in db.session.query(Invitation).filter_by(workspace_id=workspace.id))
        membership = next(m for m in workspace.memberships if m.role != "owner")
        return {"invitation_id": invitation.id, "membership_id": membership.id, "token": "not-a-token",
                "notification_id": told[workspace.id], **made[workspace.id]}

    return {
        "ours": ours, "theirs": theirs, "viewer": viewer, "owner": owner_of(ours),
        "our_ids": ids_in(ours), "their_ids": ids_in(theirs), "stranger": stranger_editor,
    }


def make_connection_things(workspace):
    owner = owner_of(workspace)
    connection = make_connection(workspace)
    link = SocialLink(workspace_id=workspace.id, label="Site", url="https://example.com")
    pending = PendingConnection(workspace_id=workspace.id, user_id=owner.id, platform="facebook", payload="[]",
                                expires_at=utcnow() + timedelta(minutes=5))
    db.session.add_all([link, pending])
    db.session.commit()
    asset = make_asset(workspace, thumbnail_key=f"{workspace.id}/thumbs/t.jpg")
    for key in (asset.storage_key, asset.thumbnail_key):
        storage().save(key, io.BytesIO(b"bytes of " + key.encode()))
    post = make_post(workspace=workspace, author=owner, connections=[connection], message="Hello", status="draft")
    return {"connection_id": connection.id, "link_id": link.id, "pending_id": pending.id, "asset_id": asset.id,
            "post_id": post.id, "delivery_id": post.deliveries[0].id, **make_portal_things(workspace, owner),
            **make_content_things(workspace, owner, post), **make_storefront_things(workspace, owner)}


def make_storefront_things(workspace, owner):
    """A storefront with a service, an update, a showcase video with a comment, and a confirmed question."""
    from studio.storefront import inquiries, visitors

    make_storefront(workspace)
    service = make_service(workspace)
    update = make_update(workspace, owner)
    video = make_showcase_video(workspace)
    comment = visitors.add_comment(video, owner, "Lovely")
    inquiry = inquiries.ask(workspace, service, name="Dana", email=f"dana@{workspace.slug}.example", body="Price?", ip="192.0.2.1")
    inquiries.verify(inquiry)
    return {"service_id": service.id, "update_id": update.id, "video_id": video.id, "storefront_comment_id": comment.id,
            "inquiry_id": inquiry.id}


def make_content_things(workspace, owner, post):
    """A request with a version, a comment on it, and a step of the post's history."""
    from studio.content import comments, history

    request = make_request(workspace, owner)
    version = make_version(request, owner)
    comment = comments.add(request, owner, "Looks good")
    edit = history.record(post, "created", owner, new=post.message)
    db.session.commit()
    return {"request_id": request.id, "version_id": version.id, "comment_id": comment.id, "edit_id": edit.id}


def make_portal_things(workspace, owner):
    """A client with a thread (and a file in it) and a deliverable, for the portal's staff routes."""
    from studio.portal.models import Message, PortalFile
    from studio.portal.service import create_client

    client = create_client(workspace, "Client", f"client@{workspace.slug}.example")
    thread = make_thread(client=client, author=owner, subject="Welcome", body="Hello there")
    deliverable = make_deliverable(client=client, author=owner, title="Brand guide", body="Here it is")
    key = f"{workspace.id}/portal/file"
    storage().save(key, io.BytesIO(b"%PDF-1.4 a pdf"))
    portal_file = PortalFile(workspace_id=workspace.id, client_id=client.id, storage_key=key,
                             message_id=db.session.query(Message.id).filter_by(thread_id=thread.id).scalar(),
                             filename="guide.pdf", content_type="application/pdf", size_bytes=14)
    db.session.add(portal_file)
    db.session.commit()
    return {"client_id": client.id, "thread_id": thread.id, "deliverable_id": deliverable.id, "file_id": portal_file.id,
            **make_coach_things(workspace, client), **make_journey_things(workspace, client)}


def make_journey_things(workspace, client):
    """A program step, and the client's program started (an automation of theirs)."""
    from studio.journey.models import Automation
    from studio.journey.service import start_program

    step = make_step(workspace)
    start_program(client, utcnow().date(), "UTC")
    automation = db.session.query(Automation).filter_by(client_id=client.id).one()
    return {"step_id": step.id, "automation_id": automation.id}


def make_coach_things(workspace, client):
    """A coach conversation of the client's and a playbook article, for the coach's staff routes."""
    from studio.coach.models import CoachConversation

    article = make_article(workspace, "Month 1: Find your niche", "This month, focus on your niche.", 1)
    conversation = CoachConversation(workspace_id=workspace.id, client_id=client.id, title="What now?")
    db.session.add(conversation)
    db.session.commit()
    return {"conversation_id": conversation.id, "article_id": article.id}


def call(client, method, url, htmx=False):
    headers = {"HX-Request": "true", "HX-Current-URL": "http://localhost/w/ours/members"} if htmx else {}
    if method == "GET":
        return client.get(url, headers=headers)
    return client.open(url, method=method, data={"csrf_token": client.csrf_token()}, headers=headers)


def test_anonymous_visitors_are_sent_to_log_in_everywhere_but_the_public_pages(app, world):
    client = app.test_client()
    checked = 0
    for endpoint, method, rule in routes(app):
        if endpoint in PUBLIC_ENDPOINTS:
            continue
        url = url_for_rule(rule, world["ours"], world["our_ids"])
        if endpoint.startswith(TOKEN_PROTECTED_PREFIX):
            response = call(client, method, url)
            assert response.status_code == 401 and response.is_json, (method, url, response.status_code)
            continue
        response = call(client, method, url)
        assert response.status_code == 302, (method, url, response.status_code)
        assert response.headers["Location"].startswith("/login?next="), (method, url)
        response = call(client, method, url, htmx=True)
        assert response.status_code == 401, (method, url)
        assert response.headers["HX-Redirect"] == "/login?next=/w/ours/members", (method, url)
        assert response.get_data() == b"", "no log-in form is swapped into a fragment"
        checked += 1
    assert checked >= 10


def test_a_member_of_another_workspace_gets_404_on_every_workspace_route(app, world):
    client = app.test_client().log_in_as(world["stranger"])
    checked = 0
    for _endpoint, method, rule in routes(app):
        if "ws" not in rule.arguments:
            continue
        url = url_for_rule(rule, world["ours"], world["our_ids"])
        response = call(client, method, url)
        assert response.status_code == 404, (method, url, response.status_code)
        checked += 1
    assert checked >= 8


def test_ids_from_another_workspace_answer_404_even_inside_ones_own(app, world):
    """An owner of Ours who puts Theirs' ids into Ours' URLs reaches nothing."""
    client = app.test_client().log_in_as(world["owner"])
    checked = 0
    for _endpoint, method, rule in routes(app):
        if "ws" not in rule.arguments or not (set(rule.arguments) & set(world["their_ids"])):
            continue
        url = url_for_rule(rule, world["ours"], world["their_ids"])
        assert call(client, method, url).status_code == 404, (method, url)
        checked += 1
    assert checked >= 4


def test_a_viewer_gets_403_on_every_write(app, world):
    client = app.test_client().log_in_as(world["viewer"])
    checked = 0
    for endpoint, method, rule in routes(app):
        if "ws" not in rule.arguments or method not in WRITE_METHODS:
            continue
        view = app.view_functions[endpoint]
        assert getattr(view, "required_role", "viewer") != "viewer", f"{endpoint} must declare who may write"
        url = url_for_rule(rule, world["ours"], world["our_ids"])
        for htmx in (False, True):
            response = call(client, method, url, htmx=htmx)
            assert response.status_code == 403, (method, url, response.status_code)
        checked += 1
    assert checked >= 6


def test_a_viewer_reads_every_workspace_page(app, world):
    client = app.test_client().log_in_as(world["viewer"])
    for endpoint, method, rule in routes(app):
        if "ws" in rule.arguments and method == "GET":
            url = url_for_rule(rule, world["ours"], world["our_ids"])
            expected = 403 if hasattr(app.view_functions[endpoint], "required_role") else 200
            if endpoint in OPENS_AND_REDIRECTS:
                expected = 302
            assert client.get(url).status_code == expected, url


def test_a_member_of_two_workspaces_gets_each_ones_own_links(app):
    """Templates remember the links they build (web.template_url_for): by workspace, so a page of
    one never carries the other's."""
    first = make_workspace(name="First Studio")
    owner = owner_of(first)
    second = make_workspace(owner=owner, name="Second Studio")
    client = app.test_client().log_in_as(owner)
    for workspace in (first, second, first):
        page = client.text(f"/w/{workspace.slug}/calendar")
        assert f'href="/w/{workspace.slug}/posts/new"' in page
        other = second if workspace is first else first
        assert f"/w/{other.slug}/posts/new" not in page
