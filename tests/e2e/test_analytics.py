"""In a real browser: the demo's Analytics page, a range switched with htmx (the address follows),
and a CSV download whose rows are the table's."""
import csv
import re

from playwright.sync_api import expect

from studio.demo import DEMO_EMAIL, DEMO_PASSWORD
from tests.e2e.browser import log_in_through_the_form


def test_the_demo_analytics_page_switches_range_and_downloads_its_table(app, live_server, new_page):
    app.test_cli_runner().invoke(args=["studio", "seed-demo"])
    page = new_page()
    log_in_through_the_form(page, live_server, DEMO_EMAIL, DEMO_PASSWORD)
    page.get_by_role("navigation", name="Workspace").get_by_role("link", name="Analytics").click()
    expect(page.get_by_role("heading", name="Analytics")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("^Followers from"))).to_be_visible()

    page.evaluate("window.beforeSwitch = true")  # gone if the page were loaded again rather than swapped
    page.get_by_role("navigation", name="Range").get_by_role("link", name="7 days").click()
    expect(page).to_have_url(re.compile(r"/analytics\?range=7$"))
    expect(page.get_by_text("· 7 days")).to_be_visible()
    assert page.evaluate("window.beforeSwitch") is True, "the range switched in place, with htmx"

    page.get_by_text("The numbers, day by day").click()
    shown = [[cell.strip().replace(",", "") for cell in row] for row in page.locator("#days-table tbody tr").evaluate_all(
        "(rows) => rows.map(r => [...r.cells].map(c => c.textContent))")]
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the days as CSV").click()
    with open(download.value.path(), newline="") as file:
        rows = list(csv.reader(file))
    assert rows[0] == ["date", "views", "engagement", "followers"] and len(rows) == len(shown) + 1 == 8
    assert [row[1:] for row in rows[1:]] == [[views, engagement, followers.replace("—", "")]
                                            for _, views, engagement, followers in shown]
