"""Demo content for `flask studio seed-demo`: a small creator team, so every page has something real
to show. Each feature adds its own part here."""
import secrets
from datetime import timedelta

from studio.accounts import service
from studio.accounts.models import Invitation, Membership
from studio.database import utcnow
from studio.extensions import db

DEMO_EMAIL = "maya@example.com"
DEMO_PASSWORD = "northwind-demo-2026"

TEAM = [
    # (name, e-mail, role in Northwind Creators, time zone)
    ("Jordan Lee", "jordan@example.com", "admin", "America/New_York"),
    ("Priya Shah", "priya@example.com", "editor", "Europe/London"),
    ("Sam Carter", "sam@example.com", "viewer", "Australia/Sydney"),
]


def seed_demo():
    """Create the demo team once; returns False when the demo account already exists."""
    if service.find_user_by_email(DEMO_EMAIL):
        return False
    seed_accounts()
    db.session.commit()
    return True


def seed_accounts():
    maya = service.create_user(DEMO_EMAIL, "Maya Ortiz", DEMO_PASSWORD, timezone="America/Los_Angeles")
    northwind = service.create_workspace(maya, "Northwind Creators")
    for name, email, role, timezone in TEAM:
        user = service.create_user(email, name, DEMO_PASSWORD, timezone=timezone)
        db.session.add(Membership(workspace=northwind, user=user, role=role))
    service.create_workspace(maya, "Maya Cooks (personal)")

    # A client agency's workspace where Maya helps out as an editor.
    agency_owner = service.create_user("ines@example.org", "Inès Moreau", DEMO_PASSWORD, timezone="Europe/Paris")
    brightside = service.create_workspace(agency_owner, "Brightside Agency")
    db.session.add(Membership(workspace=brightside, user=maya, role="editor"))

    db.session.add(
        Invitation(
            workspace=northwind,
            email="alex.rivera@example.com",
            role="editor",
            invited_by=maya,
            token_hash=secrets.token_hex(32),  # a hash no link matches: the demo e-mail was never sent
            expires_at=utcnow() + timedelta(days=2),
        )
    )
    maya.last_workspace_id = northwind.id
