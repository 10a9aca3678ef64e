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
