"""What the browser tests share: logging in through the form, as a person does."""
import re

from playwright.sync_api import expect

from tests.factories import PASSWORD


def log_in_through_the_form(page, live_server, email, password=PASSWORD):
    """Fill in the log-in form and send it; returns once the browser has left the log-in page.
    Each test then waits for what its person should land on."""
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(re.compile(r"/login(\?|$)"))
