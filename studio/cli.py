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
