"""In a real browser: a client asks the coach, the answer grows in the page as the model streams it,
a reload in the middle shows what had arrived and the rest still coming, and the finished answer is
stored with its token counts."""
from playwright.sync_api import expect

from studio.coach.models import CoachMessage
from studio.extensions import db
from tests.e2e.browser import log_in_through_the_form
from tests.factories import make_article, make_client, make_workspace
from tests.fakes.openai_server import FakeModelServer, reply_with_words

WORDS = 60


def shown_length(page):
    return len(page.locator("#coach-messages .from-coach .answer-text").last.inner_text())


def test_an_answer_grows_in_the_page_and_a_reload_picks_the_stream_up(live_server, new_page, app):
    reply = reply_with_words(WORDS, base="Open with the result, then show how you got there in three quick steps.")
    with FakeModelServer(chunk_delay=0.05, reply=reply) as fake:  # 60 pieces, 50 ms apart: three seconds
        app.config.update(COACH_API_URL=fake.base_url, COACH_MODEL=fake.model, COACH_SAVE_SECONDS=0.2,
                          COACH_POLL_SECONDS=0.2)
        workspace = make_workspace(name="Northwind Creators")
        make_article(workspace, "Month 3: Hooks in the first two seconds", "This month, focus on the hook.", 3)
        client = make_client(workspace, name="Rosa Diaz", current_month=3)
        page = new_page()
        log_in_through_the_form(page, live_server, client.user.email)
        page.get_by_role("navigation", name="Portal").get_by_role("link", name="Coach").click()
        page.get_by_label("Ask the coach").fill("What should I focus on this month?")
        page.get_by_role("button", name="Ask").click()

        expect(page.locator(".answer-text.live")).not_to_be_empty()
        early = shown_length(page)
        page.wait_for_timeout(400)
        assert shown_length(page) > early, "the answer grows in the page"

        page.reload()  # mid-answer
        expect(page.locator(".answer-text.live")).to_be_visible()
        resumed = shown_length(page)
        page.wait_for_timeout(400)
        assert shown_length(page) > resumed, "after the reload the rest keeps arriving"

        expect(page.get_by_role("button", name="Helpful", exact=True)).to_be_visible(timeout=10_000)  # finished, drawn whole
        shown = page.locator("#coach-messages .from-coach .answer-text").last.inner_text()
        assert " ".join(shown.split()) == reply, "every word once, none twice"
        answer = db.session.execute(db.select(CoachMessage).where(CoachMessage.role == "assistant")).scalar_one()
        assert answer.state == "complete" and answer.completion_tokens == WORDS and answer.prompt_tokens > 0
        expect(page.get_by_text(f"{answer.tokens_used:,} tokens")).to_be_visible()
        assert len(fake.completions()) == 1
