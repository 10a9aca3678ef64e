"""The composer refuses, before anything is scheduled, what each platform would refuse, and says
why next to the field concerned; the platform options it offers are what the adapters send."""
import re

from studio.extensions import db
from studio.publishing.models import Delivery, Post
from tests.factories import make_asset, make_connection, make_workspace, owner_of


def compose(client, workspace, **fields):
    return client.submit(f"/w/{workspace.slug}/posts/new", {"when": "now", "message": "Hello", **fields})


def error_after(html, field_id):
    """The error text shown in the same field block as the input `field_id`."""
    block = re.search(rf'<div class="field has-error">(?:(?!<div class="field).)*?id="{re.escape(field_id)}".*?</div>', html, re.S)
    assert block, f"no error next to {field_id}"
    return " ".join(re.findall(r'<p class="field-error"[^>]*>(.*?)</p>', block.group(0)))


def test_a_2300_character_tiktok_caption_is_refused_next_to_the_message(app):
    workspace = make_workspace()
    tiktok = make_connection(workspace, "tiktok", username="mayacooks")
    clip = make_asset(workspace, "video")
    client = app.test_client().log_in_as(owner_of(workspace))
    response = compose(client, workspace, connections=[tiktok.id], media=[clip.id], message="a" * 2300,
                       **{f"option-{tiktok.id}-shown": "1", f"option-{tiktok.id}-privacy_level": "SELF_ONLY"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "2,300 characters; TikTok allows 2,200" in error_after(html, "message")
    assert db.session.query(Post).count() == 0


def test_a_four_minute_short_is_refused_next_to_the_media(app):
    workspace = make_workspace()
    youtube = make_connection(workspace, "youtube", username="@kitchen")
    long_clip = make_asset(workspace, "video", title="Full recipe", duration_seconds=240.0)
    client = app.test_client().log_in_as(owner_of(workspace))
    response = compose(client, workspace, connections=[youtube.id], media=[long_clip.id],
                       **{f"option-{youtube.id}-shown": "1", f"option-{youtube.id}-format": "short"})
    assert response.status_code == 422
    assert "“Full recipe”: longer than 3 min (YouTube Shorts)" in error_after(response.get_data(as_text=True), "media")
    # The same video as a regular upload is fine.
    response = compose(client, workspace, connections=[youtube.id], media=[long_clip.id],
                       **{f"option-{youtube.id}-shown": "1", f"option-{youtube.id}-format": "video",
                          f"option-{youtube.id}-title": "Full recipe", f"option-{youtube.id}-privacy": "unlisted"})
    assert response.status_code == 303
    delivery = db.session.query(Delivery).one()
    assert delivery.options == {"format": "video", "title": "Full recipe", "privacy": "unlisted", "made_for_kids": False,
                                "tags": None}


def test_a_fifth_image_on_x_is_refused_next_to_the_media(app):
    workspace = make_workspace()
    x = make_connection(workspace, "x", username="northwind")
    images = [make_asset(workspace, "image") for _ in range(5)]
    client = app.test_client().log_in_as(owner_of(workspace))
    response = compose(client, workspace, connections=[x.id], media=[i.id for i in images])
    assert response.status_code == 422
    assert "5 images; X takes at most 4" in error_after(response.get_data(as_text=True), "media")


def test_tiktok_needs_an_explicit_privacy_choice_shown_next_to_that_option(app):
    workspace = make_workspace()
    tiktok = make_connection(workspace, "tiktok", username="mayacooks")
    clip = make_asset(workspace, "video")
    client = app.test_client().log_in_as(owner_of(workspace))
    response = compose(client, workspace, connections=[tiktok.id], media=[clip.id], **{f"option-{tiktok.id}-shown": "1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert error_after(html, f"option-{tiktok.id}-privacy_level") == "TikTok: choose who can watch"
    response = compose(client, workspace, connections=[tiktok.id], media=[clip.id],
                       **{f"option-{tiktok.id}-shown": "1", f"option-{tiktok.id}-privacy_level": "MUTUAL_FOLLOW_FRIENDS",
                          f"option-{tiktok.id}-mode": "direct"})
    assert response.status_code == 303
    assert db.session.query(Delivery).one().options == {"privacy_level": "MUTUAL_FOLLOW_FRIENDS", "mode": "direct",
                                                        "allow_comments": False}


def test_the_options_follow_the_accounts_chosen(app):
    workspace = make_workspace()
    youtube = make_connection(workspace, "youtube", username="@kitchen")
    linkedin = make_connection(workspace, "linkedin", username="maya", display_name="Maya Ortiz", account_id="782bbtaQ",
                               details={"organizations": [{"urn": "urn:li:organization:5515715", "name": "Northwind"}]})
    client = app.test_client().log_in_as(owner_of(workspace))
    html = client.submit(f"/w/{workspace.slug}/posts/options", {"connections": [youtube.id, linkedin.id]}).get_data(as_text=True)
    assert f'name="option-{youtube.id}-title"' in html and f'name="option-{youtube.id}-made_for_kids"' in html
    assert '<option value="urn:li:organization:5515715" >Northwind</option>' in html.replace("  ", " ")
    assert "Me (Maya Ortiz)" in html


def test_the_platform_rules_page_shows_the_table_the_composer_uses(app):
    workspace = make_workspace()
    html = app.test_client().log_in_as(owner_of(workspace)).text(f"/w/{workspace.slug}/posts/rules")
    assert "up to 2,200 characters" in html and "YouTube Shorts" in html and "4 images or 1 video, never both" in html
