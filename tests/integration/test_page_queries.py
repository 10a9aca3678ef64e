"""Pages run the same number of queries however big the workspace is, and long lists page."""
from datetime import timedelta

from sqlalchemy import event

from studio.database import utcnow
from studio.extensions import db
from tests.factories import (
    add_member,
    make_asset,
    make_connection,
    make_workspace,
    owner_of,
)


def queries_for(client, url):
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return len(statements)


def test_workspace_pages_run_a_constant_number_of_queries(app):
    workspace = make_workspace()
    client = app.test_client().log_in_as(owner_of(workspace))
    urls = [f"/w/{workspace.slug}/", f"/w/{workspace.slug}/members", f"/w/{workspace.slug}/settings",
            f"/w/{workspace.slug}/connections", f"/w/{workspace.slug}/library/"]
    make_connection(workspace)
    small = [queries_for(client, url) for url in urls]
    for _ in range(25):
        add_member(workspace, "editor")
        make_connection(workspace)
        make_asset(workspace)
    assert [queries_for(client, url) for url in urls] == small


def test_the_members_list_pages_by_fifty(app):
    workspace = make_workspace()
    for _ in range(54):
        add_member(workspace, "viewer")
    client = app.test_client().log_in_as(owner_of(workspace))
    first = client.text(f"/w/{workspace.slug}/members")
    assert "55 members" in first and "Page 1 of 2" in first and first.count('id="member-') == 50
    second = client.text(f"/w/{workspace.slug}/members?page=2")
    assert second.count('id="member-') == 5


def test_the_library_grid_runs_the_same_queries_for_few_assets_and_many(app):
    """The grid, a search, each sort, the grid swapped alone and the next cards appended: as many
    queries with 3 assets as with 80 (light rows of one page at a time, counted in one query)."""
    from html import unescape
    from re import search

    workspace = make_workspace()
    client = app.test_client().log_in_as(owner_of(workspace))
    base = f"/w/{workspace.slug}/library/"
    urls = [base, f"{base}?q=clip", f"{base}?sort=title", f"{base}?q=clip&sort=largest", f"{base}?sort=longest",
            f"{base}?kind=video&sort=oldest"]

    def queries_for_htmx(client, url, headers):
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get(url, headers={"HX-Request": "true", **headers}).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    def counts():
        whole = [queries_for(client, url) for url in urls]
        grid = [queries_for_htmx(client, url, {"HX-Target": "library-grid"}) for url in urls]
        return whole, grid

    def next_cards(url):
        """The queries of the first "Load more" (the second page of cards, for htmx and without)."""
        more = unescape(search(r'class="load-more button" href="([^"]+)"', client.text(url)).group(1))
        return [queries_for_htmx(client, more, {}), queries_for(client, more)]

    for _ in range(3):
        make_asset(workspace)
    few = counts()
    for number in range(77):
        make_asset(workspace, kind="image" if number % 4 == 0 else "video",
                   status="processing" if number % 9 == 0 else "ready")
    assert counts() == few
    paged = [next_cards(url) for url in urls]
    assert paged == [[few[1][0] - 2, few[0][0]]] * len(urls)  # appended cards: no total, no usage


def test_the_inbox_pages_run_the_same_queries_for_few_threads_and_many(app, monkeypatch):
    """The staff inbox (its filters, its next page plain and with htmx, its badge), a thread and its
    poll, a client's page, and the client's own inbox, thread and badges: as many queries with two
    threads of one message as with many threads, messages, files and clients."""
    from datetime import timedelta

    from studio.database import utcnow
    from studio.portal import reading, service
    from studio.portal.models import PortalFile
    from studio.portal.shared_views import cursor_text
    from tests.factories import make_client, make_thread

    monkeypatch.setattr(reading, "PAGE_SIZE", 5)  # so that "many" runs past a page of threads and of messages
    def attach(message, name):
        db.session.add(PortalFile(workspace_id=workspace.id, client_id=message.thread.client_id, message_id=message.id,
                                  storage_key=f"files/{name}", filename=name, content_type="application/pdf", size_bytes=2048))
        db.session.commit()

    workspace = make_workspace()
    owner = owner_of(workspace)
    rosa = make_client(workspace, name="Rosa")
    thread = make_thread(client=rosa, author=rosa.user, subject="Launch", body="Hi")
    attach(service.add_message(thread, rosa.user, True, "The brief"), "brief.pdf")
    make_thread(client=rosa, author=owner, subject="Invoice", body="Attached")
    staff = app.test_client().log_in_as(owner)
    portal = app.test_client().log_in_as(rosa.user)
    later = cursor_text((utcnow() + timedelta(days=1), 10**9))
    inbox, mine = f"/w/{workspace.slug}/inbox", f"/portal/c/{rosa.id}"
    pages = [(staff, inbox, {}), (staff, f"{inbox}?unread=1", {}), (staff, f"{inbox}?q=launch", {}),
             (staff, f"{inbox}?client={rosa.id}&state=open", {}), (staff, f"{inbox}?before={later}", {}),
             (staff, f"{inbox}?before={later}", {"HX-Request": "true"}), (staff, f"{inbox}/badge", {}),
             (staff, f"{inbox}/{thread.id}", {}), (staff, f"{inbox}/{thread.id}/messages?after=1", {"HX-Request": "true"}),
             (staff, f"/w/{workspace.slug}/clients/{rosa.id}", {}),
             (portal, f"{mine}/inbox", {}), (portal, f"{mine}/inbox?before={later}", {"HX-Request": "true"}),
             (portal, f"{mine}/threads/{thread.id}", {}), (portal, f"{mine}/threads/{thread.id}/messages?after=1", {}),
             (portal, f"{mine}/badges", {})]

    def count(browser, url, headers):
        assert browser.get(url, headers=headers).status_code == 200, url  # the first look reads the thread: a write
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert browser.get(url, headers=headers).status_code == 200, url
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    def counts():
        return [count(browser, url, headers) for browser, url, headers in pages]

    few = counts()
    for number in range(30):
        client = make_client(workspace)
        other = make_thread(client=client, author=client.user, subject=f"Launch {number}", body="Hello")
        attach(service.add_message(other, owner, False, "Reply"), "notes.pdf")
    for number in range(12):
        note = service.add_message(thread, owner, False, f"Note {number}")
        attach(note, f"note-{number}.pdf")
        attach(note, f"more-{number}.pdf")
        service.add_message(thread, rosa.user, True, f"Answer {number}")
        make_thread(client=rosa, author=owner, subject=f"Update {number}", body="News")
    assert counts() == few


def test_the_calendar_runs_the_same_queries_for_few_posts_and_many(app):
    """The month (plain and with htmx, filtered), the week, the list, a day and the calendar's live
    poll: as many queries with one post as with 40 on one day and more across the month, to several
    accounts each."""
    import html
    import re
    from datetime import datetime, timedelta

    from tests.factories import make_post
    from tests.helpers import frozen_at

    with frozen_at("2026-11-01 09:00"):
        workspace = make_workspace()
        workspace.plan = "agency"  # more scheduled posts in a month than Starter allows
        owner = owner_of(workspace)
        accounts = [make_connection(workspace, username=f"account_{number}") for number in range(3)]
        client = app.test_client().log_in_as(owner)
        calendar = f"/w/{workspace.slug}/calendar"
        make_post(workspace=workspace, author=owner, connections=accounts[:1], message="One",
                  scheduled_at=datetime(2026, 11, 5, 8, 0))
        pages = [(f"{calendar}?month=2026-11", {}), (f"{calendar}?month=2026-11", {"HX-Request": "true"}),
                 (f"{calendar}?month=2026-11&platform=sandbox&connection={accounts[0].id}&status=scheduled", {}),
                 (f"{calendar}?view=week&week=2026-11-05", {}), (f"{calendar}?view=list&month=2026-11", {}),
                 (f"{calendar}?view=day&day=2026-11-05", {"HX-Request": "true"})]

        def count(url, headers):
            statements = []
            listener = lambda *args: statements.append(args[2])  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
            try:
                assert client.get(url, headers=headers).status_code in (200, 204), url
            finally:
                event.remove(db.engine, "before_cursor_execute", listener)
            return len(statements)

        def counts():
            watched = client.get(pages[0][0]).get_data(as_text=True)
            poll = html.unescape(re.search(r'<div id="poll-calendar"[^>]*hx-get="([^"]+)"', watched).group(1))
            return [count(url, headers) for url, headers in [*pages, (poll, {"HX-Request": "true"})]]

        few = counts()
        for number in range(39):  # 40 on the 5th
            make_post(workspace=workspace, author=owner, connections=accounts[: 1 + number % 3], message=f"Batch {number}",
                      scheduled_at=datetime(2026, 11, 5, 9, 0) + timedelta(minutes=5 * number))
        for day in range(6, 27):
            make_post(workspace=workspace, author=owner, connections=accounts, message=f"Day {day}",
                      scheduled_at=datetime(2026, 11, day, 12, 0))
        assert counts() == few


def test_the_community_topic_and_feed_run_the_same_queries_for_few_posts_and_many(app):
    """A topic page (its replies nested, some liked by the viewer, by many authors with their
    profiles; opened the first time, which records the visit, and again, which writes nothing) and a
    channel's feed (its first page and an older one, plain and with htmx): as many queries with 5
    replies and 3 topics as with 50 replies and 60 topics, for a member and for a moderator."""
    from datetime import timedelta
    from urllib.parse import quote

    from studio.community.members import profile_for
    from studio.community.models import Like, Reply, Topic, TopicRead
    from studio.database import utcnow
    from tests.factories import make_channel, make_client, make_community

    workspace, owner, general, alice, bob = make_community()
    authors = [owner, alice, bob] + [make_client(workspace, name=f"Writer {n}").user for n in range(5)]
    for person in authors:
        profile_for(workspace, person)
    now = utcnow()

    def topic_with(replies, channel):
        topic = Topic(workspace_id=workspace.id, channel_id=channel.id, author_id=bob.id, type="question", title="Reels?",
                      body="How?", body_html="<p>How?</p>", reply_count=replies, last_activity_at=now - timedelta(days=1))
        db.session.add(topic)
        db.session.flush()
        made = []
        for number in range(replies):
            # Every third reply answers the one before it, so the thread nests (deeper than it indents).
            parent = made[-1] if number % 3 and made else None
            reply = Reply(workspace_id=workspace.id, topic_id=topic.id, parent_id=parent.id if parent else None,
                          author_id=authors[number % len(authors)].id, body=f"Reply {number}",
                          body_html=f"<p>Reply {number}</p>", like_count=number % 2, created_at=now - timedelta(minutes=replies - number))
            db.session.add(reply)
            db.session.flush()
            made.append(reply)
            for viewer in (alice, owner):
                if number % 2 and reply.author_id != viewer.id:
                    db.session.add(Like(workspace_id=workspace.id, user_id=viewer.id, reply_id=reply.id))
        db.session.commit()
        return topic

    def feed_of(count):
        channel = make_channel(workspace, f"Feed {count}")
        for number in range(count):
            topic = Topic(workspace_id=workspace.id, channel_id=channel.id, author_id=authors[number % len(authors)].id,
                          title=f"Topic {number}", body="Hi", body_html="<p>Hi</p>", is_pinned=number == 0,
                          last_activity_at=now - timedelta(hours=number))
            db.session.add(topic)
            db.session.flush()
            if number % 2:
                db.session.add(TopicRead(topic_id=topic.id, user_id=alice.id, read_at=now - timedelta(hours=number, minutes=30)))
        db.session.commit()
        return channel

    def count(browser, url, headers=None):
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert browser.get(url, headers=headers or {}).status_code == 200, url
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    base = f"/community/{workspace.slug}"
    later = quote(f"0_{(now + timedelta(days=1)).isoformat()}_{10**9}")
    htmx = {"HX-Request": "true"}
    small, big = (topic_with(5, general), feed_of(3)), (topic_with(50, general), feed_of(60))

    def counts(browser, topic, channel):
        feed = f"{base}/ch/{channel.slug}"
        return [count(browser, f"{base}/t/{topic.id}"), count(browser, f"{base}/t/{topic.id}"),
                count(browser, feed), count(browser, feed, htmx), count(browser, f"{feed}?before={later}"),
                count(browser, f"{feed}?before={later}", htmx)]

    for viewer in (alice, owner):
        browser = app.test_client().log_in_as(viewer)
        assert counts(browser, *small) == counts(browser, *big), viewer.email


def test_coach_pages_run_the_same_queries_for_a_short_conversation_and_a_long_one(app):
    """The client's conversation and the staff's view of it, with 2 messages and with 80."""
    from studio.coach.models import CoachConversation, CoachMessage, Role
    from tests.factories import make_client

    workspace = make_workspace()
    client = make_client(workspace, name="Rosa Diaz")
    conversation = CoachConversation(workspace_id=workspace.id, client_id=client.id, title="Pricing")
    db.session.add(conversation)
    db.session.flush()

    def add_turns(count):
        for number in range(count):
            for role in (Role.USER, Role.ASSISTANT):
                db.session.add(CoachMessage(workspace_id=workspace.id, client_id=client.id, conversation_id=conversation.id,
                                            role=role, content=f"Turn {number}: **bold** words", source="playbook",
                                            details={"citations": [{"n": 1, "article_id": 1, "title": "Rates", "month": 6}]}))
        db.session.commit()

    portal = app.test_client().log_in_as(client.user)
    staff = app.test_client().log_in_as(owner_of(workspace))
    urls = [(portal, f"/portal/c/{client.id}/coach/{conversation.id}"), (portal, f"/portal/c/{client.id}/coach"),
            (staff, f"/w/{workspace.slug}/coach/conversations/{conversation.id}"), (staff, f"/w/{workspace.slug}/coach")]
    add_turns(1)
    queries_for(portal, urls[0][1])  # the first look makes the workspace's coach settings
    few = [queries_for(browser, url) for browser, url in urls]
    add_turns(40)
    assert [queries_for(browser, url) for browser, url in urls] == few


def test_the_analytics_page_runs_the_same_queries_for_one_post_and_many(app):
    """Read from aggregates and snapshots in a fixed handful of queries, whatever the history holds."""
    from datetime import timedelta

    from studio.analytics import history
    from studio.database import utcnow
    from studio.publishing.models import PublishedPost

    workspace = make_workspace()
    connection = make_connection(workspace)
    browser = app.test_client().log_in_as(owner_of(workspace))
    url = f"/w/{workspace.slug}/analytics?range=30"

    def add_posts(count):
        for number in range(count):
            post = PublishedPost(workspace_id=workspace.id, connection_id=connection.id, platform="sandbox",
                                 platform_post_id=f"p{count}-{number}", caption=f"Post {number}")
            db.session.add(post)
            db.session.flush()
            for days_ago in range(5):
                history.record_post_numbers(post, {"views": 100 * (5 - days_ago)}, now=utcnow() - timedelta(days=days_ago))
        history.record_account_stats(connection, {"followers": 1000 + count})
        db.session.commit()

    add_posts(1)
    few = queries_for(browser, url)
    add_posts(40)
    assert queries_for(browser, url) == few


def test_content_pages_run_the_same_queries_for_few_versions_comments_and_steps_and_many(app):
    """A request with its versions and comment thread, the requests list, the approvals queue, a
    post's page and its history, and the client's approvals: as many queries with 2 of each as
    with 30."""
    from studio.content import approvals, comments, history
    from tests.factories import make_client, make_post, make_request, make_version, require_approval

    workspace = require_approval(make_workspace(), "client")
    owner = owner_of(workspace)
    client = make_client(workspace)
    account = make_connection(workspace, client_id=client.id)
    request = make_request(workspace, owner, client=client)
    post = make_post(workspace=workspace, author=owner, connections=[account], status="draft", message="v0")
    staff = app.test_client().log_in_as(owner)
    portal = app.test_client().log_in_as(client.user)
    urls = [(staff, f"/w/{workspace.slug}/requests"), (staff, f"/w/{workspace.slug}/requests/{request.id}"),
            (staff, f"/w/{workspace.slug}/approvals"), (staff, f"/w/{workspace.slug}/posts/{post.id}"),
            (staff, f"/w/{workspace.slug}/posts/{post.id}/history"), (portal, f"/portal/c/{client.id}/approvals"),
            (portal, f"/portal/c/{client.id}/approvals/{post.id}"), (portal, f"/portal/c/{client.id}/requests/{request.id}")]

    def grow(count):
        for number in range(count):
            make_version(request, owner, text=f"Version {number}")
            parent = comments.add(request, owner, f"Thought {number}", quiet=True)
            comments.add(request, owner, f"Reply {number}", parent=parent, quiet=True)
            comments.add(post, owner, f"On the post {number}", internal=False, quiet=True)
            history.edit_post(post, post.version, f"v{number + 1} words", owner, f"take {number}")
            other = make_post(workspace=workspace, author=owner, connections=[account], status="draft", message=f"Other {number}")
            approvals.approve_for_team(other, owner)
            make_request(workspace, owner, title=f"Request {number}", client=client)

    grow(2)
    approvals.approve_for_team(post, owner)
    for who, url in urls:  # the first visit makes the workspace's coach settings (is a model set up?)
        queries_for(who, url)
    small = [queries_for(who, url) for who, url in urls]
    grow(28)
    approvals.request_changes(post, owner, "again")
    approvals.approve_for_team(post, owner)
    assert [queries_for(who, url) for who, url in urls] == small


def test_journey_pages_run_the_same_queries_for_a_short_program_and_a_long_one(app):
    """The program's steps, a client's program (timeline with its log) and the client's own
    journey: as many queries with 2 steps as with 40, each run and logged."""
    from studio.journey import runner, service
    from tests.factories import make_client, make_step

    workspace = make_workspace()
    client = make_client(workspace)
    staff = app.test_client().log_in_as(owner_of(workspace))
    portal = app.test_client().log_in_as(client.user)
    urls = [(staff, f"/w/{workspace.slug}/program"), (staff, f"/w/{workspace.slug}/clients/{client.id}/journey"),
            (portal, f"/portal/c/{client.id}/journey")]

    def grow(count, month):
        for number in range(count):
            make_step(workspace, month=month, day_offset=number % 28, title=f"Step {number}")
        service.start_program(client, client.program_start or utcnow().date() - timedelta(days=40), "UTC")
        runner.run_due(limit=500)

    grow(2, 1)
    for who, url in urls:  # warm up (the first visit makes nothing here, but keep the pattern)
        queries_for(who, url)
    small = [queries_for(who, url) for who, url in urls]
    grow(38, 2)
    assert [queries_for(who, url) for who, url in urls] == small


def test_storefront_pages_run_the_same_queries_for_a_small_maker_and_a_big_one(app):
    """The public page, its lists and an item (for a visitor and for someone logged in), and the
    team's Storefront tabs: as many queries with 2 of everything as with 30."""
    from studio.storefront import inquiries, visitors
    from tests.factories import make_service, make_showcase_video, make_storefront, make_update

    app.config.update(STOREFRONT_COMMENTS_PER_WINDOW=(1000, 10), STOREFRONT_INQUIRIES_PER_WINDOW={"email": (1000, 60), "ip": (1000, 60)})
    workspace = make_workspace()
    owner = owner_of(workspace)
    make_storefront(workspace)
    staff = app.test_client().log_in_as(owner)
    visitor = app.test_client()
    first = {}

    def grow(count):
        for number in range(count):
            service = make_service(workspace, f"Service {number}")
            update = make_update(workspace, owner, f"Update {number}")
            video = make_showcase_video(workspace)
            first.setdefault("update", update.id)
            first.setdefault("video", video.id)
            visitors.set_like(update, owner, True)
            visitors.add_comment(update, owner, f"Comment {count}-{number}")
            visitors.add_comment(video, owner, f"On the video {count}-{number}")
            question = inquiries.ask(workspace, service, name="Dana", email=f"dana{count}-{number}@example.com", body="Price?",
                                     ip=f"192.0.2.{number}")
            inquiries.verify(question)
            first.setdefault("question", question.id)

    grow(2)
    slug = workspace.slug
    public = [f"/@{slug}", f"/@{slug}/updates", f"/@{slug}/videos", f"/@{slug}/updates/{first['update']}",
              f"/@{slug}/videos/{first['video']}"]
    studio = [f"/w/{slug}/storefront", f"/w/{slug}/storefront/services", f"/w/{slug}/storefront/updates",
              f"/w/{slug}/storefront/showcase", f"/w/{slug}/storefront/comments", f"/w/{slug}/storefront/questions",
              f"/w/{slug}/storefront/questions/{first['question']}"]
    pages = [(visitor, url) for url in public] + [(staff, url) for url in public + studio]
    for who, url in pages:
        queries_for(who, url)
    small = [queries_for(who, url) for who, url in pages]
    grow(28)
    assert [queries_for(who, url) for who, url in pages] == small
