"""In real browsers: a member asks a question in Markdown, another replies and @mentions them,
likes toggle in place, the mention arrives as a notification, and the asker marks the reply
helpful so the question shows solved. Then every known XSS vector, placed everywhere members
write, is stored sanitised and runs nothing in a browser."""
import re
from datetime import datetime, timedelta
from html.parser import HTMLParser

from playwright.sync_api import expect

from studio.community import members, messages, posting
from studio.community.models import DirectMessage, Event, MemberProfile, Reply, Topic
from studio.community.threads import REPLY_PART
from studio.extensions import db
from tests.e2e.browser import log_in_through_the_form
from tests.factories import make_channel, make_client, make_event, make_topic, make_workspace, owner_of
from tests.xss_vectors import VECTORS

DANGEROUS_TAGS = {"script", "iframe", "object", "embed", "svg", "math", "style", "meta", "link", "base", "form", "input",
                  "button", "frame", "frameset", "body", "img", "video", "audio", "source", "details", "marquee", "isindex"}


class ParsedTags(HTMLParser):
    """The tags and attributes a browser would build from some HTML (text stays text)."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.problems = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag in DANGEROUS_TAGS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            scheme = re.sub(r"[\x00-\x20]", "", value or "").lower()
            if name.startswith("on") or name == "style" or scheme.startswith(("javascript:", "data:", "vbscript:")):
                self.problems.append(f"<{tag} {name}={value!r}>")


def log_in(page, live_server, email):
    log_in_through_the_form(page, live_server, email)
    expect(page.get_by_role("link", name="Community")).to_be_visible()


def test_question_reply_mention_like_and_solved(live_server, new_page, app):
    workspace = make_workspace(name="Creators Club")
    make_channel(workspace, "Questions", "qa")
    alice, bob = make_client(workspace, name="Alice Moon").user, make_client(workspace, name="Bob Stone").user

    asker = new_page()
    log_in(asker, live_server, alice.email)
    asker.get_by_role("link", name="Community").click()
    asker.get_by_role("link", name="# Questions").click()
    asker.get_by_role("link", name="New post").click()
    asker.get_by_label("Kind").select_option("question")
    asker.get_by_label("Title").fill("Ring light or softbox?")
    asker.get_by_label("Post").fill("I film **cooking** at night.\n\n- small kitchen\n- one window")
    asker.get_by_role("button", name="Post").click()
    expect(asker.get_by_role("heading", level=1)).to_have_text("Ring light or softbox?")
    expect(asker.locator(".topic-post .post-body strong")).to_have_text("cooking")
    expect(asker.locator(".topic-post .post-body li")).to_have_count(2)
    topic_url = asker.url

    helper = new_page()
    log_in(helper, live_server, bob.email)
    helper.goto(topic_url)
    helper.get_by_label("Reply").fill("Softbox, @alice_moon: softer shadows on food.")
    helper.get_by_role("button", name="Post reply").click()
    reply = helper.locator(".reply").first
    expect(reply).to_contain_text("softer shadows on food")
    expect(reply.get_by_role("link", name="@alice_moon")).to_be_visible()
    expect(helper.locator("#reply-count")).to_have_text("1 reply")
    assert helper.url == topic_url, "the reply arrived without a reload"

    like = helper.locator(".topic-post .like button")
    like.click()
    expect(like).to_have_attribute("aria-pressed", "true")
    expect(like.locator(".like-count")).to_have_text("1")
    helper.locator(".topic-post .like button").click()
    expect(helper.locator(".topic-post .like button")).to_have_attribute("aria-pressed", "false")
    expect(helper.locator(".topic-post .like-count")).to_have_text("0")
    helper.locator(".topic-post .like button").click()
    expect(helper.locator(".topic-post .like-count")).to_have_text("1")
    assert helper.url == topic_url
    assert db.session.get(Topic, int(topic_url.rsplit("/", 1)[1])).like_count == 1

    asker.get_by_role("navigation", name="Community").get_by_role("link", name="Notifications").click()
    expect(asker.locator(".notifications")).to_contain_text("Bob Stone mentioned you")
    asker.get_by_role("link", name=re.compile("Bob Stone mentioned you")).click()
    expect(asker.locator(".reply").first).to_contain_text("softer shadows")
    asker.locator(".reply").first.get_by_role("link", name="More actions for this reply").click()
    asker.get_by_role("button", name="Mark helpful").click()
    expect(asker.get_by_role("heading", level=1)).to_contain_text("✓ solved")
    expect(asker.locator(".reply.helpful")).to_contain_text("✓ helpful answer")
    assert db.session.query(Reply).one().is_helpful


def bio_sized(vectors, limit=1_000):
    """The vectors joined into texts of at most `limit` characters (a bio's column)."""
    chunks, current = [], ""
    for vector in vectors:
        joined = f"{current}\n\n{vector}" if current else vector
        if len(joined) > limit and current:
            chunks.append(current)
            joined = vector
        current = joined
    return [*chunks, current] if current else chunks


def stored_html_is_inert(html):
    return not ParsedTags(html).problems


def test_xss_vectors_everywhere_members_write_run_nothing(live_server, new_page, app):
    workspace = make_workspace(name="Safe Club")
    owner = owner_of(workspace)
    channel = make_channel(workspace, "General")
    alice, bob = make_client(workspace, name="Alice Moon").user, make_client(workspace, name="Bob Stone").user
    members.profile_for(workspace, alice)
    bob_profile = members.profile_for(workspace, bob)
    topics = []
    for number, vector in enumerate(VECTORS):  # the team is not rate-limited, so all go in at once
        topics.append(make_topic(channel=channel, author=owner, title=f"{number} {vector}"[:200],
                                 body=f"Vector {number}:\n\n{vector}"))
    discussion = topics[0]
    for number, vector in enumerate(VECTORS):
        posting.add_reply(workspace, discussion, owner, "moderator", f"Reply {number}: {vector}")
        messages.send_dm(workspace, bob, alice, f"DM {number}: {vector}")
    bios = []  # a bio holds 1,000 characters: the vectors go in a bio's worth at a time, each version checked
    for chunk in bio_sized(VECTORS):
        members.update_profile(bob_profile, "bob_stone", chunk, "<script>alert(1)</script>", [], True, True)
        bios.append(db.session.get(MemberProfile, bob_profile.id).bio_html)
    next_month = datetime.utcnow().replace(microsecond=0) + timedelta(days=30)
    event = make_event(workspace=workspace, author=owner, title="<script>alert(1)</script> Meetup",
                       description="\n\n".join(VECTORS), starts_at=next_month)
    stored = ([t.body_html for t in db.session.query(Topic)] + [r.body_html for r in db.session.query(Reply)]
              + [m.body_html for m in db.session.query(DirectMessage)]
              + bios + [db.session.get(Event, event.id).description_html])
    assert len(stored) == len(VECTORS) * 3 + len(bios) + 1
    assert "\n\n".join(bio_sized(VECTORS)) == "\n\n".join(VECTORS), "every vector went into a bio"
    assert not stored_html_is_inert('<a href=" JaVaScript:alert(1)">x</a>'), "the checker itself catches what runs"
    assert not stored_html_is_inert("<p><img src=x onerror=alert(1)></p>")
    unsafe = [html for html in stored if not stored_html_is_inert(html)]
    assert unsafe == [], f"stored HTML that could run: {unsafe[:3]}"

    page = new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    log_in(page, live_server, alice.email)
    base = f"{live_server}/community/{workspace.slug}"
    pages = [f"{base}/ch/{channel.slug}", f"{base}/u/bob_stone", f"{base}/messages/bob_stone", f"{base}/events/{event.id}",
             f"{base}/events", f"{base}/search?q=vector", f"{base}/search?q=script+alert"]
    pages += [f"{base}/t/{topic.id}" for topic in topics]
    for url in pages:
        page.goto(url)
        page.mouse.move(200, 300)  # hover handlers get their chance
        page.mouse.move(600, 500)
    expect(page.locator("body")).to_be_visible()
    assert dialogs == [], f"a script ran: {dialogs}"
    page.goto(f"{base}/t/{discussion.id}")
    expect(page.locator(".reply")).to_have_count(REPLY_PART)  # a long thread reads in parts
    while page.locator("#more-replies").count():
        shown = page.locator(".reply").count()
        page.locator("#more-replies a").click()
        expect(page.locator(".reply")).not_to_have_count(shown)
    expect(page.locator(".reply")).to_have_count(len(VECTORS))
    assert page.url == f"{base}/t/{discussion.id}", "the parts came in place"
    assert dialogs == [], f"a script ran: {dialogs}"
    expect(page.locator(".reply").nth(0)).to_contain_text("<script>alert(1)</script>")
