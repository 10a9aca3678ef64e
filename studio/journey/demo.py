"""The demo's eight-month creator program, and Rosa's and Amara's programs started on their first
days: what fell due since has run (through the real runner), the rest is scheduled."""
from sqlalchemy import select

from studio.accounts.models import Workspace
from studio.extensions import db
from studio.journey import runner, service
from studio.portal.models import Client

# (month, days into it, hour, kind, title, text)
PROGRAM = [
    (1, 0, 9, "deliverable", "Welcome pack: your month {month} plan", "Hi {first_name}, welcome to {agency}'s creator "
     "program. This month: find your niche, tidy your bio, and post three times a week."),
    (1, 3, 10, "check_in", "How is your first week going?", "Reply in your inbox with one thing that felt hard."),
    (1, 24, 9, "reminder", "Bio and niche review on Friday", "Bring your top three videos and your bio as it is now."),
    (2, 0, 9, "deliverable", "Month {month}: your content pillars", "Three pillars for your niche, with ten post ideas each."),
    (2, 14, 18, "celebration", "Halfway through month {month}!", "You have posted every week since you started. Keep going."),
    (3, 0, 9, "deliverable", "Month {month}: hooks in the first two seconds", "Open with the result, not an intro."),
    (3, 10, 10, "check_in", "Which hook worked best?", "Send us the one with the best retention."),
    (3, 25, 9, "escalation", "Month 3 review call for {name}", "Book a 20-minute call before month 4 starts."),
    (4, 0, 9, "deliverable", "Month {month}: consistency and batching", "A batching day template and a posting calendar."),
    (4, 20, 10, "reminder", "Batching day this week", "Film four videos in one afternoon; we edit two of them with you."),
    (5, 0, 9, "deliverable", "Month {month}: collaborations", "Who to collaborate with, and a message that gets answers."),
    (5, 15, 18, "celebration", "Five months in, {first_name}!", "Look back at your first post, then at your last."),
    (6, 0, 9, "deliverable", "Month {month}: your first brand deal", "How to price it, and a rate card you can send."),
    (6, 12, 10, "check_in", "Any brand conversations yet?", "Forward us anything that came in; we help you answer."),
    (7, 0, 9, "deliverable", "Month {month}: a product of your own", "Three product ideas from what your audience asks."),
    (7, 21, 9, "escalation", "Plan {name}'s last month", "Agree the graduation goals and the last deliverables."),
    (8, 0, 9, "deliverable", "Month {month}: the next year", "Your plan for the year after the program."),
    (8, 25, 18, "celebration", "You made it, {first_name}!", "Eight months. Thank you for building this with us."),
]


def seed_journey(workspace: Workspace) -> None:
    for month, day, hour, kind, title, body in PROGRAM:
        service.save_step(workspace, None, month, day, hour, kind, title, body)
    for name in ("Rosa Diaz", "Amara Okafor"):
        client = db.session.execute(select(Client).where(Client.workspace_id == workspace.id, Client.name == name)).scalar_one()
        if client.program_start is not None:
            service.start_program(client, client.program_start, "America/Chicago")
    runner.run_due(limit=200, worker="demo")
