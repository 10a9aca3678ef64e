"""Content as a team lives it: briefs from the team and from clients, versions written by hand or
by the language model (counted against the plan, refused past its limit), a picked version that
becomes a post, the history of every edit with a word-level diff and an exact revert, and
comments that thread, resolve and notify."""
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from studio.content import history
from studio.content.models import Comment, ContentEdit, ContentRequest, ContentVersion
from studio.database import utcnow
from studio.extensions import db
from studio.notify.models import Notification
from studio.publishing.models import Post
from tests.factories import (
    add_member,
    make_client,
    make_connection,
    make_post,
    make_request,
    make_studio,
    make_version,
)
from tests.helpers import errors_next_to, frozen_at

DRAFTS = {"versions": [
    {"text": "Three new pastries land Friday. Which one is yours?", "hashtags": ["bakery", "springmenu"],
     "image_prompt": "Three pastries on a marble counter, morning light"},
    {"text": "Spring is here, and so is the rhubarb tart.", "hashtags": ["#rhubarb"], "image_prompt": "A rhubarb tart"},
    {"text": "We baked 400 test batches so you would not have to.", "hashtags": [], "image_prompt": ""},
]}


@pytest.fixture
def studio(app):
    return make_studio(name="Northwind Creators")


def count(model, *where):
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def test_reverting_to_an_earlier_version_restores_its_text_exactly_and_records_the_revert(studio):
    original = "Fresh bread at 7  \U0001F35E\n\nLine two — with  two spaces."
    connection = make_connection(studio.workspace)
    post = make_post(workspace=studio.workspace, author=studio.owner, connections=[connection], status="draft", message=original)
    history.record(post, "created", studio.owner, new=original)
    db.session.commit()
    slug = studio.workspace.slug
    for text, reason in (("Fresh bread at 8 \U0001F35E", "Baker is late"), ("Fresh rolls at 8", "No bread today")):
        studio.browser.submit(f"/w/{slug}/posts/{post.id}/edit", {"version": db.session.get(Post, post.id).version,
                                                                 "message": text, "reason": reason})
    assert db.session.get(Post, post.id).message == "Fresh rolls at 8"

    page = studio.browser.get(f"/w/{slug}/posts/{post.id}/history").get_data(as_text=True)
    assert "<del>bread </del><ins>rolls </ins>" in page and "“No bread today”" in page
    created = db.session.execute(select(ContentEdit).where(ContentEdit.post_id == post.id, ContentEdit.action == "created")).scalar_one()
    studio.browser.submit(f"/w/{slug}/posts/{post.id}/revert/{created.id}")

    assert db.session.get(Post, post.id).message == original
    revert = db.session.execute(select(ContentEdit).where(ContentEdit.action == "reverted")).scalar_one()
    assert (revert.previous_text, revert.new_text, revert.reverted_from_id, revert.editor_id) == (
        "Fresh rolls at 8", original, created.id, studio.owner.id)
    page = studio.browser.get(f"/w/{slug}/posts/{post.id}/history").get_data(as_text=True)
    assert page.index("reverted") < page.index("edited"), "newest first"


def test_a_word_diff_gives_back_the_new_text_from_its_kept_and_added_pieces():
    before, after = "Fresh bread at 7, every day", "Fresh sourdough at 8, every single day"
    pieces = history.word_diff(before, after)
    assert "".join(p.text for p in pieces if p.kind != "removed") == after
    assert "".join(p.text for p in pieces if p.kind != "added") == before
    assert [p.text for p in pieces if p.kind == "added"] == ["sourdough ", "8, ", "single "]


def test_a_version_keeps_its_own_history_and_reverts(studio):
    request = make_request(studio.workspace, studio.owner)
    version = make_version(request, studio.owner, text="First words")
    studio.browser.submit(f"/w/{studio.workspace.slug}/versions/{version.id}/edit", {"text": "Second words", "reason": "tone"})
    created = db.session.execute(select(ContentEdit).where(ContentEdit.version_id == version.id,
                                                           ContentEdit.action == "created")).scalar_one()
    studio.browser.submit(f"/w/{studio.workspace.slug}/versions/{version.id}/revert/{created.id}")
    assert db.session.get(ContentVersion, version.id).text == "First words"
    assert count(ContentEdit, ContentEdit.version_id == version.id) == 3

    emptied = studio.browser.submit(f"/w/{studio.workspace.slug}/versions/{version.id}/edit", {"text": "", "reason": "oops"})
    assert emptied.status_code == 422
    assert "Write the version&#39;s text." in emptied.get_data(as_text=True)
    assert db.session.get(ContentVersion, version.id).text == "First words"


# ---- AI drafts and the plan's limit ------------------------------------------------------------


def write_drafts(studio, request):
    return studio.browser.submit(f"/w/{studio.workspace.slug}/requests/{request.id}/drafts", {"count": 3})


def test_the_model_writes_versions_in_the_workspaces_voice_with_hashtags_and_an_image_prompt(studio, fake_model):
    fake_model.reply = json.dumps(DRAFTS)
    request = make_request(studio.workspace, studio.owner, goal="Launch the spring menu", platforms=["instagram"])
    page = studio.browser.get(f"/w/{studio.workspace.slug}/requests/{request.id}").get_data(as_text=True)
    assert "Write drafts with AI" in page

    assert write_drafts(studio, request).status_code == 303
    versions = db.session.execute(select(ContentVersion).order_by(ContentVersion.id)).scalars().all()
    assert [v.text for v in versions] == [d["text"] for d in DRAFTS["versions"]]
    assert versions[0].hashtags == ["bakery", "springmenu"] and versions[1].hashtags == ["rhubarb"]
    assert versions[0].image_prompt.startswith("Three pastries") and versions[0].model == fake_model.model
    prompt = fake_model.requests[-1]["json"]["messages"][-1]["content"]
    assert "Launch the spring menu" in prompt and "Instagram" in prompt


def test_the_eleventh_generation_on_a_plan_allowing_ten_is_refused_and_the_count_starts_again_next_month(app, fake_model):
    fake_model.reply = json.dumps(DRAFTS)
    with frozen_at("2027-01-30 10:00") as clock:
        studio = make_studio(name="Northwind Creators")
        request = make_request(studio.workspace, studio.owner)
        assert studio.workspace.plan == "starter"
        for _ in range(10):
            assert write_drafts(studio, request).status_code == 303
        calls = len(fake_model.requests)
        refused = write_drafts(studio, request)
        assert refused.status_code == 422
        text = refused.get_data(as_text=True)
        assert "allows 10 AI generations a month" in text and "1 February" in text
        assert len(fake_model.requests) == calls, "no call to the model once over the limit"
        assert count(ContentVersion) == 30
        clock.shift(timedelta(days=2))  # 1 February
        assert write_drafts(studio, request).status_code == 303
        assert count(ContentVersion) == 33


def test_a_failed_generation_is_not_counted(studio, fake_model):
    fake_model.reply = "Sorry, I cannot help with that."
    request = make_request(studio.workspace, studio.owner)
    refused = write_drafts(studio, request)
    assert refused.status_code == 422 and "not with drafts the studio could read" in refused.get_data(as_text=True)
    from studio.billing.service import usage_of

    assert usage_of(studio.workspace).used["generations"] == 0


def test_with_no_model_there_is_no_ai_button_and_asking_is_refused(studio):
    request = make_request(studio.workspace, studio.owner)
    page = studio.browser.get(f"/w/{studio.workspace.slug}/requests/{request.id}").get_data(as_text=True)
    assert "Write drafts with AI" not in page and "versions are written by hand" in page
    assert write_drafts(studio, request).status_code == 422
    assert count(ContentVersion) == 0


# ---- requests ----------------------------------------------------------------------------------


def test_a_client_asks_for_content_the_team_hears_of_it_and_a_picked_version_becomes_her_post(studio):
    rosa = make_client(studio.workspace, name="Rosa Diaz")
    her_account = make_connection(studio.workspace, platform="instagram", client_id=rosa.id)
    make_connection(studio.workspace, platform="instagram")  # the team's own: not where her post goes
    her = studio.browser.application.test_client().log_in_as(rosa.user)
    page = her.submit(f"/portal/c/{rosa.id}/requests/new", {"title": "", "platforms": ["instagram"]})
    assert page.status_code == 422 and errors_next_to(page.get_data(as_text=True), "title") == ["Give the request a title."]
    her.submit(f"/portal/c/{rosa.id}/requests/new", {"title": "Gym opening reel", "brief": "Doors open 6am Monday",
                                                     "platforms": ["instagram"],
                                                     "due_on": (utcnow() + timedelta(days=30)).date().isoformat()})
    request = db.session.execute(select(ContentRequest)).scalar_one()
    assert (request.client_id, request.status, request.platforms) == (rosa.id, "draft", ["instagram"])
    assert count(Notification, Notification.user_id == studio.owner.id, Notification.title.like("Rosa Diaz asked for content%")) == 1

    version = make_version(request, studio.owner, text="Doors open 6am Monday!", hashtags=["gym"])
    studio.browser.submit(f"/w/{studio.workspace.slug}/versions/{version.id}/pick")
    post = db.session.execute(select(Post)).scalar_one()
    assert post.message == "Doors open 6am Monday!\n\n#gym"
    assert [d.connection_id for d in post.deliveries] == [her_account.id]
    assert (post.client_id, post.request_id, post.status) == (rosa.id, request.id, "draft")
    assert db.session.get(ContentRequest, request.id).status == "in_progress"
    assert db.session.get(ContentVersion, version.id).selected


def test_a_request_is_assigned_and_its_assignee_is_reminded_the_day_before_it_is_due(studio):
    from studio.content.requests import remind_due

    priya = add_member(studio.workspace, "editor")
    now = utcnow()
    request = make_request(studio.workspace, studio.owner, due_on=(now + timedelta(days=3)).date())
    studio.browser.submit(f"/w/{studio.workspace.slug}/requests/{request.id}/assign", {"assignee": priya.id})
    assert db.session.get(ContentRequest, request.id).status == "in_progress"
    assert remind_due(now) == 0
    assert remind_due(now + timedelta(days=2)) == 1 and remind_due(now + timedelta(days=2)) == 0
    assert count(Notification, Notification.user_id == priya.id, Notification.type == "request_due") == 1


def test_another_workspaces_request_answers_404(studio):
    stranger = make_studio(name="Elsewhere")
    request = make_request(stranger.workspace, stranger.owner)
    assert studio.browser.get(f"/w/{studio.workspace.slug}/requests/{request.id}").status_code == 404
    assert studio.browser.submit(f"/w/{studio.workspace.slug}/requests/{request.id}/comments", {"body": "hi"}).status_code == 404


# ---- comments ----------------------------------------------------------------------------------


def test_comments_thread_resolve_and_an_at_mention_notifies_that_member(studio):
    priya = add_member(studio.workspace, "editor")
    priya.name = "Priya Shah"
    db.session.commit()
    request = make_request(studio.workspace, studio.owner)
    base = f"/w/{studio.workspace.slug}/requests/{request.id}"
    studio.browser.submit(f"{base}/comments", {"body": "@priya can you take the photos?"})
    first = db.session.execute(select(Comment)).scalar_one()
    studio.browser.submit(f"{base}/comments", {"body": "Booked for Thursday", "parent_id": first.id})
    reply = db.session.execute(select(Comment).where(Comment.parent_id == first.id)).scalar_one()
    assert reply.body == "Booked for Thursday"
    assert count(Notification, Notification.user_id == priya.id, Notification.type == "mention") == 1

    studio.browser.submit(f"/w/{studio.workspace.slug}/comments/{first.id}/resolve", {"resolved": "1"})
    assert db.session.get(Comment, first.id).resolved_by_id == studio.owner.id
    page = studio.browser.get(base).get_data(as_text=True)
    assert "resolved" in page and "Booked for Thursday" in page
    empty = studio.browser.submit(f"{base}/comments", {"body": "  "})
    assert empty.status_code == 422
