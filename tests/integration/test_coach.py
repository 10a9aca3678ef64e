"""The coach as a client and the agency use it: answers from the playbook with no model, answers
streamed from an OpenAI-compatible model with their token counts, budgets refused before any call,
failures and stops that keep what arrived, a hand-off to a person that mutes the coach until staff
hand it back, ratings, settings and the playbook editor, and nobody reading another's conversation."""
import html as html_module
import re
from datetime import timedelta
from functools import partial

import pytest

from studio.coach import grounding, service, streams
from studio.coach.models import AnswerState, CoachConversation, CoachMessage, Role
from studio.database import utcnow
from studio.extensions import db
from studio.notify.models import Notification
from studio.portal.models import Message, Thread
from tests.factories import (
    make_article,
    make_client,
    make_connection,
    make_studio,
    make_user,
    wait_for_answer,
)
from tests.fakes.openai_server import DEFAULT_REPLY, split_words
from tests.helpers import at_once, errors_next_to, frozen_at


@pytest.fixture
def agency(app):
    studio = make_studio(name="Northwind Creators")
    make_article(studio.workspace, "Month 3: Hooks in the first two seconds",
                 "This month, focus on short-form craft, starting with the hook.\n\nOpen with the result, not an intro.", 3)
    make_article(studio.workspace, "How to price a brand deal",
                 "Price a brand deal from your average views.\n\n**Base rate = views / 1,000 x rate**")
    make_article(studio.workspace, "Month 1: Find your niche", "This month, focus on your niche and your bio.", 1)
    return studio


@pytest.fixture
def rosa(app, agency):
    return make_client(agency.workspace, name="Rosa Diaz", current_month=3)


def portal_of(app, client):
    return app.test_client().log_in_as(client.user), f"/portal/c/{client.id}/coach"


def ask(browser, base, question, conversation_id=None):
    url = f"{base}/{conversation_id}/ask" if conversation_id else f"{base}/ask"
    return browser.submit(url, {"question": question})


def latest(role=Role.ASSISTANT):
    return db.session.execute(db.select(CoachMessage).where(CoachMessage.role == role)
                              .order_by(CoachMessage.id.desc()).limit(1)).scalar_one()


def first_words(count):
    """What the fake model had sent after `count` pieces of its reply."""
    return "".join(split_words(DEFAULT_REPLY)[:count]).rstrip()


# ---- the playbook coach (no model configured) --------------------------------------------------


def test_with_no_model_the_coach_answers_from_the_playbook_for_the_clients_month_and_cites_it(app, agency, rosa):
    browser, base = portal_of(app, rosa)
    response = ask(browser, base, "What should I focus on this month?")
    assert response.status_code == 303
    answer = wait_for_answer(latest().id)
    assert answer.source == "playbook" and answer.state == AnswerState.COMPLETE and answer.tokens_used == 0
    assert answer.citations[0]["title"] == "Month 3: Hooks in the first two seconds"
    assert "This month, focus on short-form craft" in answer.content and "[1]" in answer.content
    assert "Rosa Diaz is in month 3 of 8" in answer.content
    page = browser.text(response.headers["Location"].split("#")[0])
    assert "Playbook answer" in page and "No AI model is connected" in page
    assert "Month 3: Hooks in the first two seconds</a>" in page  # the source, linked
    assert "What should I focus on this month?" in page  # the conversation's title comes from the question


def test_the_playbook_coach_cites_an_article_staff_just_wrote(app, agency, rosa):
    agency.browser.submit(f"/w/{agency.workspace.slug}/coach/playbook/new",
                          {"title": "Filming on a phone", "program_month": "0", "body": "Clean the lens. Film by a window."})
    browser, base = portal_of(app, rosa)
    ask(browser, base, "Any tips for filming with my phone lens?")
    answer = wait_for_answer(latest().id)
    assert answer.citations[0]["title"] == "Filming on a phone" and "Clean the lens" in answer.content


def test_the_clients_own_numbers_come_from_their_own_accounts_only(app, agency, rosa):
    from studio.publishing.models import PublishedPost

    theirs = make_connection(agency.workspace, username="rosa.lifts", client_id=rosa.id)
    agencys = make_connection(agency.workspace, username="northwind_kitchen")
    for connection, caption, views in ((theirs, "Back day, no gym", 48_200), (agencys, "Agency reel", 999)):
        db.session.add(PublishedPost(workspace_id=agency.workspace.id, connection_id=connection.id, platform="sandbox",
                                     platform_post_id=caption, caption=caption, metrics={"views": views, "likes": 12}))
    db.session.commit()
    facts = grounding.client_facts(rosa, ["numbers"])
    assert facts == [f"Post on Sandbox as @rosa.lifts, {utcnow():%-d %b}: “Back day, no gym” — 48,200 views, 12 likes."]


# ---- a model, streamed -------------------------------------------------------------------------


def test_an_answer_streams_from_the_model_and_is_stored_with_its_token_counts(app, agency, rosa, fake_model):
    browser, base = portal_of(app, rosa)
    response = ask(browser, base, "What should I focus on this month?")
    answer = latest()
    events = browser.get(f"{base}/answers/{answer.id}/stream?from=0").get_data(as_text=True)
    deltas = re.findall(r"event: delta\nid: \d+\n((?:data: .*\n)+)", events)
    assert len(deltas) > 1, "the answer arrived in pieces"
    assert events.startswith(": ping") and "event: done" in events and events.rstrip().endswith("event: close\ndata:")
    answer = wait_for_answer(answer.id)
    assert answer.content == DEFAULT_REPLY.strip() and answer.state == AnswerState.COMPLETE and answer.source == "model"
    [request] = fake_model.completions()
    words_sent = sum(len(m["content"].split()) for m in request["messages"])
    assert (answer.prompt_tokens, answer.completion_tokens) == (words_sent, len(DEFAULT_REPLY.split()))
    assert answer.tokens_used == answer.prompt_tokens + answer.completion_tokens and not answer.tokens_estimated
    system = request["messages"][0]["content"]
    assert request["max_tokens"] == 500 and request["stream"] is True and request["model"] == fake_model.model
    assert "Rosa Diaz is in month 3 of 8" in system and "[1] Month 3: Hooks in the first two seconds" in system
    assert request["messages"][-1] == {"role": "user", "content": "What should I focus on this month?"}
    page = browser.text(response.headers["Location"].split("#")[0])
    assert f"{answer.tokens_used:,} tokens" in page and "fake-coach-1" in page


def test_a_reader_who_reconnects_gets_the_rest_from_where_they_were(app, agency, rosa, fake_model):
    browser, base = portal_of(app, rosa)
    ask(browser, base, "How do I price a brand deal?")
    answer = wait_for_answer(latest().id)
    offset = 40
    events = browser.get(f"{base}/answers/{answer.id}/stream", headers={"Last-Event-ID": str(offset)}).get_data(as_text=True)
    first = re.search(r"event: delta\nid: (\d+)\ndata: (.*)", events)
    assert first.group(2).startswith(answer.content[offset:offset + 10]) and int(first.group(1)) == len(answer.content)


def test_the_conversation_goes_with_a_follow_up_question(app, agency, rosa, fake_model):
    browser, base = portal_of(app, rosa)
    ask(browser, base, "How do I price a brand deal?")
    first = wait_for_answer(latest().id)
    ask(browser, base, "And for three videos?", first.conversation_id)
    wait_for_answer(latest().id)
    roles = [m["role"] for m in fake_model.completions()[-1]["messages"]]
    assert roles == ["system", "user", "assistant", "user"]


def test_with_no_usage_reported_the_tokens_are_estimated(app, agency, rosa, fake_model):
    fake_model.report_usage = False
    browser, base = portal_of(app, rosa)
    ask(browser, base, "How do I price a brand deal?")
    answer = wait_for_answer(latest().id)
    assert answer.tokens_estimated and answer.completion_tokens == round(len(answer.content) / 4)
    assert "(estimated)" in browser.text(f"{base}/{answer.conversation_id}")


def test_a_model_that_fails_mid_answer_leaves_what_arrived_marked_incomplete(app, agency, rosa, fake_model):
    fake_model.cut_after = 4
    browser, base = portal_of(app, rosa)
    ask(browser, base, "How do I price a brand deal?")
    answer = wait_for_answer(latest().id)
    assert answer.state == AnswerState.INCOMPLETE and answer.content == first_words(4)
    assert answer.error.startswith(("The model server closed the connection", "The connection to the model server failed"))
    page = browser.text(f"{base}/{answer.conversation_id}")
    assert "This answer is incomplete." in page and "<strong>Focus on hooks.</strong> Open" in page


def test_a_model_that_goes_quiet_times_out_and_says_so(app, agency, rosa, fake_model):
    app.config["COACH_READ_TIMEOUT_SECONDS"] = 0.3
    fake_model.hang_after = 2
    browser, base = portal_of(app, rosa)
    ask(browser, base, "How do I price a brand deal?")
    answer = wait_for_answer(latest().id)
    assert answer.state == AnswerState.INCOMPLETE and answer.error == "The model server went quiet for 0.3 s."
    assert answer.content == first_words(2)


def test_a_refused_api_key_is_said_plainly(app, agency, rosa, fake_model):
    fake_model.api_key = "the-right-key"
    browser, base = portal_of(app, rosa)
    ask(browser, base, "How do I price a brand deal?")
    answer = wait_for_answer(latest().id)
    assert answer.state == AnswerState.INCOMPLETE and "refused the API key (401)" in answer.error and answer.content == ""


def test_stop_keeps_what_arrived_and_the_writer_stops_reading(app, agency, rosa, fake_model):
    fake_model.chunk_delay = 0.1
    browser, base = portal_of(app, rosa)
    ask(browser, base, "How do I price a brand deal?")
    answer = latest()
    live = streams.live_answer(answer.id)
    live.wait_past(len(first_words(3)), 5)
    assert browser.submit(f"{base}/answers/{answer.id}/stop").status_code == 303
    answer = wait_for_answer(answer.id)
    assert answer.state == AnswerState.STOPPED and 0 < len(answer.content) < len(DEFAULT_REPLY.strip())
    assert "Stopped: this is as far as the answer got." in browser.text(f"{base}/{answer.conversation_id}")


def test_answer_again_replaces_the_answer(app, agency, rosa, fake_model):
    browser, base = portal_of(app, rosa)
    ask(browser, base, "How do I price a brand deal?")
    first = wait_for_answer(latest().id)
    assert browser.submit(f"{base}/answers/{first.id}/regenerate").status_code == 303
    second = wait_for_answer(latest().id)
    assert second.id != first.id and db.session.get(CoachMessage, first.id).replaced
    page = browser.text(f"{base}/{first.conversation_id}")
    assert page.count('class="coach-message from-coach') == 1 and len(fake_model.completions()) == 2


# ---- budgets -----------------------------------------------------------------------------------


def earlier_answer(client, tokens, at=None):
    """An answer of the client's from earlier that used `tokens` of their budget."""
    conversation = CoachConversation(workspace_id=client.workspace_id, client_id=client.id, title="Earlier")
    db.session.add(conversation)
    db.session.flush()
    db.session.add(CoachMessage(workspace_id=client.workspace_id, client_id=client.id, conversation_id=conversation.id,
                                role=Role.ASSISTANT, content="…", tokens_used=tokens, created_at=at or utcnow()))
    db.session.commit()


@frozen_at("2026-05-20 15:00")
def test_a_client_over_the_daily_budget_is_refused_with_the_reset_time_and_no_call_is_made(app, agency, rosa, fake_model):
    service.config_for(agency.workspace.id).max_tokens_per_day = 1000
    earlier_answer(rosa, 1040, at=utcnow() - timedelta(hours=2))
    browser, base = portal_of(app, rosa)
    response = ask(browser, base, "How do I price a brand deal?")
    assert response.status_code == 422
    [error] = [html_module.unescape(e) for e in errors_next_to(response.get_data(as_text=True), "question")]
    assert error == ("You have used today's coaching allowance (1,040 of 1,000 tokens). It resets at 00:00 on Thu 21 May "
                     "(UTC). Your team is always reachable in the inbox.")
    assert fake_model.requests == [] and db.session.query(CoachConversation).count() == 1


@frozen_at("2026-05-20 15:00")  # 03:00 on 21 May in Auckland
def test_the_budget_day_is_one_for_every_time_zone_and_an_answer_is_capped_at_what_is_left(app, agency, fake_model):
    client = make_client(agency.workspace, name="Theo Park")
    client.user.timezone = "Pacific/Auckland"
    service.config_for(agency.workspace.id).max_tokens_per_day = 1200
    earlier_answer(client, 600, at=utcnow() - timedelta(hours=2))  # today
    earlier_answer(client, 900, at=utcnow() - timedelta(hours=16))  # yesterday's
    budget = service.budget_of(client, service.config_for(agency.workspace.id))
    assert budget.used == 600 and budget.reset_text() == "12:00 on Thu 21 May (Pacific/Auckland)"
    client.user.timezone = "America/Los_Angeles"  # moving one's clock does not start another day
    db.session.commit()
    assert service.budget_of(client, service.config_for(agency.workspace.id)).used == 600

    browser, base = portal_of(app, client)
    ask(browser, base, "How do I price a brand deal?")
    wait_for_answer(latest().id)
    [request] = fake_model.completions()
    prompt = sum(len(message["content"]) for message in request["messages"]) // 4
    assert 0 < request["max_tokens"] == 600 - prompt < 500  # what is left of the day after the prompt


def test_one_answer_at_a_time_so_the_budget_counts_each(app, agency, rosa, fake_model):
    fake_model.chunk_delay = 0.1
    browser, base = portal_of(app, rosa)
    ask(browser, base, "How do I price a brand deal?")
    first = latest()
    second = ask(browser, base, "And what about hooks?")  # a new conversation, while the first answer arrives
    assert second.status_code == 422 and "still answering" in second.get_data(as_text=True)
    browser.submit(f"{base}/answers/{first.id}/stop")
    wait_for_answer(first.id)
    assert ask(browser, base, "And what about hooks?").status_code == 303


# ---- a person takes over -----------------------------------------------------------------------


def test_asking_for_a_person_opens_a_staff_thread_tells_staff_and_mutes_the_coach_until_handed_back(
        app, agency, rosa, fake_model, outbox):
    browser, base = portal_of(app, rosa)
    ask(browser, base, "How do I price a brand deal?")
    answer = wait_for_answer(latest().id)
    conversation_id = answer.conversation_id
    ask(browser, base, "I want to talk to a person", conversation_id)

    thread = db.session.query(Thread).one()
    assert thread.subject == "From the coach: How do I price a brand deal?" and thread.unread_for_staff
    body = db.session.query(Message).filter_by(thread_id=thread.id).one().body
    assert "Rosa Diaz asked the coach for a person" in body and "How do I price a brand deal?" in body
    [notice] = db.session.query(Notification).filter_by(user_id=agency.owner.id, type="coach_handoff").all()
    assert notice.title == "Rosa Diaz asked the coach for a person"
    [mail] = outbox.to(agency.owner.email)
    assert mail["Subject"] == "Rosa Diaz asked the coach for a person"
    page = browser.text(f"{base}/{conversation_id}")
    assert "I have passed this to your team at Northwind Creators" in page and "Your team has this conversation" in page

    ask(browser, base, "It is about the Glowline contract", conversation_id)
    assert len(fake_model.completions()) == 1  # the coach stayed quiet
    assert db.session.query(Message).filter_by(thread_id=thread.id).count() == 2  # the person got it
    assert latest(Role.USER).details == {"forwarded_to_thread": thread.id}

    overview = agency.browser.text(f"/w/{agency.workspace.slug}/coach")
    assert "Asked for a person" in overview and "“I want to talk to a person”" in overview
    staff_page = agency.browser.text(f"/w/{agency.workspace.slug}/coach/conversations/{conversation_id}")
    assert db.session.get(Notification, notice.id).read_at is not None  # reading the conversation reads the notice
    assert "Rosa Diaz asked for a person" in staff_page and "Hand back to the coach" in staff_page
    agency.browser.submit(f"/w/{agency.workspace.slug}/coach/conversations/{conversation_id}/hand-back")
    ask(browser, base, "Thanks! And what about usage rights?", conversation_id)
    wait_for_answer(latest().id)
    assert len(fake_model.completions()) == 2
    assert "handed this conversation back to the coach" in browser.text(f"{base}/{conversation_id}")


def test_a_configured_keyword_hands_off_too(app, agency, rosa):
    service.config_for(agency.workspace.id).escalation_keywords = ["lawyer"]
    db.session.commit()
    browser, base = portal_of(app, rosa)
    ask(browser, base, "Should my lawyer read the Glowline contract?")
    conversation = db.session.query(CoachConversation).one()
    assert conversation.handed_off_at is not None and conversation.has_escalation and latest(Role.USER).is_escalation
    assert db.session.query(CoachMessage).filter_by(role=Role.ASSISTANT).count() == 0


# ---- ratings and what staff see ----------------------------------------------------------------


def test_thumbs_down_with_a_reason_reaches_the_ratings_page(app, agency, rosa):
    browser, base = portal_of(app, rosa)
    ask(browser, base, "How do I price a brand deal?")
    answer = wait_for_answer(latest().id)
    response = browser.submit(f"{base}/answers/{answer.id}/rate", {"verdict": "down", "feedback": "Too generic"}, htmx=True)
    assert response.status_code == 200 and "Rated not helpful: “Too generic”" in response.get_data(as_text=True)
    browser.submit(f"{base}/answers/{answer.id}/rate", {"verdict": "up"})
    conversation = db.session.get(CoachConversation, answer.conversation_id)
    assert (conversation.rating_count, conversation.average_rating) == (1, 1.0)  # changing a rating does not count twice
    browser.submit(f"{base}/answers/{answer.id}/rate", {"verdict": "down", "feedback": "Too generic"})
    page = agency.browser.text(f"/w/{agency.workspace.slug}/coach")
    assert "0%" in page and "“Too generic”" in page and "Rosa Diaz" in page


def test_a_rating_without_a_verdict_is_sent_back_with_the_error(app, agency, rosa):
    browser, base = portal_of(app, rosa)
    ask(browser, base, "How do I price a brand deal?")
    answer = wait_for_answer(latest().id)
    response = browser.submit(f"{base}/answers/{answer.id}/rate", {"feedback": "hmm"}, htmx=True)
    assert response.status_code == 422 and "Choose helpful or not helpful." in response.get_data(as_text=True)


# ---- who may see what --------------------------------------------------------------------------


def test_a_client_cannot_read_another_clients_conversation_or_answer(app, agency, rosa):
    browser, base = portal_of(app, rosa)
    ask(browser, base, "How do I price a brand deal?")
    answer = wait_for_answer(latest().id)
    other = make_client(agency.workspace, name="Amara Okafor")
    intruder, other_base = portal_of(app, other)
    for path in (f"/{answer.conversation_id}", f"/answers/{answer.id}", f"/answers/{answer.id}/stream"):
        assert intruder.get(other_base + path).status_code == 404
    assert intruder.submit(f"{other_base}/answers/{answer.id}/rate", {"verdict": "down"}).status_code == 404
    assert intruder.submit(f"{other_base}/{answer.conversation_id}/ask", {"question": "hi"}).status_code == 404


def test_another_agencys_staff_see_nothing(app, agency, rosa):
    browser, base = portal_of(app, rosa)
    ask(browser, base, "How do I price a brand deal?")
    answer = wait_for_answer(latest().id)
    stranger = make_studio(name="Other Agency")
    assert stranger.browser.get(f"/w/{stranger.workspace.slug}/coach/conversations/{answer.conversation_id}").status_code == 404
    assert stranger.browser.get(f"/w/{agency.workspace.slug}/coach").status_code == 404
    assert "Rosa Diaz" not in stranger.browser.text(f"/w/{stranger.workspace.slug}/coach")


def test_a_clients_playbook_page_shows_only_their_agencys_articles(app, agency, rosa):
    browser, base = portal_of(app, rosa)
    elsewhere = make_article(make_studio(name="Other Agency").workspace, "Secret sauce", "Ours only.")
    assert browser.get(f"{base}/playbook/{elsewhere.id}").status_code == 404


# ---- staff settings ----------------------------------------------------------------------------


def test_settings_validate_next_to_the_field_and_keep_the_key_sealed(app, agency):
    url = f"/w/{agency.workspace.slug}/coach/settings"
    response = agency.browser.submit(url, {"system_prompt": "Be brief.", "max_tokens_per_message": "10",
                                           "max_tokens_per_day": "5000", "api_url": "ftp://models", "model": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert errors_next_to(html, "max_tokens_per_message") == ["Between 50 and 8,000 tokens."]
    assert "starting with http:// or https://" in errors_next_to(html, "api_url")[0]
    response = agency.browser.submit(url, {"is_active": "y", "system_prompt": "Be brief.", "max_tokens_per_message": "300",
                                           "max_tokens_per_day": "4000", "capabilities": ["playbook", "program"],
                                           "escalation_keywords": "lawyer, refund\nurgent", "api_url": "http://127.0.0.1:9/v1",
                                           "model": "llama3.1", "api_key": "sk-secret-123"})
    assert response.status_code == 303
    config = service.config_for(agency.workspace.id)
    assert config.escalation_keywords == ["lawyer", "refund", "urgent"] and config.capabilities == ["playbook", "program"]
    assert config.api_key == "sk-secret-123"
    stored = db.session.execute(db.text("SELECT api_key FROM coach_configs")).scalar_one()
    assert "sk-secret" not in stored
    page = agency.browser.text(url)
    assert "sk-secret-123" not in page and "A key is stored." in page


def test_test_connection_says_whether_the_model_server_answers(app, agency, fake_model):
    url = f"/w/{agency.workspace.slug}/coach/settings/test"
    ok = agency.browser.submit(url, {"api_url": fake_model.base_url, "model": fake_model.model}, htmx=True)
    assert f"Connected: {fake_model.base_url} serves “fake-coach-1”." in ok.get_data(as_text=True)
    missing = agency.browser.submit(url, {"api_url": fake_model.base_url, "model": "gpt-9"}, htmx=True)
    assert "has no model “gpt-9” (it has: fake-coach-1)" in missing.get_data(as_text=True)
    fake_model.api_key = "right"
    refused = agency.browser.submit(url, {"api_url": fake_model.base_url, "model": fake_model.model, "api_key": "wrong"},
                                    htmx=True)
    assert "refused the API key (401)" in refused.get_data(as_text=True)
    down = agency.browser.submit(url, {"api_url": "http://127.0.0.1:9/v1", "model": "x"}, htmx=True)
    assert "Could not reach the model server at http://127.0.0.1:9/v1." in down.get_data(as_text=True)
    without_javascript = agency.browser.submit(url, {"api_url": fake_model.base_url, "model": "gpt-9"})
    assert without_javascript.status_code == 303 and "refused the API key (401)" in agency.browser.text(f"/w/{agency.workspace.slug}/coach/settings")


def test_only_admins_change_the_coach_settings(app, agency):
    from tests.factories import add_member

    editor = add_member(agency.workspace, "editor", make_user())
    browser = app.test_client().log_in_as(editor)
    assert browser.get(f"/w/{agency.workspace.slug}/coach/settings").status_code == 403


def test_an_answer_whose_writer_died_is_marked_incomplete(app, agency, rosa):
    conversation = CoachConversation(workspace_id=agency.workspace.id, client_id=rosa.id, title="Cut off")
    db.session.add(conversation)
    db.session.flush()
    db.session.add(CoachMessage(workspace_id=agency.workspace.id, client_id=rosa.id, conversation_id=conversation.id,
                                role=Role.ASSISTANT, state=AnswerState.STREAMING, content="Half an",
                                updated_at=utcnow() - timedelta(minutes=10)))
    db.session.commit()
    browser, base = portal_of(app, rosa)
    page = browser.text(f"{base}/{conversation.id}")
    assert "Half an" in page and "cut off when the studio restarted" in page


def test_two_tabs_following_one_answer_each_get_all_of_it_once(app, agency, rosa, fake_model):
    fake_model.chunk_delay = 0.02
    browser, base = portal_of(app, rosa)
    ask(browser, base, "How do I price a brand deal?")
    answer_id = latest().id
    tabs = {name: app.test_client().log_in_as(rosa.user) for name in ("first", "second")}
    texts = {}

    def follow(tab):
        events = tabs[tab].get(f"{base}/answers/{answer_id}/stream").get_data(as_text=True)
        pieces = re.findall(r"event: delta\nid: \d+\n((?:data: .*\n)+)", events)
        texts[tab] = "".join("\n".join(line[6:] for line in piece.rstrip("\n").split("\n")) for piece in pieces)

    at_once(*(partial(follow, tab) for tab in tabs))
    answer = wait_for_answer(answer_id)
    assert [html_module.unescape(texts[tab]).rstrip() for tab in ("first", "second")] == [answer.content] * 2


def test_clients_opening_the_coach_at_once_share_one_settings_row(app, agency):
    workspace_id, found = agency.workspace.id, []

    def open_coach():
        with app.app_context():
            found.append(service.config_for(workspace_id).id)

    at_once(*[open_coach] * 8)
    assert len(found) == 8 and len(set(found)) == 1


def test_staff_link_a_clients_own_account_and_the_coach_reads_its_numbers(app, agency, rosa):
    from studio.publishing.models import PublishedPost

    account = make_connection(agency.workspace, username="rosa.lifts")
    db.session.add(PublishedPost(workspace_id=agency.workspace.id, connection_id=account.id, platform="sandbox",
                                 platform_post_id="p1", caption="Back day", metrics={"views": 1200}))
    db.session.commit()
    base = f"/w/{agency.workspace.slug}/clients/{rosa.id}"
    assert grounding.client_facts(rosa, ["numbers"]) == []
    assert "@rosa.lifts (sandbox)" in agency.browser.text(base)  # offered
    assert agency.browser.submit(f"{base}/accounts", {"connection": account.id}).status_code == 303
    assert "1,200 views" in grounding.client_facts(rosa, ["numbers"])[0]
    other = make_client(agency.workspace, name="Amara Okafor")
    taken = agency.browser.submit(f"/w/{agency.workspace.slug}/clients/{other.id}/accounts", {"connection": account.id})
    assert taken.status_code == 422 and "already another client" in html_module.unescape(taken.get_data(as_text=True))
    elsewhere = make_connection(make_studio(name="Other Agency").workspace, username="not.yours")
    refused = agency.browser.submit(f"{base}/accounts", {"connection": elsewhere.id})
    assert refused.status_code == 422 and db.session.get(type(elsewhere), elsewhere.id).client_id is None
    agency.browser.submit(f"{base}/accounts/{account.id}/unlink")
    assert grounding.client_facts(rosa, ["numbers"]) == []


def test_a_models_answer_lists_the_excerpts_it_cites(app, agency, rosa, fake_model):
    fake_model.reply = "Price from your views, not followers [2]. Then add usage rights."
    browser, base = portal_of(app, rosa)
    ask(browser, base, "How do I price a brand deal? What should I focus on this month?")
    answer = wait_for_answer(latest().id)
    given = dict(re.findall(r"^\[(\d)\] (.+) \((?:Month \d|Any month)\)$", fake_model.completions()[0]["messages"][0]["content"], re.M))
    assert len(given) >= 2
    assert [(c["n"], c["title"]) for c in answer.citations] == [(2, given["2"])]


def test_a_stream_of_an_answer_whose_writer_died_ends_instead_of_waiting(app, agency, rosa):
    conversation = CoachConversation(workspace_id=agency.workspace.id, client_id=rosa.id, title="Cut off")
    db.session.add(conversation)
    db.session.flush()
    stale = CoachMessage(workspace_id=agency.workspace.id, client_id=rosa.id, conversation_id=conversation.id,
                         role=Role.ASSISTANT, state=AnswerState.STREAMING, content="Half an",
                         updated_at=utcnow() - timedelta(minutes=10))
    db.session.add(stale)
    db.session.commit()
    browser, base = portal_of(app, rosa)
    events = browser.get(f"{base}/answers/{stale.id}/stream?from=7").get_data(as_text=True)
    assert "event: done" in events and "sse-connect" not in events and "cut off when the studio restarted" in events


def test_an_unexpected_failure_in_the_writer_keeps_what_arrived_and_counts_it(app, agency, rosa):
    from studio.coach.providers import Chunk

    class Broken:
        name = "broken-model"

        def stream(self, messages, max_tokens):
            yield Chunk(text="Start with ")
            raise RuntimeError("a bug")

    conversation, asked = service.ask(rosa, rosa.user, None, "How do I price a brand deal?")
    asked.plan.provider = Broken()
    streams._write(app, asked.answer.id, asked.plan, streams.LiveAnswer())
    db.session.expire_all()
    answer = db.session.get(CoachMessage, asked.answer.id)
    assert answer.state == AnswerState.INCOMPLETE and answer.content == "Start with" and answer.tokens_estimated
    assert answer.tokens_used > 0 and "error in the studio" in answer.error


def test_an_answer_is_asked_again_once_and_only_the_latest(app, agency, rosa, fake_model):
    browser, base = portal_of(app, rosa)
    ask(browser, base, "How do I price a brand deal?")
    first = wait_for_answer(latest().id)
    assert browser.submit(f"{base}/answers/{first.id}/regenerate").status_code == 303
    wait_for_answer(latest().id)
    again = browser.submit(f"{base}/answers/{first.id}/regenerate")  # the replaced one, a second click
    assert again.status_code == 303 and len(fake_model.completions()) == 2
    assert "Only a finished answer can be asked again." in browser.text(f"{base}/{first.conversation_id}")


def test_the_stored_key_goes_only_to_the_server_it_was_saved_for(app, agency, fake_model):
    config = service.config_for(agency.workspace.id)
    config.api_url, config.model, config.api_key = "http://models.example/v1", "llama3.1", "sk-stored"
    db.session.commit()
    agency.browser.submit(f"/w/{agency.workspace.slug}/coach/settings/test",
                          {"api_url": fake_model.base_url, "model": fake_model.model}, htmx=True)
    assert fake_model.requests[-1]["authorization"] is None
    agency.browser.submit(f"/w/{agency.workspace.slug}/coach/settings",
                          {"system_prompt": "Be brief.", "max_tokens_per_message": "300", "max_tokens_per_day": "4000",
                           "api_url": fake_model.base_url, "model": fake_model.model})
    assert service.config_for(agency.workspace.id).api_key is None  # a new server, no key given: the old one is dropped


def test_rating_without_javascript_goes_back_to_the_conversation(app, agency, rosa):
    browser, base = portal_of(app, rosa)
    ask(browser, base, "How do I price a brand deal?")
    answer = wait_for_answer(latest().id)
    response = browser.submit(f"{base}/answers/{answer.id}/rate", {"verdict": "up"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"#coach-message-{answer.id}")
    assert "Rated helpful" in browser.text(f"{base}/{answer.conversation_id}")


def test_names_in_a_notice_stay_text(app, agency, rosa):
    agency.workspace.name = "Evil](https://evil.example/login) [x"
    db.session.commit()
    browser, base = portal_of(app, rosa)
    ask(browser, base, "I want to talk to a person")
    page = browser.text(f"{base}/{db.session.query(CoachConversation).one().id}")
    assert 'href="https://evil.example/login"' not in page and "Evil](https://evil.example/login) [x" in html_module.unescape(page)
