"""Studio: a self-hostable creator studio. `create_app` builds the Flask application."""
import logging
import os
from pathlib import Path

from flask import Flask, g
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from studio.config import load_config
from studio.extensions import csrf, db, login_manager, migrate, oauth, scheduler

ROOT = Path(__file__).resolve().parent.parent


def create_app(config=None):
    """The application; `config` overrides what the environment says (tests use it)."""
    instance_path = (config or {}).get("INSTANCE_PATH") or os.environ.get("STUDIO_INSTANCE_PATH") or str(ROOT / "instance")
    from studio.library.uploads import StudioRequest

    app = Flask(
        __name__,
        instance_path=instance_path,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.request_class = StudioRequest
    app.config.update(load_config(app.instance_path))
    app.config.update(config or {})
    app.config.setdefault("MAX_CONTENT_LENGTH", None)
    if not app.config["MAX_CONTENT_LENGTH"]:
        # The largest single upload, plus room for the form around it.
        app.config["MAX_CONTENT_LENGTH"] = app.config["VIDEO_MAX_BYTES"] + 16 * 1024 * 1024
    if app.config["TRUSTED_PROXIES"]:
        count = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A file on this machine never drops a connection: a ping before every request would be a
        # query for nothing. PostgreSQL keeps the ping (a restart or a proxy can close connections).
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**app.config["SQLALCHEMY_ENGINE_OPTIONS"], "pool_pre_ping": False}
    init_extensions(app)
    init_logging(app)
    register_blueprints(app)
    register_web(app)
    register_cli(app)
    return app


def init_logging(app):
    from studio.ops.logs import init_logging as start

    start(app)


def init_extensions(app):
    from studio.sandbox.server import init_sandbox_server
    from studio.security.crypto import load_keyring

    app.extensions["studio_keyring"] = load_keyring(app.config, app.instance_path)
    db.init_app(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        from sqlalchemy import event

        from studio.database import tune_sqlite

        with app.app_context():
            event.listen(db.engine, "connect", tune_sqlite)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True,
                     include_object=include_in_migrations)
    csrf.init_app(app)
    oauth.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Log in to continue."
    login_manager.login_message_category = "info"

    from studio.accounts.service import logged_in_user
    from studio.web import send_to_login, wants_fragment

    @login_manager.user_loader
    def load_user(session_id):
        user_id, _, stamp = session_id.partition(".")
        whole_page = not wants_fragment()
        user = logged_in_user(int(user_id), with_memberships=whole_page) if user_id.isdigit() else None
        if user is None or stamp != user.session_stamp:
            return None
        if whole_page:
            g.memberships = list(user.memberships)  # the switcher's, loaded with the user
        return user

    login_manager.unauthorized_handler(send_to_login)
    init_sandbox_server(app)


def include_in_migrations(obj, name, type_, reflected, compare_to):
    """The full-text search index is the database's own (SQLite FTS5 tables, PostgreSQL expression
    indexes) and is made by hand in its migration; autogenerate must not try to drop it."""
    return not (name or "").startswith(("community_search", "playbook_search", "ix_fts_"))


def register_blueprints(app):
    from studio.accounts.views import bp as accounts_bp
    from studio.accounts.workspace_views import bp as workspaces_bp
    from studio.analytics import portal_views as client_analytics  # noqa: F401  # joins the portal blueprint
    from studio.analytics.views import bp as analytics_bp
    from studio.analytics.webhooks import bp as webhooks_bp
    from studio.billing.views import bp as billing_bp
    from studio.billing.views import webhooks as stripe_webhooks_bp
    from studio.coach import portal_views  # noqa: F401  # the coach's pages join the portal blueprint
    from studio.coach.staff_views import bp as coach_bp
    from studio.community.views import bp as community_bp
    from studio.connections.views import bp as connections_bp
    from studio.connections.views import callbacks as connection_callbacks_bp
    from studio.content import portal_views as client_content  # noqa: F401  # joins the portal blueprint
    from studio.content.views import bp as content_bp
    from studio.journey.views import bp as journey_bp  # also joins the clients and portal blueprints
    from studio.library.views import bp as library_bp
    from studio.library.views import links as media_links_bp
    from studio.ops.views import bp as ops_bp
    from studio.portal.staff_views import clients as clients_bp
    from studio.portal.staff_views import inbox as inbox_bp
    from studio.portal.views import bp as portal_bp
    from studio.publishing.views import bp as posts_bp
    from studio.publishing.views import feeds as calendar_feeds_bp
    from studio.sandbox.views import bp as sandbox_bp
    from studio.storefront.public_views import bp as storefront_bp
    from studio.storefront.views import bp as storefront_studio_bp

    app.register_blueprint(accounts_bp)
    app.register_blueprint(workspaces_bp)
    app.register_blueprint(connections_bp)
    app.register_blueprint(connection_callbacks_bp)
    app.register_blueprint(sandbox_bp)
    app.register_blueprint(library_bp)
    app.register_blueprint(media_links_bp)
    app.register_blueprint(posts_bp)
    app.register_blueprint(calendar_feeds_bp)
    app.register_blueprint(clients_bp)
    app.register_blueprint(inbox_bp)
    app.register_blueprint(portal_bp)
    app.register_blueprint(coach_bp)
    app.register_blueprint(analytics_bp)
    app.register_blueprint(content_bp)
    app.register_blueprint(journey_bp)
    app.register_blueprint(webhooks_bp)
    app.register_blueprint(community_bp)
    app.register_blueprint(billing_bp)
    app.register_blueprint(stripe_webhooks_bp)
    app.register_blueprint(storefront_bp)
    app.register_blueprint(ops_bp)
    app.register_blueprint(storefront_studio_bp)


def register_web(app):
    from zoneinfo import ZoneInfo

    from studio.accounts.roles import may_manage
    from studio.accounts.service import memberships_of
    from studio.platforms.limits import CAPTION_LIMITS
    from studio.security.access import can, fill_workspace_slug
    from studio.web import (
        add_security_headers,
        keep_signed_csrf,
        register_error_handlers,
        register_template_helpers,
        sign_csrf_once,
    )

    register_error_handlers(app)
    register_template_helpers(app)
    app.before_request(sign_csrf_once)
    app.after_request(keep_signed_csrf)
    app.after_request(add_security_headers)
    app.url_defaults(fill_workspace_slug)

    def navigation():
        """What the base layout needs, fetched only when a whole page renders (not for fragments):
        the user's workspaces for the switcher and the one the navigation points into."""
        if "navigation" not in g:
            memberships, current, portal = [], g.get("workspace"), g.get("portal_client")
            if current_user.is_authenticated and portal is None:
                memberships = g.memberships if "memberships" in g else memberships_of(current_user)
                if current is None:
                    by_id = {m.workspace_id: m.workspace for m in memberships}
                    current = by_id.get(current_user.last_workspace_id) or next(iter(by_id.values()), None)
                if current is None:  # a client with no team of their own: their portal is home
                    from studio.portal.service import clients_of_user

                    portal = next(iter(clients_of_user(current_user)), None)
            g.navigation = {"memberships": memberships, "workspace": None if portal else current, "portal": portal}
        return g.navigation

    @app.context_processor
    def template_helpers():
        return {"can": can, "may_manage": may_manage, "navigation": navigation, "sandbox_operator": sandbox_operator,
                "caption_limit": CAPTION_LIMITS.get, "tz": ZoneInfo}

    def sandbox_operator():
        from studio.sandbox.service import may_operate

        return app.config["SANDBOX_ENABLED"] and may_operate(current_user, app.config)


def register_cli(app):
    from studio.cli import studio_cli

    app.cli.add_command(studio_cli)


def start_scheduler(app):
    """Run the background jobs in this process (development); production runs `flask studio worker`."""
    from studio.jobs import register_jobs

    if scheduler.running or not app.config["SCHEDULER_ENABLED"]:
        return
    register_jobs(app)
    scheduler.start()
    logging.getLogger(__name__).info("scheduler started with %d jobs", len(scheduler.get_jobs()))
