"""In a real browser: upload a short vertical video, watch the progress bar, and see its
thumbnail, duration and 9:16 appear without reloading the page."""

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from playwright.sync_api import expect

from studio.jobs import run_job
from tests.factories import PASSWORD, make_workspace, owner_of
from tests.helpers import wait_in_page
from tests.media import make_video


@pytest.fixture
def media_worker(app):
    """The same job the studio's scheduler runs, in a scheduler of the test's own."""
    worker = BackgroundScheduler(timezone="UTC")
    worker.add_job(run_job, "interval", seconds=0.5, args=[app, "process_media"], max_instances=1)
    worker.start()
    yield
    worker.shutdown(wait=True)


def test_upload_a_vertical_video_and_watch_it_become_ready(live_server, page, media_worker, tmp_path):
    video = make_video(tmp_path / "Morning walk.mp4", width=180, height=320, seconds=4, noise=True)
    assert video.stat().st_size > 1_000_000
    workspace = make_workspace(name="Walks")
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill(owner_of(workspace).email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("navigation", name="Workspace").get_by_role("link", name="Library").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Library")

    # A slow uplink, so the progress bar has something to show.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions",
             {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": 1024 * 1024})
    page.get_by_label("Upload videos or images").set_input_files(str(video))
    page.get_by_role("button", name="Upload", exact=True).click()
    progress = page.locator(".upload-progress progress")
    expect(progress).to_be_visible()
    wait_in_page(page, "document.querySelector('.upload-progress progress').value > 0")
    seen = page.evaluate("document.querySelector('.upload-progress progress').value")
    assert 0 < seen <= 100

    card = page.locator(".media-card").filter(has_text="Morning walk")
    expect(card).to_be_visible(timeout=20_000)
    url_before = page.url
    expect(card.locator("img")).to_be_visible(timeout=20_000)
    expect(card.locator(".duration")).to_have_text("0:04")
    expect(card.locator(".aspect")).to_have_text("9:16")
    assert page.url == url_before
    # The thumbnail really loads (an image answer, not an error page).
    wait_in_page(page, "(() => { const img = document.querySelector('.media-card img');"
                       " return img.complete && img.naturalWidth > 0; })()")
