"""Who may reach what: the one place where workspaces are resolved and roles are checked."""
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache, wraps
from typing import Any, TypeVar, cast

from flask import Blueprint, abort, current_app, g
from flask_login import current_user
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import contains_eager
from sqlalchemy.orm.interfaces import ORMOption

from studio.accounts.models import Membership, Workspace
from studio.accounts.roles import ROLE_RANK, role_at_least
from studio.accounts.service import memberships_of
from studio.database import Base
from studio.extensions import db, login_manager
from studio.web import wants_fragment

View = TypeVar("View", bound=Callable[..., Any])
M = TypeVar("M", bound=Base)

# In a community (its `g.role`) the team moderates, and viewers and clients are members; a
# workspace's ranks are the accounts' own (studio.accounts.roles).
COMMUNITY_ROLES = ("moderator", "member")
COMMUNITY_RANK = {role: rank for rank, role in enumerate(reversed(COMMUNITY_ROLES))}


@dataclass(frozen=True)
class Scope:
    """Whose rows a request may reach: those whose `column` holds `owner_id` (a workspace's, a
    community's or a client's)."""

    column: str
    owner_id: int


def enter_scope(column: str, owner_id: int) -> None:
    g.scope = Scope(column, owner_id)


@cache  # built on first use, then run with values: every fragment of a workspace asks it
def _membership_in_a_workspace() -> Select[Membership]:
    return (
        select(Membership)
        .join(Workspace)
        .where(Workspace.slug == bindparam("slug"), Membership.user_id == bindparam("user_id"))
        .options(contains_eager(Membership.workspace))
    )


def load_membership(user_id: int, slug: str) -> Membership | None:
    """The user's membership in the workspace named by slug, or None when they do not belong."""
    return db.session.execute(_membership_in_a_workspace(), {"slug": slug, "user_id": user_id}).scalar_one_or_none()


def enter_workspace(slug: str) -> None:
    """Put the current user's workspace on `g`, or answer 404 so a stranger learns nothing.

    A whole page also draws the workspace switcher, which lists every membership of the user: one
    query then serves both (`g.memberships`); a fragment asks for the one membership only."""
    if wants_fragment():
        membership = load_membership(current_user.id, slug)
    else:
        if "memberships" not in g:  # loaded with the user (accounts.service.logged_in_user)
            g.memberships = memberships_of(current_user)
        membership = next((m for m in g.memberships if m.workspace.slug == slug), None)
    if membership is None:
        abort(404)
    g.membership = membership
    g.workspace = membership.workspace
    enter_scope("workspace_id", membership.workspace_id)


def current_role() -> str | None:
    membership = g.get("membership")
    return membership.role if membership else None


def can(minimum: str) -> bool:
    """For templates and views: does the current member hold at least this role? A community role
    ("moderator", "member") is asked of the community being visited."""
    if minimum in COMMUNITY_RANK:
        role = g.get("role")
        return role in COMMUNITY_RANK and COMMUNITY_RANK[role] >= COMMUNITY_RANK[minimum]
    role = current_role()
    return role is not None and role_at_least(role, minimum)


def requires_role(minimum: str) -> Callable[[View], View]:
    if minimum not in ROLE_RANK and minimum not in COMMUNITY_RANK:
        raise ValueError(f"unknown role {minimum!r}")

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not can(minimum):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_role = minimum  # type: ignore[attr-defined]  # read by the route walk in the tests
        return cast(View, wrapped)

    return decorator


@lru_cache(maxsize=256)  # one statement per model, owner column and loader options, run with values
def _row_of_an_owner(model: type[M], column: str, options: tuple[ORMOption, ...]) -> Select[M]:
    return (select(model).where(model.id == bindparam("row_id"), getattr(model, column) == bindparam("owner_id"))
            .options(*options))


def scoped_get_or_404(model: type[M], object_id: int, *options: ORMOption) -> M:
    """A row of the current scope by id (the workspace's, the community's or the client's; see
    `enter_scope`); anyone else's row answers 404. `options` are loader options (what a page shows
    of the row's relations, loaded with it), made once at module level: the statement is
    remembered by them, and options made on each call are new objects each time."""
    scope = g.scope
    statement = _row_of_an_owner(model, scope.column, options)
    row = db.session.execute(statement, {"row_id": object_id, "owner_id": scope.owner_id}).scalar_one_or_none()
    if row is None:
        abort(404)
    return row


def workspace_blueprint(name: str, import_name: str, url_prefix: str = "") -> Blueprint:
    """A blueprint whose routes live under /w/<ws>/: log-in required, strangers get 404.

    Views find the workspace on `g.workspace` and the member's role on `g.membership`; `url_for`
    fills in `ws` from the current workspace (see `fill_workspace_slug`).
    """
    blueprint = Blueprint(name, import_name, url_prefix=f"/w/<ws>{url_prefix}")

    @blueprint.url_value_preprocessor
    def take_slug(endpoint, values):
        g.workspace_slug = values.pop("ws", None) if values else None

    @blueprint.before_request
    def require_member():
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        enter_workspace(g.workspace_slug)

    return blueprint


def fill_workspace_slug(endpoint: str, values: dict[str, Any]) -> None:
    """App-wide url_defaults: links inside a workspace page stay in that workspace."""
    if "ws" in values or not g.get("workspace"):
        return
    if current_app.url_map.is_endpoint_expecting(endpoint, "ws"):
        values["ws"] = g.workspace.slug
