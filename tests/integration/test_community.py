"""The community as members use it: posting where the rules allow, Markdown made safe, nested
replies, likes and bookmarks, solved questions, mentions, hidden posts, reports, search, direct
messages, events with capacity, profiles, points, badges and anti-spam."""
import re
import threading
from datetime import datetime, timedelta

import pytest

from studio.community import events, members, messages, moderation, posting, reading, search, threads
from studio.community.models import Event, EventRSVP, Like, MemberProfile, Reply, Topic
from studio.database import utcnow
from studio.extensions import db
from studio.notify.models import Notification
from studio.refusal import Refused
from tests.factories import (
    add_member,
    make_channel,
    make_client,
    make_community,
    make_event,
    make_topic,
    make_workspace,
    owner_of,
)
from tests.helpers import errors_next_to, frozen_at


@pytest.fixture
def community():
    return make_community()


def base(workspace):
    return f"/community/{workspace.slug}"


@frozen_at("2029-12-01 09:00")
def test_every_page_renders_for_a_member_and_a_moderator(app, community):
    workspace, owner, general, alice, bob = community
    topic = make_topic(channel=general, author=alice, type_="question", title="How do I film B-roll?", body="Any **tips**?")
    reply = posting.add_reply(workspace, topic, bob, "member", "Use a gimbal.")
    event = make_event(workspace=workspace, author=owner, title="Hot seat", description="Bring a question", type_="hotseat",
                       starts_at=datetime(2030, 1, 5, 18), timezone="Europe/Berlin", meeting_url="https://meet.example/x",
                       capacity=10)
    messages.send_dm(workspace, alice, bob, "Hi Bob")
    moderation.report(workspace, bob, "Off topic", topic=topic)
    pages = ["/", f"/ch/{general.slug}", f"/ch/{general.slug}/new", f"/t/{topic.id}", f"/t/{topic.id}/edit",
             f"/t/{topic.id}/report", "/search?q=gimbal", "/bookmarks", "/leaderboard?period=all",
             "/notifications", "/u/alice_moon", "/profile", "/messages", "/messages/bob_stone", "/events",
             f"/events/{event.id}", f"/events/{event.id}.ics"]
    alice_client = app.test_client().log_in_as(alice)
    for path in pages:
        response = alice_client.get(base(workspace) + path)
        assert response.status_code == 200, (path, response.status_code)
    moderator = app.test_client().log_in_as(owner)
    for path in ("/moderation", "/events/new", f"/t/{topic.id}", f"/r/{reply.id}/edit"):
        assert moderator.get(base(workspace) + path).status_code == 200, path
    assert alice_client.get(base(workspace) + "/moderation").status_code == 403
    assert 'aria-label="Portal"' in alice_client.text(base(workspace) + "/"), "a client keeps the portal's navigation"
    assert 'aria-label="Workspace"' in moderator.text(base(workspace) + "/")


def test_markdown_is_rendered_and_made_safe(app, community):
    workspace, owner, general, alice, bob = community
    topic = make_topic(channel=general, author=alice, title="Formatting",
                       body="**bold** <script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror=alert(3)>")
    assert "<strong>bold</strong>" in topic.body_html
    assert "<script" not in topic.body_html and 'href="javascript' not in topic.body_html and "<img" not in topic.body_html
    assert "&lt;script&gt;" in topic.body_html


def test_announcements_take_posts_from_the_team_only_and_archived_channels_none(app, community):
    workspace, owner, general, alice, bob = community
    news = make_channel(workspace, "News", "announcement")
    old = make_channel(workspace, "Old", archived=True)
    client = app.test_client().log_in_as(alice)
    response = client.submit(f"{base(workspace)}/ch/{news.slug}/new", {"type": "text", "title": "Hello all", "body": "Hi"})
    assert response.status_code == 422 and "Only the team posts in announcement channels" in response.get_data(as_text=True)
    response = client.submit(f"{base(workspace)}/ch/{old.slug}/new", {"type": "text", "title": "Hello all", "body": "Hi"})
    assert response.status_code == 422 and "This channel is archived" in response.get_data(as_text=True)
    assert db.session.query(Topic).count() == 0
    team = app.test_client().log_in_as(owner)
    assert team.submit(f"{base(workspace)}/ch/{news.slug}/new", {"type": "text", "title": "Welcome", "body": "Hi all"}).status_code == 303
    announcement = db.session.query(Topic).one()
    assert client.submit(f"{base(workspace)}/t/{announcement.id}/reply", {"body": "Thanks!"}).status_code == 303, \
        "members reply to announcements"
    with pytest.raises(Refused, match="archived"):
        posting.create_topic(workspace, owner, "moderator", old, "text", "Revive", "No")


def test_hidden_posts_are_invisible_to_other_members_but_not_to_the_author_or_moderators(app, community):
    workspace, owner, general, alice, bob = community
    topic = make_topic(channel=general, author=alice, title="Oops, wrong place", body="Hiding this")
    moderation.set_hidden(topic, alice, "member", True)
    url = f"{base(workspace)}/t/{topic.id}"
    assert app.test_client().log_in_as(bob).get(url).status_code == 404
    assert "Oops, wrong place" not in app.test_client().log_in_as(bob).text(f"{base(workspace)}/ch/{general.slug}")
    assert search.search(workspace, "hiding", bob, "member") == []
    assert app.test_client().log_in_as(alice).get(url).status_code == 200
    assert "hidden from members" in app.test_client().log_in_as(owner).text(url)
    with pytest.raises(Refused):
        moderation.set_hidden(topic, bob, "member", False)


def test_direct_messages_respect_the_recipients_choice(app, community):
    workspace, owner, general, alice, bob = community
    bob_profile = members.profile_for(workspace, bob)
    bob_profile.allow_dms = False
    db.session.commit()
    response = app.test_client().log_in_as(alice).submit(f"{base(workspace)}/messages/{bob_profile.username}", {"body": "Hey"})
    assert response.status_code == 422
    assert f"@{bob_profile.username} does not accept direct messages." in response.get_data(as_text=True)
    bob_profile.allow_dms = True
    db.session.commit()
    assert app.test_client().log_in_as(alice).submit(f"{base(workspace)}/messages/{bob_profile.username}",
                                                     {"body": "Hey **Bob**"}).status_code == 303
    [(conversation, other, unread, username)] = messages.conversations(workspace, bob)
    assert other.id == alice.id and unread == 1 and username == "alice_moon"
    assert messages.unread_dm_count(workspace, bob) == 1 and messages.unread_dm_count(workspace, alice) == 0
    assert '1 unread' in app.test_client().log_in_as(bob).text(f"{base(workspace)}/")
    page = app.test_client().log_in_as(bob).text(f"{base(workspace)}/messages/alice_moon")
    assert "<strong>Bob</strong>" in page
    assert messages.conversations(workspace, bob)[0][2] == 0, "reading the conversation reads it"


@frozen_at("2029-12-01 09:00")
def test_an_event_with_two_places_takes_two_and_refuses_the_third(app, community):
    workspace, owner, general, alice, bob = community
    carol = make_client(workspace, name="Carol").user
    event = make_event(workspace=workspace, author=owner, title="Coworking", type_="coworking",
                       starts_at=datetime(2030, 3, 1, 10), ends_at=datetime(2030, 3, 1, 12), timezone="America/New_York",
                       meeting_url="https://meet.example/cowork", capacity=2)
    url = f"{base(workspace)}/events/{event.id}"
    for person in (alice, bob):
        client = app.test_client().log_in_as(person)
        client.submit(f"{url}/rsvp", {"status": "going"})
        assert "https://meet.example/cowork" in client.text(url), "the link shows to those going"
    third = app.test_client().log_in_as(carol)
    third.submit(f"{url}/rsvp", {"status": "going"})
    page = third.text(url)
    assert "“Coworking” is full: all 2 places are taken." in page
    assert "https://meet.example/cowork" not in page, "and stays hidden from those not going"
    db.session.refresh(event)
    assert event.going_count == 2 and db.session.query(EventRSVP).filter_by(status="going").count() == 2
    app.test_client().log_in_as(bob).submit(f"{url}/rsvp", {"status": "not_going"})
    third.submit(f"{url}/rsvp", {"status": "going"})
    db.session.refresh(event)
    assert event.going_count == 2 and events.rsvp_of(event, carol).status == "going"


@frozen_at("2029-12-01 09:00")
def test_event_times_show_in_the_viewers_zone_and_the_ics_carries_the_events_zone(app, community):
    workspace, owner, general, alice, bob = community
    alice.timezone = "Asia/Tokyo"
    db.session.commit()
    event = make_event(workspace=workspace, author=owner, title="Panel", type_="panel", starts_at=datetime(2030, 6, 1, 18),
                       timezone="Europe/Berlin")
    client = app.test_client().log_in_as(alice)
    assert "2 Jun 2030, 01:00" in client.text(f"{base(workspace)}/events/{event.id}")
    ics = client.get(f"{base(workspace)}/events/{event.id}.ics").get_data(as_text=True)
    assert "DTSTART;TZID=Europe/Berlin:20300601T180000" in ics and "SUMMARY:Panel" in ics


def test_an_event_in_the_past_is_refused_beside_its_date(app, community):
    workspace, owner, general, alice, bob = community
    last_week = (utcnow() - timedelta(days=7)).strftime("%Y-%m-%d")
    response = app.test_client().log_in_as(owner).submit(f"{base(workspace)}/events/new", {
        "title": "Missed it", "type": "panel", "date": last_week, "starts_time": "18:00", "ends_time": "19:00",
        "timezone": "UTC"})
    assert response.status_code == 422
    assert errors_next_to(response.get_data(as_text=True), "date")[0].startswith("That time has already passed.")
    assert db.session.query(Event).count() == 0


def test_event_reminders_reach_those_going_once(app, community):
    workspace, owner, general, alice, bob = community
    soon = datetime.now() + timedelta(minutes=30)
    event = make_event(workspace=workspace, author=owner, title="Coaching", type_="coaching", starts_at=soon)
    events.rsvp(event, alice, "going")
    events.rsvp(event, bob, "not_going")
    assert events.send_event_reminders() == 1
    assert events.send_event_reminders() == 0
    [notice] = db.session.query(Notification).filter_by(type="event_reminder").all()
    assert notice.user_id == alice.id


def test_solved_questions_points_badges_and_leaderboard(app, community):
    workspace, owner, general, alice, bob = community
    question = make_topic(channel=general, author=alice, type_="question", title="Best mic?", body="Under $100")
    answer = posting.add_reply(workspace, question, bob, "member", "The Rode PodMic.")
    with pytest.raises(Refused, match="Only the person who asked"):
        moderation.mark_helpful(workspace, question, answer, bob, "member")
    moderation.mark_helpful(workspace, question, answer, alice, "member")
    posting.set_like(workspace, alice, True, reply=answer)
    db.session.refresh(question)
    assert question.is_solved
    profiles = {p.user_id: p for p in db.session.query(MemberProfile).all()}
    assert profiles[alice.id].points == 5 and profiles[bob.id].points == 2 + 10 + 1
    assert {b["key"] for b in profiles[alice.id].badges} == {"first-post"}
    assert {b["key"] for b in profiles[bob.id].badges} == {"helpful"}
    assert members.leaderboard(workspace, "week") == [("bob_stone", 13), ("alice_moon", 5)]
    assert members.leaderboard(workspace, "all")[0] == ("bob_stone", 13)
    page = app.test_client().log_in_as(bob).text(f"{base(workspace)}/t/{question.id}")
    assert "✓ solved" in page and "✓ helpful answer" in page


def test_likes_toggle_once_per_member_and_not_on_your_own_post(app, community):
    workspace, owner, general, alice, bob = community
    topic = make_topic(channel=general, author=alice, title="Hello", body="First post")
    client = app.test_client().log_in_as(bob)
    html = client.submit(f"{base(workspace)}/t/{topic.id}/like", {"liked": "1"}, htmx=True).get_data(as_text=True)
    assert 'aria-pressed="true"' in html and '<span class="like-count">1</span>' in html
    assert 'name="liked" value="0"' in html, "the button now offers to unlike"
    html = client.submit(f"{base(workspace)}/t/{topic.id}/like", {"liked": "1"}, htmx=True).get_data(as_text=True)
    assert '<span class="like-count">1</span>' in html, "a second click of the same button changes nothing"
    html = client.submit(f"{base(workspace)}/t/{topic.id}/like", {"liked": "0"}, htmx=True).get_data(as_text=True)
    assert 'aria-pressed="false"' in html and '<span class="like-count">0</span>' in html
    with pytest.raises(Refused):
        posting.set_like(workspace, alice, True, topic=topic)
    assert db.session.query(Like).count() == 0


def test_two_concurrent_likes_by_one_member_count_once(app, community):
    """Two requests at the same moment, each in its own connection: the database's unique
    constraint lets one row in, and only that request adds to the count."""
    workspace, owner, general, alice, bob = community
    topic = make_topic(channel=general, author=alice, title="Race", body="Like me twice")
    ids = (workspace.id, topic.id, bob.id)
    start = threading.Barrier(2)
    outcomes = []

    def like_once():
        with app.app_context():
            from studio.accounts.models import User, Workspace

            space, item, person = db.session.get(Workspace, ids[0]), db.session.get(Topic, ids[1]), db.session.get(User, ids[2])
            start.wait()
            outcomes.append(posting.set_like(space, person, True, topic=item))
            db.session.remove()

    workers = [threading.Thread(target=like_once) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    db.session.expire_all()
    assert [liked for liked, _ in outcomes] == [True, True]
    assert db.session.query(Like).filter_by(topic_id=topic.id).count() == 1
    assert db.session.get(Topic, topic.id).like_count == 1
    assert db.session.get(MemberProfile, members.profile_for(workspace, alice).id).points == 5 + 1, "one point, not two"


def test_mentions_notify_and_link_to_the_member(app, community, outbox):
    workspace, owner, general, alice, bob = community
    topic = make_topic(channel=general, author=alice, type_="question", title="Lighting?", body="Ring light or softbox?")
    reply = posting.add_reply(workspace, topic, bob, "member", "Softbox, @alice_moon, and ask @nobody_here")
    assert f'<a href="/community/{workspace.slug}/u/alice_moon"' in reply.body_html and "@nobody_here" in reply.body_html
    [notice] = db.session.query(Notification).filter_by(type="mention").all()
    assert notice.user_id == alice.id and notice.action_url.endswith(f"/t/{topic.id}?reply={reply.id}#reply-{reply.id}")
    [mail] = outbox.to(alice.email)
    assert mail["Subject"] == "Bob Stone mentioned you in “Lighting?”"
    profile = members.profile_for(workspace, alice)
    profile.email_notifications = False
    db.session.commit()
    posting.add_reply(workspace, topic, bob, "member", "Also @alice_moon, try bouncing light off a wall")
    assert len(outbox.to(alice.email)) == 1, "no e-mail once she turned them off"
    assert db.session.query(Notification).filter_by(type="mention").count() == 2, "the in-app one still comes"


def test_nested_replies_show_as_a_thread(app, community):
    workspace, owner, general, alice, bob = community
    topic = make_topic(channel=general, author=alice, title="Thread", body="Start")
    first = posting.add_reply(workspace, topic, bob, "member", "Level one")
    second = posting.add_reply(workspace, topic, alice, "member", "Level two", parent=first)
    roots = threads.thread_shape(topic.id, alice, "member")
    assert [r.id for r in roots] == [first.id] and [c.id for c in roots[0].children] == [second.id]
    shown = threads.replies_of(threads.thread_part(roots), alice)
    assert [(row.id, row.depth) for row in shown] == [(first.id, 0), (second.id, 1)] and "Level two" in shown[1].body_html
    html = app.test_client().log_in_as(alice).text(f"{base(workspace)}/t/{topic.id}")
    assert re.search(rf'id="children-{first.id}">\s*<article class="reply depth-1', html)

    # Deeper, and back up: each reply sits in its parent's children, a new thread at the top.
    third = posting.add_reply(workspace, topic, bob, "member", "Level three", parent=second)
    sibling = posting.add_reply(workspace, topic, bob, "member", "Level two again", parent=first)
    fresh = posting.add_reply(workspace, topic, alice, "member", "Another thread")
    html = app.test_client().log_in_as(bob).text(f"{base(workspace)}/t/{topic.id}")
    assert where_each_reply_sits(html) == {first.id: "replies", second.id: f"children-{first.id}",
                                           third.id: f"children-{second.id}", sibling.id: f"children-{first.id}",
                                           fresh.id: "replies"}


def where_each_reply_sits(html):
    """{reply id: the id of the element holding its article} as a browser would nest the page."""
    from html.parser import HTMLParser

    class Nesting(HTMLParser):
        def __init__(self):
            super().__init__()
            self.open, self.found = [], {}

        def handle_starttag(self, tag, attrs):
            if tag in ("input", "meta", "link", "br", "img"):
                return
            element = dict(attrs).get("id") or ""
            if tag == "article" and element.startswith("reply-"):
                self.found[int(element.removeprefix("reply-"))] = next(
                    name for name in reversed(self.open) if name == "replies" or name.startswith("children-"))
            self.open.append(element)

        def handle_endtag(self, tag):
            if tag not in ("input", "meta", "link", "br", "img"):
                self.open.pop()

    parser = Nesting()
    parser.feed(html)
    return parser.found


def test_an_inline_reply_arrives_with_the_counter_out_of_band(app, community):
    workspace, owner, general, alice, bob = community
    topic = make_topic(channel=general, author=alice, title="Inline", body="Start")
    first = posting.add_reply(workspace, topic, bob, "member", "Top")
    html = app.test_client().log_in_as(alice).submit(f"{base(workspace)}/t/{topic.id}/reply",
                                                     {"body": "Nested answer", "parent_id": first.id}, htmx=True).get_data(as_text=True)
    assert f'hx-swap-oob="beforeend:#children-{first.id}"' in html and "Nested answer" in html
    assert '<span id="reply-count" hx-swap-oob="true">2 replies</span>' in html


def test_edits_keep_a_short_history(app, community):
    workspace, owner, general, alice, bob = community
    topic = make_topic(channel=general, author=alice, title="Draft", body="Version one")
    client = app.test_client().log_in_as(alice)
    client.submit(f"{base(workspace)}/t/{topic.id}/edit", {"title": "Final", "body": "Version two"})
    page = client.text(f"{base(workspace)}/t/{topic.id}")
    assert "Version two" in page and "Edit history (1)" in page and "Version one" in page
    assert app.test_client().log_in_as(bob).get(f"{base(workspace)}/t/{topic.id}/edit").status_code == 403


def test_reports_reach_the_moderation_queue_and_hiding_resolves_them(app, community):
    workspace, owner, general, alice, bob = community
    topic = make_topic(channel=general, author=alice, title="Buy followers cheap", body="Spam")
    app.test_client().log_in_as(bob).submit(f"{base(workspace)}/t/{topic.id}/report", {"reason": "Spam"})
    team = app.test_client().log_in_as(owner)
    queue = team.text(f"{base(workspace)}/moderation")
    assert "Spam" in queue
    [report] = moderation.open_reports(workspace)
    team.submit(f"{base(workspace)}/moderation/{report.id}", {"action": "hide"})
    db.session.refresh(topic)
    assert topic.is_hidden and moderation.open_reports(workspace) == []


def test_search_finds_posts_and_replies(app, community):
    workspace, owner, general, alice, bob = community
    topic = make_topic(channel=general, author=alice, type_="question", title="Editing software",
                       body="Which editor for reels?")
    posting.add_reply(workspace, topic, bob, "member", "CapCut is quick for vertical edits.")
    results = search.search(workspace, "capcut vertical", alice, "member")
    assert [(r["kind"], r["topic"].id) for r in results] == [("reply", topic.id)]
    assert search.search(workspace, "editor", alice, "member")[0]["topic"].id == topic.id
    other = make_workspace(name="Elsewhere")
    assert search.search(other, "capcut", owner, "moderator") == [], "one community's posts stay in it"
    page = app.test_client().log_in_as(alice).text(f"{base(workspace)}/search?q=capcut")
    assert "1 result for “capcut”" in page


def test_unread_markers_follow_what_a_member_has_read(app, community):
    workspace, owner, general, alice, bob = community
    topic = make_topic(channel=general, author=alice, title="Fresh", body="News")
    assert reading.unread_by_channel(workspace, bob, "member") == {general.id: 1}
    assert reading.unread_by_channel(workspace, alice, "member") == {}, "your own post is read"
    app.test_client().log_in_as(bob).text(f"{base(workspace)}/t/{topic.id}")
    assert reading.unread_by_channel(workspace, bob, "member") == {}
    posting.add_reply(workspace, topic, alice, "member", "Update!")
    assert reading.unread_by_channel(workspace, bob, "member") == {general.id: 1}, "a new reply makes it new again"
    db.session.refresh(topic)
    assert topic.view_count == 1


def test_the_feed_loads_more_as_you_scroll(app, community):
    workspace, owner, general, alice, bob = community
    for number in range(30):
        topic = make_topic(channel=general, author=owner, title=f"Topic {number:02d}", body=f"Body {number}")
        topic.last_activity_at = utcnow() - timedelta(minutes=number)
    db.session.commit()
    client = app.test_client().log_in_as(alice)
    page = client.text(f"{base(workspace)}/ch/{general.slug}")
    assert page.count('class="topic-row') == 25 and 'hx-trigger="revealed"' in page
    cursor = re.search(r'before=([^"&]+)"', page).group(1)
    more = client.htmx_get(f"{base(workspace)}/ch/{general.slug}?before={cursor}").get_data(as_text=True)
    assert more.count('class="topic-row') == 5 and "Topic 29" in more and "revealed" not in more


def test_a_click_on_older_topics_loads_the_whole_older_page(app, community):
    """The link is boosted (htmx fetches a whole page to swap the body): it gets the page, with its
    title and navigation, not the bare rows the scroll fetches."""
    workspace, owner, general, alice, bob = community
    for number in range(30):
        topic = make_topic(channel=general, author=owner, title=f"Topic {number:02d}", body=f"Body {number}")
        topic.last_activity_at = utcnow() - timedelta(minutes=number)
    db.session.commit()
    client = app.test_client().log_in_as(alice)
    cursor = re.search(r'before=([^"&]+)"', client.text(f"{base(workspace)}/ch/{general.slug}")).group(1)
    older = client.htmx_get(f"{base(workspace)}/ch/{general.slug}?before={cursor}", **{"HX-Boosted": "true"})
    html = older.get_data(as_text=True)
    assert older.status_code == 200 and "<title>#General · Community · Studio</title>" in html
    assert 'aria-label="Portal"' in html and 'aria-label="Community"' in html
    assert html.count('class="topic-row') == 5 and "Topic 29" in html


def test_a_revisit_of_the_feed_is_answered_304_until_something_on_it_changes(app, community):
    """The first page of a feed carries an ETag: a browser's revisit that sends it back is answered
    304 with nothing rendered, until a topic comes, the member reads one, a count changes; each
    member's page is their own, and a message waiting to be flashed is shown."""
    workspace, owner, general, alice, bob = community
    topic = make_topic(channel=general, author=bob, title="First light", body="Hello")
    client = app.test_client().log_in_as(alice)
    feed = f"{base(workspace)}/ch/{general.slug}"

    first = client.get(feed)
    tag = first.headers["ETag"]
    assert first.status_code == 200 and first.headers["Cache-Control"] == "private, no-cache" and "First light" in first.text
    again = client.get(feed, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == tag

    make_topic(channel=general, author=bob, title="Second light", body="More")
    fresh = client.get(feed, headers={"If-None-Match": tag})
    assert fresh.status_code == 200 and "Second light" in fresh.text and fresh.text.count('class="dot"') == 2
    tag = fresh.headers["ETag"]
    assert client.get(feed, headers={"If-None-Match": tag}).status_code == 304

    client.text(f"{base(workspace)}/t/{topic.id}")  # she reads the first one: it is new to her no more
    read = client.get(feed, headers={"If-None-Match": tag})
    assert read.status_code == 200 and read.text.count('class="dot"') == 1
    tag = read.headers["ETag"]

    posting.set_like(workspace, owner, True, topic=topic)
    liked = client.get(feed, headers={"If-None-Match": tag})
    assert liked.status_code == 200 and "1 like ·" in liked.text
    tag = liked.headers["ETag"]

    assert app.test_client().log_in_as(bob).get(feed, headers={"If-None-Match": tag}).status_code == 200, "her page, not his"
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Welcome back.")]
    assert "Welcome back." in client.get(feed, headers={"If-None-Match": tag}).text
    assert client.get(feed, headers={"If-None-Match": tag}).status_code == 304
    older = client.get(f"{feed}?before=0_2030-01-01T00:00:00%2B00:00_{10**9}")
    assert older.status_code == 200 and "ETag" not in older.headers, "only the first page is the same for a while"


def test_a_members_reloads_of_a_topic_count_one_view_an_hour_and_again_when_something_is_new(app, community):
    workspace, owner, general, alice, bob = community
    with frozen_at("2030-03-01 09:00") as clock:
        topic = make_topic(channel=general, author=alice, title="Views", body="Count me")
        reader = app.test_client().log_in_as(bob)
        page = f"{base(workspace)}/t/{topic.id}"
        assert "1 view" in reader.text(page) and "1 view" in reader.text(page)
        posting.add_reply(workspace, topic, alice, "member", "Something new")
        assert "2 views" in reader.text(page) and "2 views" in reader.text(page)
        clock.shift(timedelta(minutes=61))
        assert "3 views" in reader.text(page)
    assert reading.unread_by_channel(workspace, bob, "member") == {}


def test_a_topic_pages_reply_links_are_the_routes_own_and_its_times_the_viewers(app, community):
    """The thread builds its links from prefixes and its times from one time zone: the same as
    url_for and the app's localdatetime filter give."""
    from flask import url_for
    from flask_login import login_user

    workspace, owner, general, alice, bob = community
    question = make_topic(channel=general, author=bob, type_="question", title="Softbox?", body="Which one?")
    reply = posting.add_reply(workspace, question, alice, "member", "The round one.")
    owner.timezone = "America/New_York"
    db.session.commit()
    client = app.test_client().log_in_as(owner)
    page = client.text(f"{base(workspace)}/t/{question.id}")
    article = page.split(f'id="reply-{reply.id}"', 1)[1].split("</article>", 1)[0]
    with app.test_request_context():
        login_user(owner)
        space = dict(space=workspace.slug)
        actions_url = url_for("community.reply_actions", reply_id=reply.id, **space)
        links = [f'href="{url_for("community.profile", username="alice_moon", **space)}"',
                 f'action="{url_for("community.like_reply", reply_id=reply.id, **space)}"',
                 f'href="{url_for("community.topic", topic_id=question.id, parent=reply.id, **space)}#reply-form"',
                 f'hx-get="{url_for("community.reply_form", topic_id=question.id, parent=reply.id, **space)}"',
                 f'href="{actions_url}"', f'hx-get="{actions_url}"']
        actions = [f'action="{url_for("community.helpful", reply_id=reply.id, **space)}"',
                   f'href="{url_for("community.edit_reply", reply_id=reply.id, **space)}"',
                   f'action="{url_for("community.hide_reply", reply_id=reply.id, **space)}"',
                   f'href="{url_for("community.report_reply", reply_id=reply.id, **space)}"']
        when = app.jinja_env.filters["localdatetime"](reply.created_at)
    assert [link for link in links if link not in article] == []
    menu = client.get(actions_url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert [link for link in actions if link not in menu] == []
    assert when.endswith(("EST", "EDT")) and when in article


def test_a_reply_and_a_feed_row_escape_what_members_wrote_whatever_the_profile_holds(app, community):
    """A reply is written in Python (views/reply_html.py), not by an autoescaping template: what a
    member wrote in it besides the sanitised body, their username, is escaped there, even one that
    slipped past the form's rules."""
    workspace, owner, general, alice, bob = community
    topic = make_topic(channel=general, author=alice, title="Names", body="Hello")
    posting.add_reply(workspace, topic, bob, "member", "Hi")
    profile = members.profile_for(workspace, bob)
    profile.username = '<b>x</b>"onmouseover="alert(1)'
    db.session.commit()
    page = app.test_client().log_in_as(alice).text(f"{base(workspace)}/t/{topic.id}")
    assert "<b>x</b>" not in page and '"onmouseover="' not in page
    assert "@&lt;b&gt;x&lt;/b&gt;&#34;onmouseover=&#34;alert(1)" in page
    # So is the feed's row: its title and its author's name.
    make_topic(channel=general, author=bob, title="<i>Tags</i> & more", body="Tags in titles")
    feed = app.test_client().log_in_as(alice).text(f"{base(workspace)}/ch/{general.slug}")
    assert "<i>Tags</i>" not in feed and "&lt;i&gt;Tags&lt;/i&gt; &amp; more" in feed
    assert "<b>x</b>" not in feed and "@&lt;b&gt;x&lt;/b&gt;" in feed


def test_a_topics_files_show_on_its_page(app, community):
    from studio.community.models import CommunityFile

    workspace, owner, general, alice, bob = community
    plain = make_topic(channel=general, author=alice, title="No files", body="Words only")
    brief = make_topic(channel=general, author=alice, title="A brief", body="Attached")
    db.session.add(CommunityFile(workspace_id=workspace.id, topic_id=brief.id, storage_key="x/brief", filename="brief.pdf",
                                 content_type="application/pdf", size_bytes=2048))
    db.session.commit()
    client = app.test_client().log_in_as(bob)
    page = client.text(f"{base(workspace)}/t/{brief.id}")
    assert re.search(rf'<a href="{base(workspace)}/files/\d+">brief.pdf</a> <span class="muted small">2 KB</span>', page)
    assert 'class="attachments"' not in client.text(f"{base(workspace)}/t/{plain.id}")


def test_a_replys_like_button_is_the_one_a_click_answers_with(app, community):
    workspace, owner, general, alice, bob = community
    topic = make_topic(channel=general, author=alice, title="Likes", body="Hello")
    reply = posting.add_reply(workspace, topic, alice, "member", "Like this")
    client = app.test_client().log_in_as(bob)

    def like_form(html):
        form = re.search(rf'<form class="inline like" id="like-reply-{reply.id}".*?</form>', html, re.S).group(0)
        return re.sub(r'name="csrf_token" value="[^"]+"', 'name="csrf_token"', re.sub(r"\s+", " ", form))

    page = client.text(f"{base(workspace)}/t/{topic.id}")
    answer = client.submit(f"{base(workspace)}/r/{reply.id}/like", {"liked": "0"}, htmx=True).get_data(as_text=True)
    assert like_form(page) == like_form(answer) and 'aria-pressed="false"' in like_form(page)
    answer = client.submit(f"{base(workspace)}/r/{reply.id}/like", {"liked": "1"}, htmx=True).get_data(as_text=True)
    assert like_form(client.text(f"{base(workspace)}/t/{topic.id}")) == like_form(answer)
    assert 'aria-pressed="true"' in like_form(answer) and '<span class="like-count">1</span>' in like_form(answer)


def test_new_members_get_stricter_limits_and_nobody_posts_the_same_text_twice(app, community):
    workspace, owner, general, alice, bob = community
    links = " ".join(f"https://example.com/{n}" for n in range(3))
    with pytest.raises(Refused, match="New members can include at most 2 links"):
        posting.create_topic(workspace, alice, "member", general, "text", "My links", links)
    posting.create_topic(workspace, alice, "member", general, "text", "One", "Same words here")
    with pytest.raises(Refused, match="You posted this same text a few minutes ago"):
        posting.create_topic(workspace, alice, "member", general, "text", "Two", "same   WORDS here")
    posting.create_topic(workspace, alice, "member", general, "text", "Three", "Different")
    posting.create_topic(workspace, alice, "member", general, "text", "Four", "Also different")
    with pytest.raises(Refused, match="You can start 3 topics every 10 minutes"):
        posting.create_topic(workspace, alice, "member", general, "text", "Five", "Yet another")
    posting.create_topic(workspace, owner, "moderator", general, "text", "Team links", links)  # the team is not limited
    bob_profile = members.profile_for(workspace, bob)
    bob_profile.created_at = utcnow() - timedelta(days=30)  # an established member may post more links
    db.session.commit()
    posting.create_topic(workspace, bob, "member", general, "text", "My links", links)


def test_profiles_have_unique_usernames_and_safe_bios(app, community):
    workspace, owner, general, alice, bob = community
    client = app.test_client().log_in_as(alice)
    taken = client.submit(f"{base(workspace)}/profile", {"username": "bob_stone", "bio": "", "links": ""})
    assert taken.status_code == 422 and "@bob_stone is taken." in taken.get_data(as_text=True)
    bad = client.submit(f"{base(workspace)}/profile", {"username": "alice", "links": "javascript:alert(1)"})
    assert bad.status_code == 422 and "is not a web address" in bad.get_data(as_text=True)
    ok = client.submit(f"{base(workspace)}/profile", {"username": "alice", "bio": "I film *food*.<script>x</script>",
                                                      "location": "Lisbon", "links": "https://alice.example", "allow_dms": "y"})
    assert ok.status_code == 303
    page = client.text(f"{base(workspace)}/u/alice")
    assert "<em>food</em>" in page and "<script>x" not in page and "Lisbon" in page


def test_outsiders_and_other_communities_see_nothing(app, community):
    workspace, owner, general, alice, bob = community
    topic = make_topic(channel=general, author=alice, title="Members only", body="Inside")
    stranger = owner_of(make_workspace(name="Strangers"))
    client = app.test_client().log_in_as(stranger)
    for path in ("/", f"/t/{topic.id}", f"/ch/{general.slug}", "/search?q=inside"):
        assert client.get(base(workspace) + path).status_code == 404, path
    other = make_workspace(owner=stranger, name="Stranger Club")
    other_channel = make_channel(other, "General")
    assert client.get(f"/community/{other.slug}/t/{topic.id}").status_code == 404
    assert other_channel.id != general.id
    viewer = add_member(workspace, "viewer")
    db.session.commit()
    assert app.test_client().log_in_as(viewer).get(base(workspace) + f"/t/{topic.id}").status_code == 200




@frozen_at("2029-12-01 09:00")
def test_every_community_route_answers_404_to_people_outside_it(app, community):
    """Walks the app's own route list: anything under /community/<space>/ is closed to a stranger,
    whatever the method, so a route added later is checked without editing this test."""
    workspace, owner, general, alice, bob = community
    topic = make_topic(channel=general, author=alice, type_="question", title="Private", body="Members only")
    reply = posting.add_reply(workspace, topic, bob, "member", "Reply")
    event = make_event(workspace=workspace, author=owner, title="Call", type_="coaching", starts_at=datetime(2030, 1, 1, 9))
    report = moderation.report(workspace, bob, "Check", topic=topic)
    values = {"space": workspace.slug, "slug": general.slug, "topic_id": topic.id, "reply_id": reply.id,
              "event_id": event.id, "report_id": report.id, "username": "alice_moon", "file_id": 1, "notification_id": 1,
              "conversation_id": messages.send_dm(workspace, alice, bob, "Hi")[0].id}
    stranger = app.test_client().log_in_as(owner_of(make_workspace(name="Outsiders")))
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("community."):
            continue
        url = rule.build({name: values[name] for name in rule.arguments})[1]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            response = stranger.open(url, method=method, data={"csrf_token": stranger.csrf_token()})
            assert response.status_code == 404, (method, url, response.status_code)
            checked += 1
    assert checked >= 35


def test_without_javascript_a_replys_reply_link_opens_a_form_that_answers_it(app, community):
    workspace, owner, general, alice, bob = community
    topic = make_topic(channel=general, author=alice, title="No JS", body="Plain HTML please")
    first = posting.add_reply(workspace, topic, bob, "member", "First")
    client = app.test_client().log_in_as(alice)
    page = client.text(f"{base(workspace)}/t/{topic.id}?parent={first.id}")
    assert f'<input type="hidden" name="parent_id" value="{first.id}">' in page
    assert client.submit(f"{base(workspace)}/t/{topic.id}/reply", {"body": "Answer", "parent_id": first.id}).status_code == 303
    assert db.session.query(Reply).filter_by(parent_id=first.id).one().body == "Answer"


def test_review_fixes_hold(app, community):
    """What a second pair of eyes found, kept fixed."""
    workspace, owner, general, alice, bob = community
    topic = make_topic(channel=general, author=alice, type_="question", title="Kiwi lighting", body="About kiwi smoothies")
    filler = posting.add_reply(workspace, topic, bob, "member", "Unrelated words")
    # A moderator's hide stays until a moderator lifts it.
    moderation.set_hidden(topic, owner, "moderator", True)
    with pytest.raises(Refused, match="only a moderator can show it again"):
        moderation.set_hidden(topic, alice, "member", False)
    # Hidden topics do not show among other members' bookmarks.
    posting.toggle_bookmark(workspace, bob, topic)
    assert reading.bookmarks(workspace, bob, "member") == [] and reading.bookmarks(workspace, owner, "moderator") == []
    moderation.set_hidden(topic, owner, "moderator", False)
    assert [t.id for t in reading.bookmarks(workspace, bob, "member")] == [topic.id]
    # A word of a topic's title does not make every reply match.
    assert [r["kind"] for r in search.search(workspace, "kiwi", alice, "member")] == ["topic"]
    assert filler.id not in [r["reply"].id for r in search.search(workspace, "kiwi", alice, "member") if r["reply"]]
    # A cursor this page did not make is ignored, not a server error.
    client = app.test_client().log_in_as(alice)
    assert client.get(f"{base(workspace)}/ch/{general.slug}?before=0_2030-01-01T00:00:00_5").status_code == 200
    # Two channels with the same name get distinct addresses.
    assert posting.create_channel(workspace, "General!", "general").slug == "general-2"
    # Liking and unliking does not earn the popular badge.
    for _ in range(11):
        posting.set_like(workspace, alice, True, reply=filler)
        posting.set_like(workspace, alice, False, reply=filler)
    assert "popular" not in {b["key"] for b in members.profile_for(workspace, bob).badges or []}
    # Edits keep to the link limit; past events take no answers.
    with pytest.raises(Refused, match="at most 2 links"):
        posting.edit(workspace, topic, alice, "member", "https://a.example https://b.example https://c.example")
    tomorrow = utcnow().replace(tzinfo=None) + timedelta(days=1)
    past = make_event(workspace=workspace, author=owner, title="Old", type_="panel", starts_at=tomorrow,
                      meeting_url="https://meet.example/old")
    past.starts_at, past.ends_at = utcnow() - timedelta(hours=2), utcnow() - timedelta(hours=1)  # time went by
    db.session.commit()
    with pytest.raises(Refused, match="This event is over"):
        events.rsvp(past, bob, "going")


@frozen_at("2029-12-01 09:00")
def test_answering_going_twice_at_once_takes_one_seat(app, community):
    workspace, owner, general, alice, bob = community
    event = make_event(workspace=workspace, author=owner, title="Race", starts_at=datetime(2030, 2, 1, 9), capacity=5)
    events.rsvp(event, bob, "maybe")
    ids = (event.id, bob.id)
    start = threading.Barrier(2)

    def going():
        with app.app_context():
            from studio.accounts.models import User

            item, person = db.session.get(Event, ids[0]), db.session.get(User, ids[1])
            start.wait()
            events.rsvp(item, person, "going")
            db.session.remove()

    workers = [threading.Thread(target=going) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    db.session.expire_all()
    assert db.session.get(Event, event.id).going_count == 1
    assert db.session.query(EventRSVP).filter_by(event_id=event.id, status="going").count() == 1
