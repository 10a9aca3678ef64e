"""A maker's storefront as visitors and the team live it: anyone reads it with no account and no
script, likes and comments need a log-in and count once, the team edits it and hides comments,
what the engine publishes with the showcase tick appears with its link and numbers, questions reach
the team only once their sender confirmed the address, and caches are told when the page changed."""
import re
import threading
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from studio.analytics import sync
from studio.database import utcnow
from studio.extensions import db
from studio.notify.models import Notification
from studio.publishing import engine
from studio.publishing.models import PublishedPost
from studio.storefront.models import Inquiry, StorefrontComment, StorefrontLike, StorefrontUpdate
from tests.factories import (
    add_member,
    make_asset,
    make_connection,
    make_service,
    make_showcase_video,
    make_stored_asset,
    make_storefront,
    make_studio,
    make_update,
    make_user,
    make_workspace,
    owner_of,
)
from tests.helpers import at_once, link_in


def person(name):
    """Someone with an account and no part in the maker's team."""
    user = make_user(name=name)
    db.session.commit()
    return user


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def maker(app):
    workspace = make_workspace(name="Northwind Kitchen")
    make_storefront(workspace, headline="Food videos from Portland", bio="We cook and film.", show_followers=True)
    make_service(workspace, "Recipe development", 45_000, "EUR")
    make_service(workspace, "Private class", 30_000, "USD", active=False)
    return workspace


def test_a_visitor_reads_the_page_with_no_account_and_a_like_needs_a_log_in(app, maker):
    owner = owner_of(maker)
    update = make_update(maker, owner, "Market day. Ramps are back.")
    make_showcase_video(maker, title="Lemon pasta in 60 seconds", views=9850, likes=702)
    make_connection(maker, username="northwind_kitchen", details={"stats": {"followers": 12_400}})
    visitor = app.test_client()

    response = visitor.get(f"/@{maker.slug}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Set-Cookie" not in response.headers  # nothing to remember about a reader
    assert "Northwind Kitchen" in page and "Recipe development" in page and "€450" in page
    assert "Private class" not in page  # a service turned off is not offered
    assert "Market day. Ramps are back." in page and "Lemon pasta in 60 seconds" in page and "9,850 views" in page
    assert "<strong>12,400</strong> followers on Sandbox" in page
    assert "12,400" in visitor.get(f"/@{maker.slug}/followers").get_data(as_text=True)  # polled by the open page
    assert f'<link rel="canonical" href="http://localhost/@{maker.slug}">' in page
    assert '<meta property="og:title" content="Northwind Kitchen">' in page and 'name="twitter:card"' in page
    assert "<form" not in page and "csrf" not in page  # a reader is sent nothing to post back

    # A visitor's heart is a link to log in and come back; a like sent with no log-in goes there too.
    assert f'href="/login?next=/@{maker.slug}" title="Log in to like"' in page
    liked = visitor.submit(f"/@{maker.slug}/updates/{update.id}/like", {"want": "1"})
    assert liked.status_code == 303 and liked.headers["Location"] == f"/login?next=/@{maker.slug}/updates/{update.id}"
    assert count(StorefrontLike) == 0

    assert visitor.get("/@no-such-maker").status_code == 404
    hidden = make_workspace(name="Not Yet")
    make_storefront(hidden, published=False)
    assert visitor.get(f"/@{hidden.slug}").status_code == 404
    preview = app.test_client().log_in_as(owner_of(hidden)).get(f"/w/{hidden.slug}/storefront/preview")
    assert preview.status_code == 200 and "Preview: this is how visitors see your page once you publish it" in preview.get_data(as_text=True)


def test_a_like_sent_twice_at_the_same_moment_counts_once(app, maker):
    update = make_update(maker, owner_of(maker))
    fan = person("Fan")
    browsers = [app.test_client().log_in_as(fan) for _ in range(2)]
    tokens = [browser.csrf_token() for browser in browsers]
    answers = []
    start = threading.Barrier(2)
    url = f"/@{maker.slug}/updates/{update.id}/like"

    def like(browser, token):
        with app.app_context():  # each click is a request of its own, with its own database session
            start.wait()
            answers.append(browser.post(url, data={"want": "1", "csrf_token": token},
                                        headers={"HX-Request": "true"}).status_code)
            db.session.remove()

    at_once(*(lambda b=b, t=t: like(b, t) for b, t in zip(browsers, tokens, strict=True)))
    db.session.expire_all()
    assert answers == [200, 200]
    assert count(StorefrontLike, StorefrontLike.update_id == update.id) == 1
    assert db.session.get(StorefrontUpdate, update.id).like_count == 1
    page = browsers[0].text(f"/@{maker.slug}")
    assert 'aria-pressed="true"' in page and re.search(r'class="like-count">1<', page)

    # Taking it back takes one off; taking it back twice takes nothing more.
    for _ in range(2):
        browsers[0].submit(url, {"want": "0"})
    assert db.session.get(StorefrontUpdate, update.id).like_count == 0

    # Liking and unliking over and over is rate-limited like liking is (each change counts).
    app.config["STOREFRONT_LIKES_PER_WINDOW"] = (4, 1)  # the 2 changes above, and 2 more
    assert browsers[0].submit(url, {"want": "1"}).status_code == 303
    assert browsers[0].submit(url, {"want": "0"}).status_code == 303
    refused = browsers[0].submit(url, {"want": "1"}, htmx=True)
    assert refused.status_code == 429 and "You can like or unlike 4 times every 1 minute" in refused.get_data(as_text=True)
    assert db.session.get(StorefrontUpdate, update.id).like_count == 0


def test_comments_are_rate_limited_and_the_team_hides_one(app, maker):
    app.config["STOREFRONT_COMMENTS_PER_WINDOW"] = (2, 10)
    owner = owner_of(maker)
    video = make_showcase_video(maker)
    fan = app.test_client().log_in_as(person("Fan Fiona"))
    url = f"/@{maker.slug}/videos/{video.id}"

    assert fan.submit(f"{url}/comments", {"body": "   "}).status_code == 422
    assert fan.submit(f"{url}/comments", {"body": "That pour!"}).status_code == 303
    again = fan.submit(f"{url}/comments", {"body": "That pour!"})
    assert again.status_code == 422 and "You posted this same comment a few minutes ago." in again.get_data(as_text=True)
    assert fan.submit(f"{url}/comments", {"body": "Recipe please"}).status_code == 303
    third = fan.submit(f"{url}/comments", {"body": "One more"})
    assert third.status_code == 422 and "You can comment 2 times every 10 minutes" in third.get_data(as_text=True)
    assert "One more" in third.get_data(as_text=True)  # what they wrote is still in the box
    assert db.session.get(PublishedPost, video.id).comment_count == 2

    # The team hides one: visitors no longer see it, the count follows, staff still see it marked.
    comment = db.session.execute(select(StorefrontComment).filter_by(body="Recipe please")).scalar_one()
    viewer = app.test_client().log_in_as(add_member(maker, "viewer"))
    assert viewer.submit(f"/w/{maker.slug}/storefront/comments/{comment.id}/hidden", {"hidden": "1"}).status_code == 403
    staff = app.test_client().log_in_as(owner)
    staff.submit(f"/w/{maker.slug}/storefront/comments/{comment.id}/hidden", {"hidden": "1"})
    staff.submit(f"/w/{maker.slug}/storefront/comments/{comment.id}/hidden", {"hidden": "1"})  # twice: counted once
    assert db.session.get(PublishedPost, video.id).comment_count == 1
    assert "Recipe please" not in app.test_client().get(url).get_data(as_text=True)
    assert "hidden</span>" in staff.text(url)


def test_a_video_published_through_the_engine_with_the_tick_appears_in_the_showcase_with_its_link_and_numbers(app, live_server):
    app.config.update(PUBLISH_BACKOFF_SECONDS=0, PUBLISH_TIMEOUT_SECONDS=5)
    studio = make_studio(name="Reel Kitchen", sandbox_accounts=("reel_kitchen", "reel_kitchen_too"))
    make_storefront(studio.workspace)
    video = make_stored_asset(studio.workspace, "video", 60_000)
    answer = studio.browser.submit(f"/w/{studio.workspace.slug}/posts/new", {
        "message": "Lemon pasta in 60 seconds", "connections": [c.id for c in studio.connections], "media": [video.id],
        "when": "now", "showcase": "y"})
    assert answer.status_code == 303, answer.get_data(as_text=True)[:2000]
    engine.run_until_idle()

    # Out on both accounts, the video shows once (the team may show the other from the Showcase tab).
    both = db.session.execute(select(PublishedPost).order_by(PublishedPost.id)).scalars().all()
    assert [(p.media_id, p.in_showcase) for p in both] == [(video.id, True), (video.id, False)]
    published = both[0]
    assert published.showcase_kind == "short" and published.url and "/sandbox/p/" in published.url
    with time_machine.travel(utcnow() + timedelta(hours=6)):  # the video has been watched for a while
        assert sync.sync([published]) == 1  # the sandbox's real metrics endpoint, over HTTP
    numbers = db.session.get(PublishedPost, published.id).metrics
    assert numbers["views"] > 0

    page = app.test_client().get(f"/@{studio.workspace.slug}").get_data(as_text=True)
    watch = re.search(r'<a class="sf-watch" href="([^"]+)"', page).group(1)
    assert watch.endswith(f"/sandbox/p/{published.platform_post_id}") and "Watch on Sandbox" in page
    assert f"{numbers['views']:,} views" in page and f"{numbers['likes']:,} likes" in page


def test_a_question_reaches_the_team_once_its_sender_opened_the_e_mailed_link(app, maker, outbox):
    service = make_service(maker, "Food styling", 60_000)
    owner = owner_of(maker)
    visitor = app.test_client()
    ask = f"/@{maker.slug}/services/{service.id}/ask"
    assert "Ask about “Food styling”" in visitor.get(ask).get_data(as_text=True)
    bad = visitor.submit(ask, {"name": "Dana", "email": "not an address", "body": "Hi"})
    assert bad.status_code == 422 and "Enter a valid e-mail address." in bad.get_data(as_text=True)

    sent = visitor.submit(ask, {"name": "Dana", "email": "Dana@Oatfield.example", "body": "Can you style our launch?"})
    assert sent.status_code == 200 and "We sent a link to <strong>dana@oatfield.example</strong>" in sent.get_data(as_text=True)
    staff = app.test_client().log_in_as(owner)
    assert "Dana" not in staff.text(f"/w/{maker.slug}/storefront/questions")  # not confirmed: not the team's yet
    assert count(Notification) == 0

    link = outbox.last_link_to("dana@oatfield.example")
    thread = visitor.get(link.replace("http://localhost", ""))
    assert thread.status_code == 200 and "your question is on its way" in thread.get_data(as_text=True)
    assert thread.headers["Cache-Control"] == "private, no-store"
    assert count(Notification, Notification.user_id == owner.id, Notification.type == "storefront_inquiry") == 1
    visitor.get(link.replace("http://localhost", ""))  # opened again: the team is not told twice
    assert count(Notification) == 1

    inquiry = db.session.execute(select(Inquiry)).scalar_one()
    assert "Can you style our launch?" in staff.text(f"/w/{maker.slug}/storefront/questions")
    staff.submit(f"/w/{maker.slug}/storefront/questions/{inquiry.id}", {"body": "Yes: €600 for a half day."})
    answer = outbox.to("dana@oatfield.example")[-1]
    assert "Yes: €600 for a half day." in answer.get_body(preferencelist=("plain",)).get_content()
    assert link_in(answer) == link
    tampered = link.replace("http://localhost", "")[:-3] + "abc"
    assert visitor.get(tampered).status_code == 404

    # The same address may ask three times an hour.
    for number in range(2):
        visitor.submit(ask, {"name": "Dana", "email": "dana@oatfield.example", "body": f"Also {number}"})
    refused = visitor.submit(ask, {"name": "Dana", "email": "dana@oatfield.example", "body": "And again"})
    assert refused.status_code == 422 and "Too many questions from here" in refused.get_data(as_text=True)


def test_the_page_answers_304_to_a_copy_that_is_current_and_200_once_anything_on_it_changed(app, maker):
    visitor = app.test_client()
    first = visitor.get(f"/@{maker.slug}")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert first.headers["Cache-Control"] == "public, max-age=0, must-revalidate" and "Cookie" in first.headers["Vary"]
    assert visitor.get(f"/@{maker.slug}", headers={"If-None-Match": etag}).status_code == 304
    assert visitor.get(f"/@{maker.slug}", headers={"If-Modified-Since": modified}).status_code == 304

    staff = app.test_client().log_in_as(owner_of(maker))
    staff.submit(f"/w/{maker.slug}/storefront/updates", {"body": "New: the winter menu."})
    changed = visitor.get(f"/@{maker.slug}", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and "New: the winter menu." in changed.get_data(as_text=True)
    assert changed.headers["ETag"] != etag

    # A logged-in reader's page is theirs (their likes, their form token): never validated for sharing.
    mine = staff.get(f"/@{maker.slug}", headers={"If-None-Match": changed.headers["ETag"]})
    assert mine.status_code == 200 and mine.headers["Cache-Control"] == "private, no-cache" and "ETag" not in mine.headers

    sitemap = visitor.get("/sitemap.xml").get_data(as_text=True)
    assert f"<loc>http://localhost/@{maker.slug}</loc>" in sitemap
    assert "Sitemap: http://localhost/sitemap.xml" in visitor.get("/robots.txt").get_data(as_text=True)


def test_the_team_builds_the_page_from_the_studio_and_bad_input_is_refused_beside_its_field(app, maker):
    staff = app.test_client().log_in_as(owner_of(maker))
    base = f"/w/{maker.slug}/storefront"
    refused = staff.submit(f"{base}/services", {"title": "Delivery", "price": "-5", "currency": "EUR", "type": "driver"})
    assert refused.status_code == 422 and "Use a price from 0 to 1,000,000." in refused.get_data(as_text=True)
    staff.submit(f"{base}/services", {"title": "Delivery", "price": "12.50", "currency": "GBP", "type": "driver",
                                      "active": "y"})
    assert "£12.50" in app.test_client().get(f"/@{maker.slug}").get_data(as_text=True)

    other = make_workspace(name="Elsewhere")
    their_image = make_asset(other, "image")
    wrong = staff.submit(base, {"display_name": "Northwind", "avatar": str(their_image.id)})
    assert wrong.status_code == 422 and "Choose one of the images in your library." in wrong.get_data(as_text=True)
    staff.submit(base, {"display_name": "Northwind Kitchen", "headline": "Food", "country": "us", "avatar": "0"})
    assert maker.country == "US"
    staff.submit(f"{base}/publish", {"published": "0"})
    assert app.test_client().get(f"/@{maker.slug}").status_code == 404
