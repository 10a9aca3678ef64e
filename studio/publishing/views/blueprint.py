"""The publishing blueprint: its pages live under /w/<ws>/ (posts, calendar, status), its
private calendar feed at /calendar/<token>.ics."""

from flask import Blueprint
from flask_login import current_user

from studio.library import service as library
from studio.publishing import service
from studio.security.access import workspace_blueprint

bp = workspace_blueprint("posts", __name__)
feeds = Blueprint("calendar_feeds", __name__)


@bp.record_once
def offer_posts_using(state):
    """The library asks this before it deletes a file, or lets zero storage release it."""
    library.register_asset_uses(state.app, service.posts_using)


def viewer_zone():
    return current_user.timezone or "UTC"
