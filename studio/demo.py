"""Demo content for `flask studio seed-demo`: a small creator team, so every page has something real
to show. Each feature adds its own part here."""
import io
import secrets
import subprocess
import tempfile
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from studio.accounts import service
from studio.accounts.models import Invitation, InvitationKind, Membership
from studio.analytics.demo import seed_analytics
from studio.billing.demo import seed_billing
from studio.coach.demo import seed_coach
from studio.community import events, members, messages, moderation, posting
from studio.community.models import ChannelType, EventType, RsvpStatus, Topic, TopicType
from studio.connections.models import PlatformConnection, SocialLink
from studio.content.demo import seed_content
from studio.database import utcnow
from studio.extensions import db
from studio.journey.demo import seed_journey
from studio.library import probe
from studio.library import service as library
from studio.library.models import MediaAsset
from studio.library.storage import storage
from studio.notify.models import Notification
from studio.platforms import get_platform
from studio.portal import service as portal
from studio.portal.models import Client, Deliverable, Message, PortalFile, Thread
from studio.publishing import service as publishing
from studio.publishing.models import PublishAttempt, PublishedPost
from studio.sandbox.models import SandboxAccount, SandboxPost
from studio.sandbox.service import issue_tokens
from studio.storefront.demo import seed_storefront
from studio.urls import public_base_url

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
    northwind = seed_accounts()
    seed_connections(northwind)
    db.session.commit()
    seed_library(northwind)
    seed_posts(northwind)
    seed_portal(northwind)
    seed_community(northwind)
    seed_coach(northwind)
    seed_analytics(northwind)
    seed_content(northwind)
    seed_journey(northwind)
    seed_billing(northwind)
    seed_storefront(northwind)
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
    return northwind


def seed_connections(workspace):
    """A working Sandbox account, one whose tokens the platform revoked, and profile links."""
    owner = next(m.user for m in workspace.memberships if m.role == "owner")
    kitchen = SandboxAccount(handle="northwind_kitchen", display_name="Northwind Kitchen", owner_user_id=owner.id,
                             created_at=utcnow() - timedelta(days=40))
    travel = SandboxAccount(handle="northwind_travel", display_name="Northwind Travel", owner_user_id=owner.id,
                            created_at=utcnow() - timedelta(days=90))
    db.session.add_all([kitchen, travel])
    db.session.flush()
    access, refresh = issue_tokens(kitchen, timedelta(hours=1), get_platform("sandbox").client_id)
    db.session.add(PlatformConnection(
        workspace_id=workspace.id, platform="sandbox", account_id=str(kitchen.id), username=kitchen.handle,
        display_name=kitchen.display_name, access_token=access, refresh_token=refresh,
        expires_at=utcnow() + timedelta(hours=1), scope="profile publish metrics", connected_by_id=owner.id,
        last_refreshed_at=utcnow(), last_used_at=utcnow() - timedelta(minutes=20),
    ))
    db.session.add(PlatformConnection(
        workspace_id=workspace.id, platform="sandbox", account_id=str(travel.id), username=travel.handle,
        display_name=travel.display_name, access_token=None, refresh_token=None, status="expired",
        expires_at=utcnow() - timedelta(days=2), scope="profile publish", connected_by_id=owner.id,
        last_error="The sandbox refused the refresh token (invalid_grant). Reconnect the account.",
        last_refreshed_at=utcnow() - timedelta(days=3),
    ))
    for position, (label, url) in enumerate([("Website", "https://northwind.example.com"),
                                             ("Instagram", "https://instagram.com/northwind.cooks"),
                                             ("YouTube", "https://youtube.com/@northwindkitchen")]):
        db.session.add(SocialLink(workspace_id=workspace.id, label=label, url=url, position=position))


DEMO_MEDIA = [
    # (file name, width, height, seconds): made by ffmpeg, so the library has real, playable files.
    ("Lemon pasta in 60 seconds.mp4", 360, 640, 8),
    ("Market tour, Saturday.mp4", 640, 360, 12),
    ("Knife skills - quick tip.mp4", 480, 480, 5),
    ("Cover - autumn menu.png", 1080, 1350, None),
    ("Team photo.jpg", 1200, 800, None),
]


def seed_library(workspace):
    """A few real videos and images, taken in and processed exactly as uploads are."""


    owner = next(m.user for m in workspace.memberships if m.role == "owner")
    with tempfile.TemporaryDirectory(prefix="studio-demo-") as folder:
        for name, width, height, seconds in DEMO_MEDIA:
            path = Path(folder) / name
            source = ["-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate=30"]
            if seconds:
                command = [*source, "-f", "lavfi", "-i", "sine=frequency=330", "-t", str(seconds), "-c:v", "libx264",
                           "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path)]
            else:
                command = [*source, "-frames:v", "1", str(path)]
            subprocess.run([probe.ffmpeg(), "-v", "error", "-y", *command], check=True, timeout=120)
            library.ingest(workspace, owner, path, name)
    while library.process_pending():
        pass


def seed_posts(workspace):
    """A month of activity: posts already out (really on the sandbox), more scheduled ahead, one
    that failed and waits for a decision, and a draft."""

    owner = next(m.user for m in workspace.memberships if m.role == "owner")
    zone = owner.timezone
    kitchen = db.session.execute(db.select(PlatformConnection).where(
        PlatformConnection.workspace_id == workspace.id, PlatformConnection.status == "active")).scalars().first()
    reel = db.session.execute(db.select(MediaAsset).where(MediaAsset.workspace_id == workspace.id,
                                                          MediaAsset.aspect_ratio == "9:16")).scalars().first()
    now = datetime.now(ZoneInfo(zone)).replace(minute=0, second=0, microsecond=0, tzinfo=None)

    for days_ago, hour, text in ((9, 18, "Sunday ragu: low and slow, six hours. Recipe in bio."),
                                 (5, 12, "Knife skills, part 3: the rolling cut."),
                                 (2, 8, "Market haul! Ramps are back.")):
        when = (now - timedelta(days=days_ago)).replace(hour=hour)
        post = publishing.create_post(workspace, owner, text, {}, [kitchen], [], "schedule", when, zone)
        delivery = post.deliveries[0]
        remote = SandboxPost(account_id=int(kitchen.account_id), text=text, client_reference=delivery.client_reference,
                             created_at=post.scheduled_at)
        db.session.add(remote)
        db.session.flush()
        url = f"{public_base_url()}/sandbox/p/{remote.id}"
        delivery.status, delivery.attempt_count, delivery.platform_post_id = "published", 1, str(remote.id)
        delivery.platform_url, delivery.published_at = url, post.scheduled_at
        delivery.attempts.append(PublishAttempt(number=1, worker="demo", outcome="published", started_at=post.scheduled_at,
                                                duration_ms=240, response={"id": remote.id}))
        db.session.add(PublishedPost(workspace_id=workspace.id, delivery_id=delivery.id, connection_id=kitchen.id,
                                     platform="sandbox", platform_post_id=str(remote.id), url=url, caption=text,
                                     published_at=post.scheduled_at))
        post.status = "published"
    failed = publishing.create_post(workspace, owner, "Giveaway: tag a friend who loves pasta!", {}, [kitchen], [], "schedule",
                                 (now - timedelta(days=1)).replace(hour=19), zone)
    delivery = failed.deliveries[0]
    delivery.status, delivery.attempt_count = "failed", 5
    delivery.last_error = "Gave up after 5 attempts: Sandbox answered 503: The sandbox is having a bad moment."
    for number in range(1, 6):
        delivery.attempts.append(PublishAttempt(number=number, worker="demo", outcome="retryable", duration_ms=120,
                                                started_at=failed.scheduled_at + timedelta(minutes=number ** 2),
                                                error="Sandbox answered 503: The sandbox is having a bad moment."))
    failed.status = "failed"
    for days_ahead, hour, text, media in ((1, 9, "Lemon pasta in 60 seconds. Save this one.", [reel] if reel else []),
                                          (3, 12, "Behind the scenes: prepping 40 covers.", []),
                                          (8, 17, "Autumn menu drops Friday.", [])):
        publishing.create_post(workspace, owner, text, {}, [kitchen], media, "schedule",
                            (now + timedelta(days=days_ahead)).replace(hour=hour), zone)
    publishing.create_post(workspace, owner, "Idea: a series on knife care?", {}, [kitchen], [], "draft")
    db.session.commit()


CLIENTS = [
    # (name, e-mail, niche, month, status, has a portal log-in)
    ("Rosa Diaz", "rosa@example.com", "Fitness", 3, "active", True),
    ("Amara Okafor", "amara@example.com", "Beauty", 6, "active", True),
    ("Theo Park", "theo@example.com", "Travel", 1, "invited", False),
    ("Lucas Meyer", "lucas@example.com", "Gaming", 4, "paused", False),
]
DEMO_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def seed_portal(workspace):
    """Clients in Northwind's creator program: portal log-ins for two of them (same demo password),
    a pending invitation, conversations with unread messages, deliverables and notifications."""


    owner = next(m.user for m in workspace.memberships if m.role == "owner")
    jordan = next(m.user for m in workspace.memberships if m.user.email == "jordan@example.com")
    today = utcnow().date()
    clients = {}
    for name, email, niche, month, status, has_login in CLIENTS:
        client = portal.create_client(workspace, name, email, niche, today - timedelta(days=30 * (month - 1) + 5), month)
        if has_login:
            user = service.create_user(email, name, DEMO_PASSWORD, timezone="America/Chicago")
            user.email_verified_at = utcnow()
            client.user_id = user.id
        client.status = status
        clients[name.split()[0]] = client
    db.session.commit()
    db.session.add(Invitation(kind=InvitationKind.CLIENT, workspace_id=workspace.id, client_id=clients["Theo"].id,
                              email=clients["Theo"].email, token_hash=secrets.token_hex(32), invited_by_id=owner.id,
                              expires_at=utcnow() + timedelta(days=5)))
    rosa, amara = clients["Rosa"], clients["Amara"]

    guide = portal.create_deliverable(rosa, owner, "Brand voice guide", 1, "How Rosa sounds: direct, warm, no jargon.\n"
                                      "Three pillars: strength, routine, food.", publish=True)
    portal.mark_reviewed(guide)
    plan = portal.create_deliverable(rosa, jordan, "Month 3 content calendar", 3,
                                     "Twelve posts across TikTok and Instagram. Week 2 is the gym-tour series.")
    key = f"{workspace.id}/portal/{uuid.uuid4().hex}"
    storage().save(key, io.BytesIO(DEMO_PDF))
    db.session.add(PortalFile(workspace_id=workspace.id, client_id=rosa.id, deliverable_id=plan.id, storage_key=key,
                              filename="month-3-calendar.pdf", content_type="application/pdf", size_bytes=len(DEMO_PDF)))
    portal.create_deliverable(amara, owner, "Sponsorship rate card", 5, "Rates for Q1, with three package tiers.")

    thread = portal.start_thread(rosa, owner, False, "Month 3 content plan", "Hi Rosa! The calendar for month 3 is up. "
                                 "Have a look and tell us what you would change.", deliverable=plan)
    portal.add_message(thread, rosa.user, True, "Love it. Could we move the gym tour to week 3? I travel in week 2.")
    portal.add_message(thread, rosa.user, True, "Also: can we add one recipe post?")
    done = portal.start_thread(rosa, rosa.user, True, "Filming day logistics", "What should I bring on Thursday?")
    portal.add_message(done, jordan, False, "Two outfits, your own water bottle, and the blue mat. See you at 10.")
    portal.set_state(done, "resolved")
    portal.start_thread(amara, jordan, False, "Brand deal question", "Glowline asked about a 3-video package. "
                        "Are you open to skincare brands this quarter?")
    backdate_portal(workspace)


def backdate_portal(workspace):
    """Spread the demo conversations over the past days, as real ones would be, and mark them as
    already e-mailed so nobody gets a pile of e-mails about the demo."""

    now = utcnow()
    threads = db.session.execute(db.select(Thread).where(Thread.workspace_id == workspace.id).order_by(Thread.id)).scalars()
    for age_days, thread in zip((2, 6, 1), threads, strict=False):
        messages = db.session.execute(db.select(Message).where(Message.thread_id == thread.id).order_by(Message.id)).scalars().all()
        start = now - timedelta(days=age_days, hours=3)
        for number, message in enumerate(messages):
            message.created_at = message.emailed_at = start + timedelta(hours=5 * number)
        thread.created_at, thread.last_message_at = messages[0].created_at, messages[-1].created_at
        for field, from_client in (("last_client_message_at", True), ("last_staff_message_at", False)):
            times = [m.created_at for m in messages if m.from_client == from_client]
            setattr(thread, field, times[-1] if times else None)
        thread.client_read_at = thread.last_client_message_at
        thread.staff_read_at = thread.last_staff_message_at
    for age_days, deliverable in zip((40, 3, 9), db.session.execute(db.select(Deliverable).where(
            Deliverable.workspace_id == workspace.id).order_by(Deliverable.id)).scalars(), strict=False):
        deliverable.created_at = deliverable.published_at = now - timedelta(days=age_days)
        if deliverable.reviewed_at:
            deliverable.opened_at = deliverable.reviewed_at = deliverable.published_at + timedelta(days=1)
    # What the clients have already seen is read: threads they read, deliverables they reviewed.
    read_paths = {f"/threads/{t.id}" for t in db.session.execute(db.select(Thread).where(
        Thread.workspace_id == workspace.id)).scalars() if not t.unread_for_client}
    read_paths |= {f"/deliverables/{d.id}" for d in db.session.execute(db.select(Deliverable).where(
        Deliverable.workspace_id == workspace.id, Deliverable.reviewed_at.is_not(None))).scalars()}
    for notification in db.session.execute(db.select(Notification).where(Notification.workspace_id == workspace.id)).scalars():
        notification.created_at = now - timedelta(days=1)
        if any((notification.action_url or "").endswith(path) for path in read_paths):
            notification.read_at = now
    db.session.commit()


def seed_community(workspace):
    """Northwind's community: channels of every kind (one archived), an announcement, a question
    answered with a mention and marked helpful, a win with likes, an event with RSVPs, direct
    messages, profiles with bios, points and badges."""

    people = {m.user.email.split("@")[0]: m.user for m in workspace.memberships}

    for client in db.session.execute(db.select(Client).where(Client.workspace_id == workspace.id,
                                                             Client.user_id.is_not(None))).scalars():
        people[client.email.split("@")[0]] = client.user
    maya, jordan, rosa, amara = people["maya"], people["jordan"], people["rosa"], people["amara"]
    for person, bio in ((maya, "Founder of **Northwind Creators**. Food, film and far too much coffee."),
                        (rosa, "Fitness creator. 5am workouts, honest reviews."),
                        (amara, "Beauty & skincare. Ask me about lighting for close-ups."),
                        (jordan, "Producer at Northwind. I answer the hard questions.")):
        profile = members.profile_for(workspace, person)
        members.update_profile(profile, profile.username, bio, "", [], True, True)
    channels = {name: posting.create_channel(workspace, name, kind, description) for name, kind, description in (
        ("Announcements", ChannelType.ANNOUNCEMENT, "News from the Northwind team"),
        ("General", ChannelType.GENERAL, "Say hello, share what you are working on"),
        ("Questions", ChannelType.QA, "Ask the community; mark the answer that helped"),
        ("Month 3 cohort", ChannelType.MONTH, "For creators in month 3 of the program"),
        ("Resources", ChannelType.RESOURCES, "Templates, guides and tools"),
        ("Spring 2026 cohort", ChannelType.GENERAL, "An earlier cohort, kept for reference"))}
    channels["Spring 2026 cohort"].is_archived = True
    db.session.commit()
    posting.create_topic(workspace, maya, "moderator", channels["Announcements"], TopicType.TEXT, "Welcome to the community!",
                         "This is where Northwind creators help each other.\n\n- Ask in **Questions**\n"
                         "- Share wins in **General**\n- Coaching calls are under *Events*")
    question = posting.create_topic(workspace, rosa, "member", channels["Questions"], TopicType.QUESTION,
                                    "Ring light or softbox for a small kitchen?",
                                    "I film at 5am with one window. Ring light makes my eyes look odd. Ideas?")
    answer = posting.add_reply(workspace, question, amara, "member",
                               "Softbox at 45 degrees, @rosa_diaz. The ring light's catchlight is what looks odd.")
    posting.add_reply(workspace, question, rosa, "member", "Trying it tomorrow, thank you!", parent=answer)
    moderation.mark_helpful(workspace, question, answer, rosa, "member")
    win = posting.create_topic(workspace, amara, "member", channels["General"], TopicType.WIN, "10k followers on TikTok!",
                               "Six months in. The hook workshop changed everything.")
    for person in (maya, rosa, jordan):
        posting.set_like(workspace, person, True, topic=win)
    posting.set_like(workspace, rosa, True, reply=answer)
    posting.create_topic(workspace, jordan, "moderator", channels["Resources"], TopicType.RESOURCE, "Hook templates (month 3)",
                         "Twelve hooks that worked for our creators this quarter. Copy, adapt, test.")
    weekly = posting.create_topic(workspace, jordan, "moderator", channels["General"], TopicType.TEXT,
                                  "Weekly thread: what are you posting this week?",
                                  "Drop your plan below. One line is enough; we will cheer you on.")
    posting.add_reply(workspace, weekly, rosa, "member", "Three gym-tour shorts and a recipe post (thanks @amara_okafor!)")
    posting.add_reply(workspace, weekly, amara, "member", "A GRWM with the new serum, and a Q&A live on Friday.")
    add_weekly_plans(workspace, weekly, maya, jordan)
    posting.create_topic(workspace, amara, "member", channels["General"], TopicType.TEXT, "Looking for collab partners",
                         "Anyone in **fitness** or **food** up for a crossover video this month?")
    posting.create_topic(workspace, rosa, "member", channels["Month 3 cohort"], TopicType.QUESTION,
                         "How long should a month 3 reel be?", "Mine are 45 s and retention drops at 20 s. Cut harder?")
    posting.create_topic(workspace, maya, "moderator", channels["Announcements"], TopicType.TEXT,
                         "Office hours move to Thursdays", "From next week, office hours are Thursdays at 4 pm Pacific.")
    start = (datetime.now(ZoneInfo(maya.timezone)) + timedelta(days=3)).replace(hour=10, minute=0, second=0,
                                                                                microsecond=0, tzinfo=None)
    call = events.create_event(workspace, maya, "Monthly coaching call", "Bring one video you want feedback on.",
                               EventType.COACHING, start, start + timedelta(hours=1), maya.timezone,
                               "https://meet.example.com/northwind-coaching", 20)
    for person in (maya, rosa):
        events.rsvp(call, person, RsvpStatus.GOING)
    events.rsvp(call, amara, RsvpStatus.MAYBE)
    messages.send_dm(workspace, amara, rosa, "Loved your morning routine reel! Want to collab on a skincare + workout video?")
    messages.send_dm(workspace, rosa, amara, "Yes! Next week?")
    # Spread the posts over the last days, as a real community's would be.
    for age, topic in enumerate(db.session.execute(db.select(Topic).where(Topic.workspace_id == workspace.id)
                                                   .order_by(Topic.id.desc())).scalars()):
        topic.created_at = topic.last_activity_at = utcnow() - timedelta(hours=9 * age + 2)
    db.session.commit()


WEEKLY_PLANS = (
    "Two recipe shorts (one-pan pasta, overnight oats) and a behind-the-scenes story.",
    "Testing 7-second hooks on every reel this week. Will report back Friday.",
    "A carousel on batch-filming, then a live Q&A on Wednesday.",
    "Reposting last month's best reel with a new caption to see if the hook was the problem.",
    "Three street-food shorts from the night market, one long vlog for YouTube.",
    "Trying the 'before and after' format for the kitchen makeover.",
    "Collab reel with a local bakery on Thursday, cross-posted to both accounts.",
    "Mostly stories this week: polls about what to film next.",
    "A slow week: one reel, but with captions in two languages.",
    "LinkedIn post about what a year of posting daily taught me.",
    "Tutorial series part 2 and 3, scheduled for Tuesday and Friday mornings.",
    "Going back to 30-second reels; the 60-second ones lost people at 20.",
    "A 'day in the life' with the new camera, and a gear list for the description.",
    "Answering the five most-asked questions from last month's comments.",
    "First YouTube Short built from a long video: cutting the best minute.",
    "A thread of three posts about pricing, ending with the newsletter link.",
    "Weekend market vlog plus a short with the best moment.",
    "Testing posting at 7 am instead of 6 pm for a week.",
    "A recipe remix challenge: asking followers to send their versions.",
    "Republishing the top three posts of the quarter as a carousel recap.",
    "Interview short with a regular customer; they said yes!",
    "One tutorial, one story poll, one meme. Keeping it light.",
)


CHEERS = ("Love this. Tell us on Friday how it went.", "Good test: keep everything else the same so you can compare.",
          "That format did well for the month 2 cohort.", "Share the numbers next week, we are curious!",
          "Perfect for the algorithm right now.")


def add_weekly_plans(workspace, weekly, maya, jordan):
    """A long thread (more than a page of replies: "Show more replies"), with the team cheering."""
    for number, plan in enumerate(WEEKLY_PLANS):
        reply = posting.add_reply(workspace, weekly, maya if number % 2 else jordan, "moderator", plan)
        if number % 5 == 0:
            posting.add_reply(workspace, weekly, jordan if number % 2 else maya, "moderator", CHEERS[number // 5], parent=reply)

