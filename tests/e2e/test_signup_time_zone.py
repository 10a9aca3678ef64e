"""In a real browser set to Tokyo time: sign-up starts in Asia/Tokyo, and the new account keeps it."""
import re

from playwright.sync_api import expect
from sqlalchemy import select

from studio.accounts.models import User
from studio.extensions import db


def test_a_maker_in_tokyo_signs_up_in_tokyo_time(live_server, browser):
    context = browser.new_context(timezone_id="Asia/Tokyo", viewport={"width": 1280, "height": 860})
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page.goto(f"{live_server}/signup")
        expect(page.get_by_label("Time zone")).to_have_value("Asia/Tokyo")
        page.get_by_label("Your name").fill("Kenji Sato")
        page.get_by_label("E-mail").fill("kenji@example.com")
        page.get_by_label("Password").fill("short")
        page.get_by_role("button", name="Create account").click()
        expect(page.locator("#password-error")).to_be_visible()
        expect(page.get_by_label("Time zone")).to_have_value("Asia/Tokyo")

        page.get_by_label("Time zone").select_option("Asia/Seoul")  # changeable: the person knows best
        page.get_by_label("Password").fill("saffron-kettle-river-4")
        page.get_by_role("button", name="Create account").click()
        expect(page).to_have_url(re.compile(r"/w/kenji-s-workspace/$"))
        db.session.expire_all()
        assert db.session.execute(select(User)).scalar_one().timezone == "Asia/Seoul"
    finally:
        context.close()
