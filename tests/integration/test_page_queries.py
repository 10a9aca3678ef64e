"""Pages run the same number of queries however big the workspace is, and long lists page."""
from sqlalchemy import event

from studio.extensions import db
from tests.factories import (
    add_member,
    make_asset,
    make_connection,
    make_workspace,
    owner_of,
)


def queries_for(client, url):
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return len(statements)


def test_workspace_pages_run_a_constant_number_of_queries(app):
    workspace = make_workspace()
    client = app.test_client().log_in_as(owner_of(workspace))
    urls = [f"/w/{workspace.slug}/", f"/w/{workspace.slug}/members", f"/w/{workspace.slug}/settings",
            f"/w/{workspace.slug}/connections", f"/w/{workspace.slug}/library/"]
    make_connection(workspace)
    small = [queries_for(client, url) for url in urls]
    for _ in range(25):
        add_member(workspace, "editor")
        make_connection(workspace)
        make_asset(workspace)
    assert [queries_for(client, url) for url in urls] == small


def test_the_members_list_pages_by_fifty(app):
    workspace = make_workspace()
    for _ in range(54):
        add_member(workspace, "viewer")
    client = app.test_client().log_in_as(owner_of(workspace))
    first = client.text(f"/w/{workspace.slug}/members")
    assert "55 members" in first and "Page 1 of 2" in first and first.count('id="member-') == 50
    second = client.text(f"/w/{workspace.slug}/members?page=2")
    assert second.count('id="member-') == 5


def test_the_library_grid_runs_the_same_queries_for_few_assets_and_many(app):
    """The grid, a search, each sort, the grid swapped alone and the next cards appended: as many
    queries with 3 assets as with 80 (light rows of one page at a time, counted in one query)."""
    from html import unescape
    from re import search

    workspace = make_workspace()
    client = app.test_client().log_in_as(owner_of(workspace))
    base = f"/w/{workspace.slug}/library/"
    urls = [base, f"{base}?q=clip", f"{base}?sort=title", f"{base}?q=clip&sort=largest", f"{base}?sort=longest",
            f"{base}?kind=video&sort=oldest"]

    def queries_for_htmx(client, url, headers):
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get(url, headers={"HX-Request": "true", **headers}).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    def counts():
        whole = [queries_for(client, url) for url in urls]
        grid = [queries_for_htmx(client, url, {"HX-Target": "library-grid"}) for url in urls]
        return whole, grid

    def next_cards(url):
        """The queries of the first "Load more" (the second page of cards, for htmx and without)."""
        more = unescape(search(r'class="load-more button" href="([^"]+)"', client.text(url)).group(1))
        return [queries_for_htmx(client, more, {}), queries_for(client, more)]

    for _ in range(3):
        make_asset(workspace)
    few = counts()
    for number in range(77):
        make_asset(workspace, kind="image" if number % 4 == 0 else "video",
                   status="processing" if number % 9 == 0 else "ready")
    assert counts() == few
    paged = [next_cards(url) for url in urls]
    assert paged == [[few[1][0] - 2, few[0][0]]] * len(urls)  # appended cards: no total, no usage


def test_the_calendar_runs_the_same_queries_for_few_posts_and_many(app):
    """The month (plain and with htmx, filtered), the week, the list, a day and the calendar's live
    poll: as many queries with one post as with 40 on one day and more across the month, to several
    accounts each."""
    import html
    import re
    from datetime import datetime, timedelta

    from tests.factories import make_post
    from tests.helpers import frozen_at

    with frozen_at("2026-11-01 09:00"):
        workspace = make_workspace()
        owner = owner_of(workspace)
        accounts = [make_connection(workspace, username=f"account_{number}") for number in range(3)]
        client = app.test_client().log_in_as(owner)
        calendar = f"/w/{workspace.slug}/calendar"
        make_post(workspace=workspace, author=owner, connections=accounts[:1], message="One",
                  scheduled_at=datetime(2026, 11, 5, 8, 0))
        pages = [(f"{calendar}?month=2026-11", {}), (f"{calendar}?month=2026-11", {"HX-Request": "true"}),
                 (f"{calendar}?month=2026-11&platform=sandbox&connection={accounts[0].id}&status=scheduled", {}),
                 (f"{calendar}?view=week&week=2026-11-05", {}), (f"{calendar}?view=list&month=2026-11", {}),
                 (f"{calendar}?view=day&day=2026-11-05", {"HX-Request": "true"})]

        def count(url, headers):
            statements = []
            listener = lambda *args: statements.append(args[2])  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
            try:
                assert client.get(url, headers=headers).status_code in (200, 204), url
            finally:
                event.remove(db.engine, "before_cursor_execute", listener)
            return len(statements)

        def counts():
            watched = client.get(pages[0][0]).get_data(as_text=True)
            poll = html.unescape(re.search(r'<div id="poll-calendar"[^>]*hx-get="([^"]+)"', watched).group(1))
            return [count(url, headers) for url, headers in [*pages, (poll, {"HX-Request": "true"})]]

        few = counts()
        for number in range(39):  # 40 on the 5th
            make_post(workspace=workspace, author=owner, connections=accounts[: 1 + number % 3], message=f"Batch {number}",
                      scheduled_at=datetime(2026, 11, 5, 9, 0) + timedelta(minutes=5 * number))
        for day in range(6, 27):
            make_post(workspace=workspace, author=owner, connections=accounts, message=f"Day {day}",
                      scheduled_at=datetime(2026, 11, day, 12, 0))
        assert counts() == few
