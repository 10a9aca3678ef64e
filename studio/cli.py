"""`flask studio ...` commands."""
import signal
import time

import click
from flask import current_app
from flask.cli import with_appcontext

from studio import start_scheduler
from studio.extensions import db, scheduler
from studio.publishing import engine


@click.group("studio")
def studio_cli():
    """Studio's own commands."""


@studio_cli.command("seed-demo")
@with_appcontext
def seed_demo_command():
    """Fill an empty database with realistic demo content and print the demo log-in."""
    from studio.demo import DEMO_EMAIL, DEMO_PASSWORD, seed_demo

    created = seed_demo()
    if created:
        click.echo("Demo data created.")
    else:
        click.echo("Demo data already present; nothing changed.")
    click.echo(f"Demo log-in: {DEMO_EMAIL} / {DEMO_PASSWORD}")
    click.echo(f"A client's portal: rosa@example.com / {DEMO_PASSWORD}")


@studio_cli.command("create-user")
@click.option("--email", prompt=True)
@click.option("--name", prompt=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--workspace", "workspace_name", default=None, help="Name of the user's first workspace.")
@with_appcontext
def create_user_command(email, name, password, workspace_name):
    """Create an account with a workspace of its own."""
    from studio.accounts import service
    from studio.accounts.passwords import password_problem
    from studio.refusal import Refused

    problem = password_problem(password, email, name)
    if problem:
        raise click.ClickException(f"Password refused: {problem}")
    try:
        user = service.create_user(email, name, password)
    except Refused as refusal:
        raise click.ClickException(str(refusal))
    workspace = service.create_workspace(user, workspace_name or f"{user.name.split()[0]}'s workspace")
    db.session.commit()
    click.echo(f"Created {user.email} with workspace {workspace.name} (/w/{workspace.slug}/).")


@studio_cli.command("rotate-key")
@with_appcontext
def rotate_key_command():
    """Seal every stored token under a new key.

    With the development key ring (instance/token_keys) a new key is made and becomes current.
    With TOKEN_KEYS from the environment, put the new key first in TOKEN_KEYS, run this, and once
    it reports success remove the old key."""
    from studio.security.crypto import (
        KeyRing,
        keyring_file,
        new_key,
        new_key_id,
        reseal_all,
    )

    app = current_app._get_current_object()
    ring = app.extensions["studio_keyring"]
    if not app.config.get("TOKEN_KEYS"):
        # Save the new ring first, old keys kept: whatever happens next, every value still opens.
        ring = KeyRing({new_key_id(): new_key(), **ring.keys})
        keyring_file(app.instance_path).write_text(ring.serialize())
    app.extensions["studio_keyring"] = ring
    try:
        changed = reseal_all(db.session, db.metadata, ring)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    click.echo(f"Re-encrypted {changed} value{'s' if changed != 1 else ''} under key {ring.current_id}.")


@studio_cli.command("worker")
@click.option("--until-idle", is_flag=True, help="Publish everything due now, then exit (no other jobs).")
@with_appcontext
def worker_command(until_idle):
    """Run the background jobs in this process until stopped (production). SIGTERM (or Ctrl+C)
    stops it cleanly: nothing new is claimed, and each delivery in hand is finished or handed back."""
    app = current_app._get_current_object()

    def stop(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once is enough: a second one must not cut the stop short
        engine.stopping.set()
        if not until_idle:  # the publishing loop sees the flag itself; the idle loop below must be woken
            raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    if until_idle:
        click.echo(f"Handled {engine.run_until_idle()} deliveries.")
        return
    app.config["SCHEDULER_ENABLED"] = True
    start_scheduler(app)
    click.echo("Studio worker running; press Ctrl+C to stop.")
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        engine.stopping.set()
        click.echo("Stopping: finishing or handing back the deliveries in hand…")
        scheduler.shutdown(wait=True)


# ---- plans -------------------------------------------------------------------------------------


class LimitType(click.ParamType):
    """A limit: a whole number, or "unlimited" (also "none")."""

    name = "N|unlimited"

    def convert(self, value, param, ctx):
        if isinstance(value, int) or value in ("unlimited", "none"):
            return value
        if str(value).isdigit():
            return int(value)
        self.fail(f"{value!r} is not a whole number or 'unlimited'", param, ctx)


LIMIT = LimitType()
LIMIT_OPTIONS = {"generations": "ai_generations", "scheduled_posts": "scheduled_posts", "uploads": "uploads",
                 "seats": "seats", "accounts": "connected_accounts"}


@studio_cli.group("plans")
def plans_cli():
    """Plans and their limits: list them, create or change one, put a workspace on one."""


@plans_cli.command("list")
@with_appcontext
def list_plans_command():
    """Each plan with its limits (per month for AI generations, scheduled posts and uploads)."""
    from studio.billing import service

    for plan in service.all_plans():
        price = f", Stripe price {plan.stripe_price_id}" if plan.stripe_price_id else ""
        click.echo(f"{plan.key}: {plan.name} ({plan.price_label or 'no price shown'}{price})")
        limits = ", ".join(f"{'unlimited' if limit is None else limit} {label}{' a month' if monthly else ''}"
                           for label, limit, monthly in service.describe_limits(plan))
        click.echo(f"  {limits}")
    click.echo("Limits are on." if service.limits_on() else "Limits are off (STUDIO_USAGE_LIMITS=off): counted, never refused.")


@plans_cli.command("set")
@click.argument("key")
@click.option("--name", help="What the plan is called on the page.")
@click.option("--price-label", help='The price as shown, e.g. "$29 / month".')
@click.option("--price-id", help="The Stripe price its Checkout sells (price_…); 'none' to clear.")
@click.option("--position", type=int, help="Its place in the list of plans (smallest first).")
@click.option("--generations", type=LIMIT, help="AI generations a month.")
@click.option("--scheduled-posts", type=LIMIT, help="Scheduled posts a month.")
@click.option("--uploads", type=LIMIT, help="Uploads a month.")
@click.option("--seats", type=LIMIT, help="Members and pending invitations at any time.")
@click.option("--accounts", type=LIMIT, help="Connected accounts at any time.")
@with_appcontext
def set_plan_command(key, name, price_label, price_id, position, **limits):
    """Create the plan KEY or change it; a limit given as 'unlimited' is lifted, one not given is kept."""
    from studio.billing import service
    from studio.refusal import Refused

    values = {column: None if limits[option] in ("unlimited", "none") else limits[option]
              for option, column in LIMIT_OPTIONS.items() if limits[option] is not None}
    given = {"name": name, "price_label": price_label, "position": position, "stripe_price_id": price_id}
    values.update({column: value for column, value in given.items() if value is not None})
    if price_id == "none":
        values["stripe_price_id"] = None
    try:
        plan, created = service.save_plan(key, **values)
    except Refused as refusal:
        raise click.ClickException(str(refusal))
    click.echo(f"{'Created' if created else 'Saved'} plan {plan.key} ({plan.name}).")


@plans_cli.command("assign")
@click.argument("workspace_slug")
@click.argument("key")
@with_appcontext
def assign_plan_command(workspace_slug, key):
    """Put the workspace at /w/WORKSPACE_SLUG/ on the plan KEY."""
    from sqlalchemy import select

    from studio.accounts.models import Workspace
    from studio.billing import service
    from studio.refusal import Refused

    workspace = db.session.execute(select(Workspace).where(Workspace.slug == workspace_slug)).scalar_one_or_none()
    if workspace is None:
        raise click.ClickException(f"There is no workspace at /w/{workspace_slug}/.")
    try:
        plan = service.assign_plan(workspace, key)
    except Refused as refusal:
        raise click.ClickException(str(refusal))
    click.echo(f"{workspace.name} is on the {plan.name} plan.")
