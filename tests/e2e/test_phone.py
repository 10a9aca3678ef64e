"""On a phone (390 x 844), each role's navigation folds behind a Menu button that opens it, and every
page it leads to fits the screen: no sideways scrolling, even where people typed a very long word
into a topic title, a name or a message."""
import re
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from studio.coach.demo import answered
from studio.community import members, messages, posting
from studio.connections.models import SocialLink
from studio.database import utcnow
from studio.extensions import db
from studio.portal import service as portal
from tests.e2e.browser import log_in_through_the_form
from tests.factories import (
    PASSWORD,
    add_member,
    make_article,
    make_asset,
    make_channel,
    make_client,
    make_connection,
    make_deliverable,
    make_event,
    make_post,
    make_request,
    make_service,
    make_showcase_video,
    make_step,
    make_storefront,
    make_thread,
    make_topic,
    make_update,
    make_user,
    make_version,
    make_workspace,
    require_approval,
)

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}
# What people really type sometimes: one word longer than a phone is wide.
LONG = "Supercalifragilisticexpialidocious" + "Pneumonoultramicroscopic"


def seed_studio():
    """A workspace with the content a first week brings: posts on the calendar, a file, clients who
    write, a community with a topic, replies, an event and direct messages. Long words everywhere."""
    owner = make_user(name=f"Maya {LONG}")
    workspace = make_workspace(owner=owner, name="Northwind Creators")
    viewer = add_member(workspace, "viewer", make_user(name="Sam Carter"))
    connection = make_connection(workspace, platform="sandbox", username="northwind_kitchen")
    make_asset(workspace, title=f"Lemon pasta {LONG}.mp4")
    db.session.add(SocialLink(workspace_id=workspace.id, label="Instagram", url=f"https://instagram.com/{LONG.lower()}", position=0))
    local_now = utcnow().replace(tzinfo=None, second=0, microsecond=0)  # the owner's time zone is UTC
    for hours_ahead, text in ((2, f"Market haul! {LONG} ramps are back."), (26, "Knife skills, part 3: the rolling cut."),
                              (26, "Behind the scenes: prepping 40 covers."), (74, "Autumn menu drops Friday.")):
        make_post(workspace=workspace, author=owner, connections=[connection], message=text,
                  scheduled_at=local_now + timedelta(hours=hours_ahead))
    make_post(workspace=workspace, author=owner, connections=[connection], message=f"Idea: a series on knife care? {LONG}",
              status="draft")

    client = make_client(workspace, name=f"Rosa {LONG}")
    member = make_client(workspace, name="Amara Okafor")
    thread = make_thread(client=client, author=client.user, subject=f"Filming {LONG}", body=f"What should I bring? {LONG}{LONG}")
    portal.add_message(thread, owner, False, "Two outfits and the blue mat. See you at 10.")
    make_deliverable(client=client, author=owner, title=f"Brand voice {LONG}", body=f"How Rosa sounds: {LONG}.")

    channel = make_channel(workspace, f"Questions {LONG}", "qa")
    topic = make_topic(channel=channel, author=client.user, type_="question", title=f"Ring light or {LONG}?",
                       body=f"I film at 5am with one window. {LONG}{LONG}")
    posting.add_reply(workspace, topic, member.user, "member", f"Softbox at 45 degrees. {LONG}{LONG}")
    profile = members.profile_for(workspace, member.user)
    members.update_profile(profile, profile.username, f"Beauty & skincare. {LONG}{LONG}", LONG, [], True, True)
    start = local_now + timedelta(days=3)
    make_event(workspace=workspace, author=owner, title=f"Coaching call {LONG}", description=f"Bring one video. {LONG}",
               type_="coaching", starts_at=start, meeting_url="https://meet.example.com/northwind", capacity=20)
    messages.send_dm(workspace, member.user, client.user, f"Loved your reel! {LONG}{LONG}")
    make_article(workspace, f"Hooks {LONG}", f"This month, focus on the hook. {LONG}{LONG}", 1)
    conversation = answered(client, f"What should I focus on this month? {LONG}{LONG}")  # from the playbook
    request, waiting = seed_content(workspace, owner, client)
    storefront = seed_storefront(workspace, owner)
    db.session.commit()
    return {"request": request, "waiting": waiting, "storefront": storefront, "conversation": conversation, "owner": owner, "viewer": viewer, "client": client, "member": member, "workspace": workspace,
            "topic": topic, "channel": channel, "thread": thread, "first_post_month": (local_now + timedelta(hours=2)).strftime("%Y-%m")}


def seed_content(workspace, owner, client):
    """A client's request with a version and a comment, and a post of hers waiting for her approval."""
    from studio.content import approvals, comments, history

    require_approval(workspace, "client")
    request = make_request(workspace, owner, title=f"Launch reel {LONG}", brief=f"Doors open Monday. {LONG}{LONG}", client=client)
    make_version(request, owner, text=f"Doors open Monday! {LONG}{LONG}", hashtags=[LONG])
    comments.add(request, owner, f"@maya first cut by Friday {LONG}{LONG}")
    account = make_connection(workspace, platform="linkedin", username=f"rosa_{LONG.lower()}"[:40], client_id=client.id)
    waiting = make_post(workspace=workspace, author=owner, connections=[account], status="draft",
                        message=f"Monday 6am: doors open. {LONG}{LONG} " + "More words to fold. " * 12)
    history.record(waiting, "created", owner, new=waiting.message)
    history.edit_post(waiting, waiting.version, waiting.message.replace("6am", f"6:30am {LONG}"), owner, f"Rosa {LONG}")
    approvals.approve_for_team(waiting, owner)
    comments.add(waiting, owner, f"Shot on the new camera. {LONG}{LONG}", internal=False)
    from studio.journey import service as journey

    make_step(workspace, month=1, day_offset=3, title=f"Check in with {{first_name}} {LONG}", body=f"{LONG}{LONG}")
    make_step(workspace, month=2, kind="deliverable", title=f"Month {{month}} plan {LONG}")
    journey.start_program(client, utcnow().date(), "America/Argentina/ComodRivadavia")
    return request, waiting


def seed_storefront(workspace, owner):
    """A published storefront with long words everywhere: a service, an update, a showcase video
    with a comment, and a confirmed question."""
    from studio.storefront import inquiries, visitors

    make_storefront(workspace, display_name=f"Northwind {LONG}", headline=f"Food {LONG}", bio=f"We cook. {LONG}{LONG}")
    service = make_service(workspace, f"Recipes {LONG}", 123_456_789, "CHF")
    update = make_update(workspace, owner, f"Market day {LONG}{LONG}")
    video = make_showcase_video(workspace, title=f"Lemon pasta {LONG}", views=123_456_789, likes=98_765_432)
    visitors.add_comment(video, owner, f"That pour {LONG}{LONG}")
    question = inquiries.ask(workspace, service, name=f"Dana {LONG}", email="dana@example.com", body=f"Price? {LONG}{LONG}",
                             ip="192.0.2.1")
    inquiries.verify(question)
    return {"update": update.id, "video": video.id, "question": question.id, "service": service.id,
            "thread": urlparse(inquiries.link_for(question, workspace.slug)).path}


def log_in(new_page, live_server, email, viewport=PHONE):
    page = new_page()
    page.set_viewport_size(viewport)
    log_in_through_the_form(page, live_server, email)
    expect(page.locator("summary[aria-label='Your account']")).to_be_visible()
    return page


def overflow(page):
    """How wide the document is, and the elements that stick out past the screen's right edge."""
    return page.evaluate("""() => {
        const width = document.documentElement.clientWidth;
        const culprits = [];
        for (const el of document.querySelectorAll('body *')) {
            const box = el.getBoundingClientRect();
            if (box.width && box.right > width + 1) {
                culprits.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                              (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '') +
                              ' ' + Math.round(box.right) + 'px');
            }
        }
        return {scrollWidth: document.documentElement.scrollWidth, culprits: culprits.slice(-4)};
    }""")


def nav_links(page, navigation):
    """The addresses a navigation links to, collected from the page itself."""
    return page.locator(navigation).evaluate_all("(nav) => nav.flatMap(n => [...n.querySelectorAll('a[href]')].map(a => a.href))")


def check_menu(page, navigation, button):
    """Below phone width the navigation's links are hidden until its menu button is pressed."""
    links = page.locator(navigation).locator("a[href]")
    assert links.count() > 0, f"{navigation} has no links"
    for index in range(links.count()):
        expect(links.nth(index)).to_be_hidden()
    page.get_by_text(button, exact=True).click()
    for index in range(links.count()):
        expect(links.nth(index)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_text(button, exact=True).click()
    expect(links.first).to_be_hidden()


def walk(page, addresses, live_server):
    """Open each address and note every page that is wider than the phone."""
    too_wide, seen = [], set()
    for address in addresses:
        if address in seen or not address.startswith(live_server) or urlparse(address).path == "/logout":
            continue
        seen.add(address)
        response = page.goto(address)
        assert response.ok, f"{address} answered {response.status}"
        page.wait_for_timeout(150)  # let htmx's load triggers (badges, feeds) settle
        measured = overflow(page)
        if measured["scrollWidth"] > PHONE["width"]:
            too_wide.append((urlparse(address).path, measured["scrollWidth"], measured["culprits"]))
    return too_wide, seen


def setting_names_broken_mid_word(page):
    """Where the Connections page wraps a setting name such as TIKTOK_CLIENT_ID: only after an underscore."""
    return page.evaluate("""() => {
        const bad = [];
        for (const code of document.querySelectorAll('.platform-row .hint code')) {
            const text = code.textContent;
            if (!/^[A-Z0-9_]+$/.test(text)) continue;  // the redirect URI is an address, not a setting name
            const node = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
            const tops = [];
            while (node.nextNode()) {
                for (let i = 0; i < node.currentNode.length; i++) {
                    const range = document.createRange();
                    range.setStart(node.currentNode, i);
                    range.setEnd(node.currentNode, i + 1);
                    tops.push([node.currentNode.data[i], Math.round(range.getBoundingClientRect().top)]);
                }
            }
            for (let i = 1; i < tops.length; i++) {
                if (tops[i][1] > tops[i - 1][1] && tops[i - 1][0] !== '_') {
                    bad.push(text.slice(0, i) + ' | ' + text.slice(i));
                }
            }
        }
        return bad;
    }""")


def community_url(live_server, workspace, path=""):
    return f"{live_server}/community/{workspace.slug}/{path}"


@pytest.fixture
def studio(app):
    return seed_studio()


def test_workspace_owner_on_a_phone(live_server, new_page, studio):
    ws = studio["workspace"]
    page = log_in(new_page, live_server, studio["owner"].email)
    page.goto(f"{live_server}/w/{ws.slug}/calendar?month={studio['first_post_month']}")
    check_menu(page, "nav[aria-label=Workspace]", "Menu")
    # The month calendar is a list of days with posts on a phone, each post readable.
    first_post = page.locator(".cal-post").first
    expect(first_post).to_be_visible()
    assert first_post.bounding_box()["width"] > 250, "calendar posts use the phone's width"

    addresses = nav_links(page, "header.topbar")
    page.goto(community_url(live_server, ws))
    check_menu(page, "nav[aria-label=Community]", "Community menu")
    addresses += nav_links(page, "header.topbar, nav[aria-label=Community]")
    addresses += [f"{live_server}/w/{ws.slug}/calendar?view=week", f"{live_server}/w/{ws.slug}/calendar?view=list",
                  f"{live_server}/w/{ws.slug}/posts/new", f"{live_server}/w/{ws.slug}/clients/{studio['client'].id}",
                  f"{live_server}/w/{ws.slug}/inbox/{studio['thread'].id}",
                  f"{live_server}/w/{ws.slug}/coach/conversations/{studio['conversation'].id}",
                  f"{live_server}/w/{ws.slug}/coach/playbook", f"{live_server}/w/{ws.slug}/coach/settings",
                  f"{live_server}/w/{ws.slug}/requests/{studio['request'].id}", f"{live_server}/w/{ws.slug}/requests/new",
                  f"{live_server}/w/{ws.slug}/approvals", f"{live_server}/w/{ws.slug}/posts/{studio['waiting'].id}",
                  f"{live_server}/w/{ws.slug}/posts/{studio['waiting'].id}/history",
                  f"{live_server}/w/{ws.slug}/program", f"{live_server}/w/{ws.slug}/clients/{studio['client'].id}/journey",
                  *[f"{live_server}/w/{ws.slug}/storefront{part}" for part in (
                      "", "/services", "/updates", "/showcase", "/comments", "/questions",
                      f"/questions/{studio['storefront']['question']}")],
                  *[f"{live_server}/@{ws.slug}{part}" for part in (
                      "", "/updates", "/videos", f"/updates/{studio['storefront']['update']}",
                      f"/videos/{studio['storefront']['video']}", f"/services/{studio['storefront']['service']}/ask",
                      studio['storefront']['thread'].removeprefix(f"/@{ws.slug}"))],
                  community_url(live_server, ws, f"ch/{studio['channel'].slug}"),
                  community_url(live_server, ws, f"t/{studio['topic'].id}")]
    too_wide, seen = walk(page, addresses, live_server)
    assert {"/w/" + ws.slug + "/" + part for part in ("", "calendar", "posts", "requests", "library/", "clients", "inbox", "coach",
                                                      "connections", "members", "settings")} <= {urlparse(a).path for a in seen}

    page.goto(f"{live_server}/w/{ws.slug}/connections")
    assert page.locator(".platform-row .hint code").count() > 6, "unconfigured platforms list their settings"
    assert setting_names_broken_mid_word(page) == []

    # The composer's preview of a long word stays inside the screen too.
    page.goto(f"{live_server}/w/{ws.slug}/posts/new")
    page.get_by_role("checkbox", name=re.compile("northwind_kitchen")).check()
    page.get_by_label("Message").fill(f"Listen: {LONG}{LONG}{LONG}")
    expect(page.locator(".preview-text")).to_contain_text(LONG)
    if overflow(page)["scrollWidth"] > PHONE["width"]:
        too_wide.append(("composer preview", *overflow(page).values()))
    # Posts: the list and a post's own page.
    page.goto(f"{live_server}/w/{ws.slug}/posts")
    page.locator("a", has_text="Market haul").first.click()
    page.wait_for_load_state()
    if overflow(page)["scrollWidth"] > PHONE["width"]:
        too_wide.append(("post page", *overflow(page).values()))
    assert not too_wide, "wider than the phone: " + "; ".join(map(str, too_wide))


def test_the_menu_opens_without_javascript(live_server, browser, studio):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{live_server}/login")
        page.get_by_label("E-mail").fill(studio["viewer"].email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Northwind Creators")
        check_menu(page, "nav[aria-label=Workspace]", "Menu")
        page.goto(community_url(live_server, studio["workspace"]))
        check_menu(page, "nav[aria-label=Community]", "Community menu")
    finally:
        context.close()


def test_workspace_viewer_on_a_phone(live_server, new_page, studio):
    ws = studio["workspace"]
    page = log_in(new_page, live_server, studio["viewer"].email)
    page.goto(f"{live_server}/w/{ws.slug}/")
    check_menu(page, "nav[aria-label=Workspace]", "Menu")
    addresses = nav_links(page, "header.topbar")
    page.goto(community_url(live_server, ws))
    addresses += nav_links(page, "nav[aria-label=Community]")
    too_wide, seen = walk(page, addresses, live_server)
    assert len(seen) >= 10
    assert not too_wide, "wider than the phone: " + "; ".join(map(str, too_wide))


def test_portal_client_on_a_phone(live_server, new_page, studio):
    client = studio["client"]
    page = log_in(new_page, live_server, client.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Inbox")
    check_menu(page, "nav[aria-label=Portal]", "Menu")
    addresses = nav_links(page, "header.topbar")
    addresses += [f"{live_server}/portal/c/{client.id}/threads/{studio['thread'].id}",
                  f"{live_server}/portal/c/{client.id}/coach/{studio['conversation'].id}",
                  f"{live_server}/portal/c/{client.id}/approvals/{studio['waiting'].id}",
                  f"{live_server}/portal/c/{client.id}/requests", f"{live_server}/portal/c/{client.id}/requests/new",
                  f"{live_server}/portal/c/{client.id}/requests/{studio['request'].id}"]
    page.goto(f"{live_server}/portal/c/{client.id}/deliverables")
    addresses += page.locator("main a[href*='/deliverables/']").evaluate_all("(links) => links.map(a => a.href)")
    too_wide, seen = walk(page, addresses, live_server)
    assert {f"/portal/c/{client.id}/{part}" for part in ("inbox", "journey", "approvals", "coach", "deliverables", "notifications",
                                                         "settings")} <= \
        {urlparse(a).path for a in seen}
    assert not too_wide, "wider than the phone: " + "; ".join(map(str, too_wide))


def test_community_member_on_a_phone(live_server, new_page, studio):
    ws, member = studio["workspace"], studio["member"]
    page = log_in(new_page, live_server, member.email)
    page.goto(community_url(live_server, ws))
    check_menu(page, "nav[aria-label=Community]", "Community menu")
    # The community's home stacks its columns: channels first, then what is coming up.
    channels = page.get_by_role("heading", name="Channels").bounding_box()
    coming_up = page.get_by_role("heading", name="Coming up").bounding_box()
    assert coming_up["y"] > channels["y"] and abs(coming_up["x"] - channels["x"]) < 5
    addresses = nav_links(page, "nav[aria-label=Community]")
    addresses += [community_url(live_server, ws, f"ch/{studio['channel'].slug}"),
                  community_url(live_server, ws, f"t/{studio['topic'].id}"),
                  community_url(live_server, ws, f"u/{members.profile_for(ws, studio['client'].user).username}"),
                  community_url(live_server, ws, f"messages/{members.profile_for(ws, studio['client'].user).username}"),
                  community_url(live_server, ws, f"ch/{studio['channel'].slug}/new"),
                  community_url(live_server, ws, "search?q=Supercalifragilistic")]
    page.goto(community_url(live_server, ws, "events"))
    addresses += page.locator("main a[href*='/events/']").evaluate_all("(links) => links.map(a => a.href)")
    too_wide, seen = walk(page, addresses, live_server)
    assert len(seen) >= 12
    assert not too_wide, "wider than the phone: " + "; ".join(map(str, too_wide))


def test_desktop_keeps_its_navigation_open(live_server, new_page, studio):
    """At 1280 px there is no menu button: the workspace and community links show in one line."""
    ws = studio["workspace"]
    page = log_in(new_page, live_server, studio["owner"].email, viewport=DESKTOP)
    page.goto(community_url(live_server, ws))
    for navigation in ("nav[aria-label=Workspace]", "nav[aria-label=Community]"):
        links = page.locator(navigation).locator("a[href]")
        for index in range(links.count()):
            expect(links.nth(index)).to_be_visible()
    expect(page.get_by_text("Menu", exact=True)).to_be_hidden()
    expect(page.get_by_text("Community menu", exact=True)).to_be_hidden()
    tops = {round(box["y"]) for box in page.locator("nav[aria-label=Workspace] a").evaluate_all(
        "(links) => links.map(a => a.getBoundingClientRect().toJSON())")}
    assert len(tops) == 1, "the workspace navigation fits one line"
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]

    # The community's search box and a file input look like the app's other fields and buttons.
    field = page.locator("#community-q").evaluate("(el) => [getComputedStyle(el).borderRadius, getComputedStyle(el).paddingLeft]")
    assert field == ["8px", "11.2px"]
    page.goto(community_url(live_server, ws, f"ch/{studio['channel'].slug}/new"))
    picker = page.locator("input[type=file]").first.evaluate(
        "(el) => [getComputedStyle(el, '::file-selector-button').borderRadius, getComputedStyle(el, '::file-selector-button').fontWeight]")
    assert picker == ["8px", "600"]

    page.goto(f"{live_server}/w/{ws.slug}/connections")
    assert setting_names_broken_mid_word(page) == []
