"""A long topic reads in parts: the page draws about REPLY_PART replies, whole threads of answers
kept together, and "Show more replies" brings the next part (in place with htmx, as a page of its
own without JavaScript). A reply's rarer actions sit behind its More button."""
import re

import pytest
from sqlalchemy import func, select

from studio.community import posting, threads
from studio.community.models import Reply
from studio.community.threads import REPLY_PART
from studio.extensions import db
from tests.factories import make_community, make_topic
from tests.integration.test_community import where_each_reply_sits


@pytest.fixture
def long_topic():
    """A topic with REPLY_PART + 15 top-level replies; the third has two answers, one answered."""
    workspace, owner, general, alice, bob = make_community()
    topic = make_topic(channel=general, author=alice, type_="question", title="Long", body="Many answers")
    roots = [posting.add_reply(workspace, topic, owner, "moderator", f"Top-level reply number {n}")
             for n in range(REPLY_PART + 15)]
    answer = posting.add_reply(workspace, topic, owner, "moderator", "An answer", parent=roots[2])
    deeper = posting.add_reply(workspace, topic, owner, "moderator", "A deeper answer", parent=answer)
    posting.add_reply(workspace, topic, owner, "moderator", "Another answer", parent=roots[2])
    return workspace, topic, alice, roots, deeper


def drawn(html):
    return [int(found) for found in re.findall(r'<article class="reply[^"]*" id="reply-(\d+)"', html)]


def test_a_long_topic_shows_its_first_part_and_a_button_for_the_rest(app, long_topic):
    workspace, topic, alice, roots, deeper = long_topic
    client = app.test_client().log_in_as(alice)
    page = client.text(f"/community/{workspace.slug}/t/{topic.id}")
    first = drawn(page)
    # Whole top-level replies until REPLY_PART are drawn: the first 17 with the third's 3 answers.
    assert first[:3] == [roots[0].id, roots[1].id, roots[2].id] and deeper.id in first
    assert len(first) == REPLY_PART and first[-1] == roots[REPLY_PART - 4].id
    assert "Show 18 more replies" in page and "Show the earlier replies" not in page

    # With htmx the next part joins the thread in place, and the button says what is left.
    more = re.search(r'hx-get="([^"]+)" hx-target="#more-replies"', page).group(1)
    part = client.get(more.replace("&amp;", "&"), headers={"HX-Request": "true", "HX-Target": "more-replies"})
    html = part.get_data(as_text=True)
    assert 'hx-swap-oob="beforeend:#replies"' in html
    assert drawn(html) == [root.id for root in roots[REPLY_PART - 3:REPLY_PART + 17]]
    assert 'id="more-replies"' not in html  # the last part: the button goes
    assert set(first).isdisjoint(drawn(html))


def test_without_javascript_the_button_opens_the_next_part_as_a_page(app, long_topic):
    workspace, topic, alice, roots, deeper = long_topic
    client = app.test_client().log_in_as(alice)
    page = client.text(f"/community/{workspace.slug}/t/{topic.id}")
    link = re.search(r'<a class="button" href="([^"]+)"\s+hx-get', page).group(1).replace("&amp;", "&")
    following = client.text(link.split("#")[0])
    assert drawn(following)[0] == roots[REPLY_PART - 3].id and "Show the earlier replies" in following
    assert "Show 1 more reply" not in following and 'id="more-replies"' not in following


def test_a_link_to_a_reply_opens_the_part_that_holds_it_with_its_thread_whole(app, long_topic):
    workspace, topic, alice, roots, deeper = long_topic
    client = app.test_client().log_in_as(alice)
    late = roots[-1]
    assert threads.root_of(threads.thread_shape(topic.id, alice, "member"), deeper.id) == roots[2].id
    page = client.text(f"/community/{workspace.slug}/t/{topic.id}?reply={late.id}")
    assert late.id in drawn(page) and "Show the earlier replies" in page
    nested = client.text(f"/community/{workspace.slug}/t/{topic.id}?reply={deeper.id}")
    sits = where_each_reply_sits(nested)
    assert sits[deeper.id].startswith("children-") and sits[roots[2].id] == "replies"


def test_a_new_reply_to_a_long_topic_takes_the_writer_to_it(app, long_topic):
    """The page holds only a part of a long thread: a new top-level reply (at the end) is shown by
    opening its part; an answer goes in place under the reply it answers."""
    workspace, topic, alice, roots, deeper = long_topic
    client = app.test_client().log_in_as(alice)
    answer = client.submit(f"/community/{workspace.slug}/t/{topic.id}/reply", {"body": "At the end"}, htmx=True)
    newest = db.session.execute(select(func.max(Reply.id))).scalar_one()
    target = answer.headers["HX-Redirect"]
    assert target == f"/community/{workspace.slug}/t/{topic.id}?reply={newest}#reply-{newest}"
    assert "At the end" in client.text(target.split("#")[0])
    inline = client.submit(f"/community/{workspace.slug}/t/{topic.id}/reply",
                           {"body": "Under the first", "parent_id": roots[0].id}, htmx=True)
    assert f'hx-swap-oob="beforeend:#children-{roots[0].id}"' in inline.get_data(as_text=True)


def test_a_replys_more_button_offers_what_the_viewer_may_do(app, long_topic):
    workspace, topic, alice, roots, deeper = long_topic
    reply = roots[0]
    asker = app.test_client().log_in_as(alice)  # asked the question; the reply is someone else's
    menu = asker.get(f"/community/{workspace.slug}/r/{reply.id}/actions", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Mark helpful" in menu and "Report" in menu and "Edit" not in menu and "Hide" not in menu
    assert "<html" not in menu

    # Without JavaScript, More is a page of its own with the same actions and a way back.
    page = asker.text(f"/community/{workspace.slug}/r/{reply.id}/actions")
    assert "Mark helpful" in page and f'?reply={reply.id}#reply-{reply.id}">Back to the topic' in page
    asker.submit(f"/community/{workspace.slug}/r/{reply.id}/helpful")
    menu = asker.get(f"/community/{workspace.slug}/r/{reply.id}/actions", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Mark helpful" not in menu
