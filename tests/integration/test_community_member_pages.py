"""A member's own pages in the community: editing the profile, liking, and the navigation."""
import pytest

from studio.community import members, posting
from studio.community.models import MemberProfile
from studio.extensions import db
from tests.factories import make_community, make_topic


@pytest.fixture
def club():
    return make_community("Makers Club")


def base(workspace):
    return f"/community/{workspace.slug}"


def profile_form_values(page):
    """What the edit-profile form would send back unchanged, read from its page."""
    import html
    import re

    textarea = re.search(r'<textarea[^>]*name="links"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    bio = re.search(r'<textarea[^>]*name="bio"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    username = re.search(r'name="username"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="username"', page)
    return {"username": username.group(1) or username.group(2), "bio": html.unescape(bio.strip()),
            "links": html.unescape(textarea.strip()),
            "location": "", "allow_dms": "y"}


def test_a_member_without_links_saves_her_profile_as_it_is(app, club):
    workspace, owner, general, alice, bob = club
    member = app.test_client().log_in_as(alice)

    page = member.text(base(workspace) + "/profile")
    values = profile_form_values(page)
    assert values["links"] == "", "the Links box starts empty, not with []"
    assert "[]" not in page

    values["bio"] = "I film recipes."
    response = member.submit(base(workspace) + "/profile", values)
    assert response.status_code == 303, response.get_data(as_text=True)
    profile = db.session.get(MemberProfile, members.profile_for(workspace, alice).id)
    assert profile.bio == "I film recipes." and profile.links == []


def test_a_member_sees_her_links_one_per_line_and_keeps_them(app, club):
    workspace, owner, general, alice, bob = club
    member = app.test_client().log_in_as(alice)
    members.update_profile(members.profile_for(workspace, alice), "alice_moon", "", "",
                           ["https://alice.example", "https://video.example/alice"], True, True)

    values = profile_form_values(member.text(base(workspace) + "/profile"))
    assert values["links"].splitlines() == ["https://alice.example", "https://video.example/alice"]
    assert member.submit(base(workspace) + "/profile", values).status_code == 303
    profile = members.profile_for(workspace, alice)
    db.session.refresh(profile)
    assert profile.links == ["https://alice.example", "https://video.example/alice"]


def test_a_member_sees_likes_on_her_own_reply_without_a_like_button(app, club):
    workspace, owner, general, alice, bob = club
    topic = make_topic(channel=general, author=bob, type_="question", title="Best light for food?", body="Window or LED?")
    mine = posting.add_reply(workspace, topic, alice, "member", "A north window.")
    posting.set_like(workspace, bob, True, reply=mine)
    member = app.test_client().log_in_as(alice)

    page = member.text(f"{base(workspace)}/t/{topic.id}")
    own_reply = page.split(f'id="reply-{mine.id}"', 1)[1]
    assert f'action="{base(workspace)}/r/{mine.id}/like"' not in page, "no button that would do nothing"
    assert "your post" in own_reply.split("</article>", 1)[0] and '<span class="like-count">1</span>' in own_reply
    assert f'action="{base(workspace)}/t/{topic.id}/like"' in page, "Bob's question can still be liked"

    # A stale page's button (or a hand-made request) says why instead of doing nothing.
    answer = member.submit(f"{base(workspace)}/r/{mine.id}/like", {"liked": "1"}, htmx=True)
    assert "your post" in answer.get_data(as_text=True)
    refused = member.submit(f"{base(workspace)}/r/{mine.id}/like", {"liked": "1"})
    assert "You cannot like your own post." in member.text(refused.headers["Location"])
    assert posting.current_count(type(mine), mine.id) == 1


def test_the_profile_tab_is_current_only_on_the_members_own_profile(app, club):
    workspace, owner, general, alice, bob = club
    member = app.test_client().log_in_as(alice)
    tab = f'href="{base(workspace)}/u/alice_moon" aria-current="page"'

    assert tab in member.text(f"{base(workspace)}/u/alice_moon")
    bobs = member.text(f"{base(workspace)}/u/bob_stone")
    assert tab not in bobs and 'aria-current="page"' not in bobs.split('aria-label="Community"', 1)[1].split("</nav>", 1)[0]
