"""A busy month stays readable and quick: each day of the month shows its first few posts and
"+N more", a link that opens the day with every post on it, as a plain link and through htmx."""
import html
import re
from datetime import datetime, timedelta

from studio.extensions import db
from studio.publishing.models import Post
from tests.factories import add_member, make_connection, make_post, make_studio
from tests.helpers import frozen_at


def busy_bakery(posts_on_the_fifth=40):
    studio = make_studio(name="Busy Bakery")
    studio.owner.timezone = "Europe/Berlin"
    studio.workspace.plan = "agency"  # more scheduled posts in a month than Starter allows
    db.session.commit()
    kitchen = make_connection(studio.workspace, username="kitchen")
    street = make_connection(studio.workspace, username="street")
    studio.connections += [kitchen, street]
    for number in range(posts_on_the_fifth):  # 08:00, 08:10, … Berlin time, all on 5 November
        make_post(workspace=studio.workspace, author=studio.owner, connections=[kitchen, street][: 1 + number % 2],
                  message=f"Batch {number:02d} of croissants", timezone="Europe/Berlin",
                  scheduled_at=datetime(2026, 11, 5, 8, 0) + timedelta(minutes=10 * number))
    make_post(workspace=studio.workspace, author=studio.owner, connections=[kitchen], message="Quiet Sunday",
              timezone="Europe/Berlin", scheduled_at=datetime(2026, 11, 8, 10, 0))
    return studio


def cell(page, day):
    return page.split(f'data-date="{day}"')[1].split('role="gridcell"')[0]


def more_link(day_cell):
    match = re.search(r'<a ([^>]*)>\+(\d+) more</a>', day_cell)
    assert match, day_cell
    attributes = dict(re.findall(r'([\w-]+)="([^"]*)"', match.group(1)))
    assert attributes["hx-get"] == attributes["href"], "the same address with and without JavaScript"
    assert (attributes["hx-target"], attributes["hx-swap"], attributes["hx-push-url"]) == ("#calendar", "outerHTML", "true")
    return html.unescape(attributes["href"]), int(match.group(2))


@frozen_at("2026-11-01 09:00")
def test_a_day_with_40_posts_shows_three_and_37_more_which_opens_the_day(app):
    studio = busy_bakery()
    workspace, client = studio.workspace, studio.browser
    month = client.text(f"/w/{workspace.slug}/calendar?month=2026-11")

    fifth = cell(month, "2026-11-05")
    assert fifth.count('class="cal-post') == 3
    assert [re.sub(r"\s+", " ", shown) for shown in re.findall(r"<time>.*?</a>", fifth, re.S)] == [
        "<time>08:00</time> Batch 00 of croissants</a>", "<time>08:10</time> Batch 01 of croissants</a>",
        "<time>08:20</time> Batch 02 of croissants</a>"], "the day's first posts, in time order, in Berlin time"
    first = db.session.query(Post).filter_by(message="Batch 00 of croissants").one()
    assert f'href="/w/{workspace.slug}/posts/{first.id}"' in fifth
    assert f'href="/w/{workspace.slug}/posts/{first.id}" draggable="true" data-version="{first.version}"' in fifth
    assert "title=" not in fifth, "a short text shows whole: no need to repeat it on hover"
    address, more = more_link(fifth)
    assert more == 37 and "+37 more" in fifth
    assert address == f"/w/{workspace.slug}/calendar?view=day&day=2026-11-05"
    sunday = cell(month, "2026-11-08")
    assert "Quiet Sunday" in sunday and "more</a>" not in sunday

    # Without JavaScript: the link is an ordinary page with the whole day on it.
    day = client.get(address)
    page = day.get_data(as_text=True)
    assert day.status_code == 200 and "<html" in page
    assert "Thursday 5 November 2026" in page and 'aria-current="page">Day</a>' in page
    assert page.count('class="post-row') == 40 and "Quiet Sunday" not in page
    assert page.index("Batch 00 of croissants") < page.index("Batch 39 of croissants")
    assert "5 Nov 2026, 08:00 CET · 1 account" in page and "5 Nov 2026, 08:10 CET · 2 accounts" in page

    # With htmx: the same address answers with the calendar alone, swapped in place of the month.
    swapped = client.htmx_get(address)
    fragment = swapped.get_data(as_text=True)
    assert swapped.status_code == 200 and "<html" not in fragment
    assert fragment.lstrip().startswith('<section id="calendar"')
    assert fragment.count('class="post-row') == 40 and "Thursday 5 November 2026" in fragment
    assert f'hx-get="/w/{workspace.slug}/calendar?view=day&amp;day=2026-11-04"' in fragment, "the day before"


@frozen_at("2026-11-01 09:00")
def test_the_more_link_keeps_the_filters_and_the_week_view_bounds_its_days_too(app):
    studio = busy_bakery()
    workspace, client = studio.workspace, studio.browser
    street_id = studio.connections[1].id

    filtered = client.text(f"/w/{workspace.slug}/calendar?month=2026-11&connection={street_id}")
    address, more = more_link(cell(filtered, "2026-11-05"))
    assert more == 17, "20 of the 40 posts go to @street: 3 shown, 17 more"
    assert address == f"/w/{workspace.slug}/calendar?view=day&connection={street_id}&day=2026-11-05"
    assert client.text(address).count('class="post-row') == 20

    week = client.text(f"/w/{workspace.slug}/calendar?view=week&week=2026-11-05")
    fifth = cell(week, "2026-11-05")
    assert fifth.count('class="cal-post') == 12 and more_link(fifth)[1] == 28


@frozen_at("2026-11-01 09:00")
def test_an_empty_day_says_so(app):
    studio = busy_bakery(posts_on_the_fifth=1)
    page = studio.browser.text(f"/w/{studio.workspace.slug}/calendar?view=day&day=2026-11-06")
    assert "Friday 6 November 2026" in page and "Nothing on this day." in page


@frozen_at("2026-11-01 09:00")
def test_what_a_post_says_is_escaped_in_the_grid_and_only_editors_may_drag(app):
    """The grid is written in Python (views/calendar.py grid_html), not by an autoescaping template:
    a message with markup in it shows as text, in the entry and in its title."""
    studio = busy_bakery(posts_on_the_fifth=5)
    hostile = '<img src=x onerror=alert(1)> "Fresh" & <b>warm</b>, ' + "and the rest of a long message " * 3
    make_post(workspace=studio.workspace, author=studio.owner, connections=[studio.connections[0]], message=hostile,
              timezone="Europe/Berlin", scheduled_at=datetime(2026, 11, 12, 9, 0))
    month = studio.browser.text(f"/w/{studio.workspace.slug}/calendar?month=2026-11")
    twelfth = cell(month, "2026-11-12")
    assert "<img" not in twelfth and "<b>" not in twelfth
    written = "&lt;img src=x onerror=alert(1)&gt; &#34;Fresh&#34; &amp; &lt;b&gt;warm&lt;/b&gt;, and the rest"
    assert f'title="{written}' in twelfth, "the whole text on hover, as text"
    assert f"</time> {written}" in twelfth and "...</a>" in twelfth, "the entry shows its start"
    assert 'draggable="true"' in twelfth

    viewer = add_member(studio.workspace, "viewer")
    seen = app.test_client().log_in_as(viewer).text(f"/w/{studio.workspace.slug}/calendar?month=2026-11")
    assert 'draggable="true"' not in seen and "data-version" not in seen and "Batch 00 of croissants" in seen
