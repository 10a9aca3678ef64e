"""Makers keep videos and images in the library: checked by content, probed, thumbnailed, listed."""
import io
import os
import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from sqlalchemy import select

from studio.billing.models import UsageCounter
from studio.extensions import db
from studio.library import service
from studio.library.models import MediaAsset
from studio.library.storage import storage
from tests.factories import add_member, make_asset, make_studio, make_workspace, owner_of
from tests.media import make_image, make_video


@pytest.fixture(scope="session")
def media(tmp_path_factory):
    folder = tmp_path_factory.mktemp("media")
    vertical = make_video(folder / "Pasta night.mp4")
    truncated = folder / "cut.mp4"
    truncated.write_bytes(vertical.read_bytes()[: vertical.stat().st_size // 2])
    text = folder / "notes.mp4"
    text.write_text("These are my meeting notes, not a video.\n" * 50)
    return {
        "vertical": vertical,
        "horizontal": make_video(folder / "wide.mp4", width=640, height=360, seconds=2),
        "image": make_image(folder / "cover.png"),
        "truncated": truncated,
        "text": text,
    }


@pytest.fixture
def maker(app):
    return make_studio(name="Clipworks")


def upload(client, workspace, *paths, htmx=False):
    files = [(io.BytesIO(path.read_bytes()), path.name) for path in paths]
    return client.submit(f"/w/{workspace.slug}/library/upload", {"files": files}, htmx=htmx,
                         content_type="multipart/form-data")


def assets():
    db.session.expire_all()
    return db.session.execute(select(MediaAsset).order_by(MediaAsset.id)).scalars().all()


def test_a_vertical_video_is_probed_and_thumbnailed(maker, media):
    workspace, client = maker.workspace, maker.browser
    response = upload(client, workspace, media["vertical"], htmx=True)
    assert response.status_code == 200
    assert "Pasta night.mp4 is uploaded and being processed." in response.get_data(as_text=True)
    [asset] = assets()
    assert (asset.status, asset.kind, asset.content_type, asset.title) == ("processing", "video", "video/mp4", "Pasta night")
    assert 'hx-trigger="every 2s"' in response.get_data(as_text=True), "the card polls until processed"

    assert service.process_pending() == 1
    [asset] = assets()
    assert asset.status == "ready"
    assert (asset.width, asset.height, asset.aspect_ratio, asset.orientation) == (360, 640, "9:16", "vertical")
    assert asset.duration_seconds == pytest.approx(3.0, abs=0.1)
    assert asset.video_codec == "h264" and asset.audio_codec == "aac" and asset.frame_rate == 30.0
    assert storage().exists(asset.storage_key) and storage().exists(asset.thumbnail_key)

    card = client.get(f"/w/{workspace.slug}/library/{asset.id}/card").get_data(as_text=True)
    assert "9:16" in card and "0:03" in card and "/thumbnail" in card and "every 2s" not in card
    thumbnail = client.get(f"/w/{workspace.slug}/library/{asset.id}/thumbnail")
    assert thumbnail.status_code == 200 and thumbnail.data[:3] == b"\xff\xd8\xff"
    assert client.get(f"/w/{workspace.slug}/library/{asset.id}/file").data == media["vertical"].read_bytes()


def test_several_files_at_once_and_images_too(maker, media):
    workspace, client = maker.workspace, maker.browser
    response = upload(client, workspace, media["horizontal"], media["image"])
    assert response.status_code == 303
    service.process_pending()
    video, image = assets()
    assert (video.aspect_ratio, video.orientation) == ("16:9", "horizontal")
    assert (image.kind, image.content_type, image.aspect_ratio, image.duration_seconds) == ("image", "image/png", "4:5", None)
    counter = db.session.execute(select(UsageCounter)).scalar_one()
    assert counter.uploads == 2 and counter.bytes_uploaded == video.size_bytes + image.size_bytes


def test_the_same_file_twice_is_recognised_by_its_hash(maker, media):
    workspace, client = maker.workspace, maker.browser
    upload(client, workspace, media["vertical"])
    renamed = media["vertical"].parent / "copy of pasta.mp4"
    renamed.write_bytes(media["vertical"].read_bytes())
    response = upload(client, workspace, renamed, htmx=True)
    assert "copy of pasta.mp4 is already in the library as “Pasta night”." in response.get_data(as_text=True)
    assert len(assets()) == 1


@pytest.mark.parametrize("name, message", [
    ("text", "notes.mp4 is not a video or image we can read (we look at the content, not the name)."),
    ("truncated", "cut.mp4: The file could not be read as a video or image; it may be damaged or cut short."),
])
def test_unreadable_files_are_refused_and_nothing_is_kept(maker, media, name, message):
    workspace, client = maker.workspace, maker.browser
    response = upload(client, workspace, media[name], htmx=True)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert assets() == [] and storage().keys() == []


def test_a_file_over_the_limit_is_refused(maker, media, app):
    workspace, client = maker.workspace, maker.browser
    app.config["VIDEO_MAX_BYTES"] = 10 * 1024
    response = upload(client, workspace, media["vertical"], htmx=True)
    assert response.status_code == 422
    assert "Pasta night.mp4 is" in response.get_data(as_text=True) and "the limit for a video is 10 KB" in response.get_data(as_text=True)
    assert assets() == [] and storage().keys() == []


def test_uploads_leave_no_temporary_files(maker, media, app):
    workspace, client = maker.workspace, maker.browser
    upload(client, workspace, media["vertical"], media["text"])
    folder = os.path.join(app.instance_path, "uploads-tmp")
    assert os.listdir(folder) == []


def test_a_file_that_cannot_be_processed_fails_with_the_reason(maker, media):
    workspace, client = maker.workspace, maker.browser
    upload(client, workspace, media["vertical"])
    [asset] = assets()
    path = storage().path(asset.storage_key)
    path.unlink()
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100)  # the file went bad in storage
    service.process_pending()
    [asset] = assets()
    assert asset.status == "failed" and "could not be read" in asset.error
    page = client.text(f"/w/{workspace.slug}/library/{asset.id}")
    assert "Processing failed" in page


def test_only_one_worker_claims_an_asset(app):
    asset = make_asset(make_workspace(), status="processing")
    assert service.claim(asset.id) is True
    assert service.claim(asset.id) is False


def test_filters_search_sort_and_paging(maker):
    workspace, client = maker.workspace, maker.browser
    for number in range(26):
        make_asset(workspace, title=f"Recipe {number:02d}")
    make_asset(workspace, kind="image", title="Cover photo", orientation="horizontal", aspect_ratio="16:9")
    url = f"/w/{workspace.slug}/library/"
    first = client.text(url)
    assert first.count('class="media-card') == 24 and "27 items" in first and 'hx-trigger="revealed"' in first
    more = client.htmx_get(load_more(first)).get_data(as_text=True)
    assert more.count('class="media-card') == 3 and "<html" not in more and "revealed" not in more
    images = client.get(url + "?kind=image", headers={"HX-Request": "true", "HX-Target": "library-grid"})
    html = images.get_data(as_text=True)
    assert html.count('class="media-card') == 1 and "Cover photo" in html and 'id="library-grid"' in html
    found = client.text(url + "?q=recipe+07")
    assert found.count('class="media-card') == 1
    make_asset(workspace, title="50% off_now/today")
    make_asset(workspace, title="500 offxnow")
    for words in ("50%25", "off_now", "now/today", "OFF_NOW/"):  # %, _ and / are letters, not wildcards
        found = client.text(f"{url}?q={words}")
        assert found.count('class="media-card') == 1 and "50% off_now/today" in found, words
    titles = client.text(url + "?sort=title")
    assert titles.index("Cover photo") < titles.index("Recipe 00")


def load_more(html):
    """The address of the "Load more" link at the end of the grid (None on the last page)."""
    found = re.search(r'class="load-more button" href="([^"]+)"', html)
    return unescape(found.group(1)) if found else None


def card_ids(html):
    return [int(number) for number in re.findall(r'id="asset-(\d+)"', html)]


def walk(client, url, htmx):
    """Every card of the grid, page after page through "Load more", as a browser with or without
    JavaScript would; the pages of cards seen."""
    pages, html = [], client.text(url)
    while True:
        pages.append(card_ids(html))
        url = load_more(html)
        if url is None:
            return pages
        answer = client.htmx_get(url) if htmx else client.get(url)
        assert answer.status_code == 200
        html = answer.get_data(as_text=True)
        assert ("<html" in html) is not htmx


def test_load_more_continues_each_sort_with_none_repeated_or_skipped_across_ties(maker):
    """Keyset pages: many assets share a time, a size, a duration (or have none) and a title (in
    another case), and every sort still shows each asset once, in its order, with or without htmx."""
    workspace, client = maker.workspace, maker.browser
    moment = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    made = []
    for number in range(60):
        asset = make_asset(workspace, title=("Alpha", "alpha", "Beta")[number % 3], size_bytes=1000 * (number % 3),
                           duration_seconds=None if number % 4 == 0 else 10.0 * (number % 2),
                           created_at=moment + timedelta(minutes=number // 25))
        made.append(asset)
    expected = {
        "newest": sorted(made, key=lambda a: (a.created_at, a.id), reverse=True),
        "oldest": sorted(made, key=lambda a: (a.created_at, a.id)),
        "largest": sorted(made, key=lambda a: (a.size_bytes, a.id), reverse=True),
        # No duration (images) comes last.
        "longest": sorted(made, key=lambda a: (a.duration_seconds is not None, a.duration_seconds or 0, a.id),
                          reverse=True),
        "title": sorted(made, key=lambda a: (a.title.lower(), a.id)),
    }
    url = f"/w/{workspace.slug}/library/"
    for sort, order in expected.items():
        for htmx in (True, False):
            pages = walk(client, f"{url}?sort={sort}", htmx)
            assert [len(page) for page in pages] == [24, 24, 12], (sort, htmx)
            assert sum(pages, []) == [asset.id for asset in order], (sort, htmx)
    # A search and a sort together: the cursor carries both on.
    pages = walk(client, f"{url}?q=alpha&sort=largest", htmx=True)
    alphas = [a.id for a in expected["largest"] if a.title.lower() == "alpha"]
    assert [len(page) for page in pages] == [24, 16] and sum(pages, []) == alphas


def test_a_cursor_that_is_not_ours_shows_the_first_page(maker):
    workspace, client = maker.workspace, maker.browser
    for number in range(3):
        make_asset(workspace, title=f"Clip {number}")
    url = f"/w/{workspace.slug}/library/"
    first = card_ids(client.text(url))
    for cursor in ("nonsense", "12", "x~2026", "99999999999999999999~2026-01-01T00:00:00+00:00", "1~2026-01-01",
                   "1~not-a-date"):
        assert card_ids(client.text(f"{url}?after={cursor}")) == first, cursor
    assert len(card_ids(client.text(f"{url}?sort=largest&after=1~{'9' * 30}"))) == 3
    assert len(card_ids(client.text(f"{url}?sort=longest&after=1~"))) == 0  # after the last one with no duration


def test_a_processing_card_polls_itself_and_links_to_its_asset(maker):
    workspace, client = maker.workspace, maker.browser
    waiting = make_asset(workspace, status="processing", duration_seconds=None)
    html = client.text(f"/w/{workspace.slug}/library/")
    base = f"/w/{workspace.slug}/library/{waiting.id}"
    assert f'hx-get="{base}/card" hx-trigger="every 2s"' in html and f'href="{base}"' in html
    card = client.text(f"{base}/card")
    assert f'hx-get="{base}/card"' in card and f'href="{base}"' in card and "Processing…" in card


def test_rename_and_delete_remove_the_files(maker, media):
    workspace, client = maker.workspace, maker.browser
    upload(client, workspace, media["vertical"])
    service.process_pending()
    [asset] = assets()
    keys = [asset.storage_key, asset.thumbnail_key]
    bad = client.submit(f"/w/{workspace.slug}/library/{asset.id}/rename", {"title": ""})
    assert bad.status_code == 422 and "Give it a title." in bad.get_data(as_text=True)
    client.submit(f"/w/{workspace.slug}/library/{asset.id}/rename", {"title": "Pasta night, final cut"})
    assert assets()[0].title == "Pasta night, final cut"
    client.submit(f"/w/{workspace.slug}/library/{asset.id}/delete")
    assert assets() == [] and not any(storage().exists(key) for key in keys)


def test_the_detail_page_says_where_the_asset_fits(maker):
    workspace, client = maker.workspace, maker.browser
    vertical = make_asset(workspace, duration_seconds=45.0)
    wide = make_asset(workspace, width=1920, height=1080, aspect_ratio="16:9", orientation="horizontal", duration_seconds=200.0)
    page = client.text(f"/w/{workspace.slug}/library/{vertical.id}")
    assert "Instagram Reels</td>\n          <td><span class=\"badge status active\">yes" in page
    page = client.text(f"/w/{workspace.slug}/library/{wide.id}")
    assert "needs 9:16, this is 16:9" in page and "longer than 3 min" in page and "needs a vertical picture" in page


def test_a_viewer_browses_but_cannot_upload(app, media):
    workspace = make_workspace()
    viewer = add_member(workspace, "viewer")
    client = app.test_client().log_in_as(viewer)
    assert "Upload videos or images" not in client.text(f"/w/{workspace.slug}/library/")
    assert upload(client, workspace, media["image"]).status_code == 403


def test_signed_links_open_the_file_until_they_expire(maker, media, app):
    import time

    workspace, client = maker.workspace, maker.browser
    upload(client, workspace, media["image"])
    [asset] = assets()
    with app.test_request_context():
        url = service.signed_file_url(asset)
    anonymous = app.test_client()
    assert anonymous.get(url).data == media["image"].read_bytes()
    assert anonymous.get(url[:-3] + "xyz").status_code == 404
    app.config["MEDIA_LINK_SECONDS"] = 0
    time.sleep(1.1)
    assert anonymous.get(url).status_code == 404


def test_an_upload_cut_off_halfway_leaves_no_orphan(app, live_server, media):
    """A client that disconnects mid-upload leaves no row, no stored file and no temporary file."""
    import re
    import socket
    import time
    from urllib.parse import urlsplit

    from tests.factories import PASSWORD
    from tests.helpers import HttpBrowser

    workspace = make_workspace(name="Half Done")
    browser = HttpBrowser(live_server)
    browser.log_in(owner_of(workspace).email, PASSWORD)
    page = browser.get(f"/w/{workspace.slug}/library/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    boundary = "studio-test-boundary"
    content = os.urandom(2 * 1024 * 1024)
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"big.mp4\"\r\n"
            f"Content-Type: video/mp4\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    address = urlsplit(live_server)
    cookie = "; ".join(f"{c.name}={c.value}" for c in browser.http.cookies)
    head = (f"POST /w/{workspace.slug}/library/upload HTTP/1.1\r\nHost: {address.netloc}\r\nCookie: {cookie}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    with socket.create_connection((address.hostname, address.port)) as connection:
        connection.sendall(head + body[: len(body) // 2])  # then the connection drops
    time.sleep(1.0)
    assert assets() == [] and storage().keys() == []
    assert os.listdir(os.path.join(app.instance_path, "uploads-tmp")) == []


def test_zero_storage_releases_the_file_and_keeps_the_details(maker, media, app):
    workspace, client = maker.workspace, maker.browser
    upload(client, workspace, media["image"])
    service.process_pending()
    [asset] = assets()
    key = asset.storage_key
    assert service.release_file(asset) is False, "off unless ZERO_STORAGE is set"
    app.config["ZERO_STORAGE"] = True
    assert service.release_file(asset) is True
    [asset] = assets()
    assert asset.storage_key is None and asset.file_deleted_at and not storage().exists(key)
    assert storage().exists(asset.thumbnail_key) and asset.width == 800
    assert client.get(f"/w/{workspace.slug}/library/{asset.id}/file").status_code == 404
    assert "The file was released after publishing" in client.text(f"/w/{workspace.slug}/library/{asset.id}")
