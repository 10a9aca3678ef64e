"""The demo's storefront: Northwind's public page with its services, updates with pictures from
the library, the published videos in its showcase (with the numbers the demo synced), a follower
count, comments and likes from the team and a client, and a confirmed question from a visitor."""
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from studio.accounts.models import User, Workspace
from studio.analytics.models import AccountSnapshot
from studio.connections.models import PlatformConnection
from studio.database import utcnow
from studio.extensions import db
from studio.library.models import MediaAsset
from studio.publishing.models import PublishedPost
from studio.storefront import inquiries, service, visitors
from studio.storefront.models import Inquiry

SERVICES = [
    ("Recipe development", "Three tested recipes for your product or menu, written for home cooks, with photos.",
     "450", "EUR", "artisan", True),
    ("Food styling for your shoot", "A half day on set: plating, props and the little crumbs that make a dish look real.",
     "600", "EUR", "artisan", True),
    ("Brand partnership management", "We find, price and negotiate food-brand deals for creators, and keep the calendar.",
     "1200", "USD", "agent", True),
    ("Weekend meal-prep delivery", "Five lunches delivered on Sunday within Portland, OR. Menu changes weekly.",
     "85", "USD", "driver", True),
    ("Private cooking class", "Two hours, up to six people, in your kitchen. Back in spring.", "300", "EUR", "artisan", False),
]

UPDATES = [
    (20, "The autumn menu is done! Squash, brown butter and far too much sage. It drops Friday.", ["Cover"]),
    (12, "Our team grew: say hello to Priya, who now edits every video you see here.", ["Team photo"]),
    (6, "Taking two more recipe-development projects before the holidays. Ask below if you have a product launching.", []),
    (1, "Market day. Ramps, morels, and the first strawberries. Video tomorrow.", []),
]


def seed_storefront(workspace: Workspace) -> None:
    team = {str(m.role): m.user for m in workspace.memberships}
    owner = team["owner"]
    images = {asset.title: asset for asset in db.session.execute(select(MediaAsset).where(
        MediaAsset.workspace_id == workspace.id, MediaAsset.kind == "image")).scalars()}
    storefront = service.ensure_storefront(workspace)
    service.save_profile(storefront, display_name="Northwind Kitchen", headline="Food videos, recipes and styling from Portland",
                         bio="Maya Ortiz and team. We cook, film and write about seasonal food.\nNew videos every week; "
                             "services for brands and restaurants below.",
                         avatar_id=next((asset.id for title, asset in images.items() if title.startswith("Team")), None), country="US", show_followers=True)
    for title, description, price, currency, kind, active in SERVICES:
        service.save_service(workspace, None, title=title, description=description, price=Decimal(price), currency=currency,
                             type_=kind, active=active)
    updates = []
    for days_ago, body, pictures in UPDATES:
        item = service.post_update(workspace, owner, body, [asset.id for start in pictures
                                                            for title, asset in images.items() if title.startswith(start)])
        item.created_at = utcnow() - timedelta(days=days_ago)
        updates.append(item)
    db.session.commit()
    fill_showcase(workspace)
    show_followers_synced(workspace)
    people = [user for user in (team.get("admin"), team.get("editor")) if user is not None]
    react(updates, people)
    ask_a_question(workspace)
    service.set_published(storefront, True)


def fill_showcase(workspace: Workspace) -> None:
    """The demo's published posts carried no file; give the ones with numbers the library's videos,
    as if they had been published with them, and show them."""
    videos = list(db.session.execute(select(MediaAsset).where(MediaAsset.workspace_id == workspace.id,
                                                              MediaAsset.kind == "video").order_by(MediaAsset.id)).scalars())
    published = list(db.session.execute(select(PublishedPost).where(PublishedPost.workspace_id == workspace.id)
                                        .order_by(PublishedPost.published_at.desc())).scalars())
    kinds = ("short", "long", "demo")
    for index, post in enumerate(published[:6]):
        video = videos[index % len(videos)] if videos else None
        if video is None:
            break
        post.media_id, post.in_showcase, post.showcase_kind = video.id, True, kinds[index % 3]
    db.session.commit()


def show_followers_synced(workspace: Workspace) -> None:
    """What the account-stats sync keeps on each account: its latest follower count."""
    for connection in db.session.execute(select(PlatformConnection).where(
            PlatformConnection.workspace_id == workspace.id, PlatformConnection.client_id.is_(None))).scalars():
        latest = db.session.execute(select(AccountSnapshot).where(AccountSnapshot.connection_id == connection.id)
                                    .order_by(AccountSnapshot.day.desc()).limit(1)).scalar_one_or_none()
        if latest is not None:
            connection.details = {**(connection.details or {}), "stats": {"followers": latest.followers},
                                  "stats_at": latest.taken_at.isoformat()}
    db.session.commit()


def react(updates: list, people: list[User]) -> None:
    for person in people:
        for item in updates[:2]:
            visitors.set_like(item, person, True)
    if people:
        visitors.add_comment(updates[0], people[0], "Those squash dumplings are going to sell out.")
    videos = db.session.execute(select(PublishedPost).where(PublishedPost.in_showcase.is_(True),
                                                            PublishedPost.workspace_id == updates[0].workspace_id)
                                .limit(2)).scalars().all()
    for video in videos:
        for person in people:
            visitors.set_like(video, person, True)
    if videos and len(people) > 1:
        visitors.add_comment(videos[0], people[1], "The slow-motion pour at the end!")


def ask_a_question(workspace: Workspace) -> None:
    recipe = next(item for item in service.services_of(workspace) if item.title == "Recipe development")
    question = inquiries.ask(workspace, recipe, name="Dana Whitfield", email="dana@oatfield.example",
                             body="We launch an oat-based cooking cream in March. Could you develop three recipes "
                                  "and film one of them? What would that cost?", ip="203.0.113.7")
    inquiries.verify(question)
    owner = next(m.user for m in workspace.memberships if m.role == "owner")
    inquiries.add_message(db.session.get_one(Inquiry, question.id), "Hi Dana, happy to. Three recipes plus one filmed "
                          "video is €1,150. When do you need them?", sender=owner)
    inquiries.add_message(db.session.get_one(Inquiry, question.id), "Early February would be perfect. Sending the brief now.")
