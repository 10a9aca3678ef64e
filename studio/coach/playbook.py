"""The program playbook: finding the articles that answer a question with the database's full-text
search (SQLite FTS5, PostgreSQL tsvector), the excerpts of them worth quoting, and the playbook
coach's answer when no model is configured."""
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, literal_column, select, text

from studio.coach.models import PlaybookArticle
from studio.extensions import db

# Words that say nothing about the topic; left out of the search so they do not rank articles.
STOP_WORDS = frozenset("""a about all am an and any are as at be been but by can could did do does doing for from get
got had has have how i if in into is it its just me might more most my no not of on or our should so some than that the
their them then there these they this those to too up us was we were what when where which who why will with would you
your please help want need tell know think best good really much many make""".split())
MONTH_WORDS = ("this month", "month", "right now", "focus", "next")
EXCERPT_CHARS = 600
RELEVANT_SHARE = 0.45  # an article scoring under this share of the best one's is left out


@dataclass(frozen=True)
class Excerpt:
    number: int  # as cited: [1], [2], …
    article_id: int
    title: str
    program_month: int | None
    text: str

    def citation(self) -> dict:
        return {"n": self.number, "article_id": self.article_id, "title": self.title, "month": self.program_month}


def search_words(question: str) -> list[str]:
    words = [word.lower() for word in re.findall(r"[^\W_]+", question or "", re.UNICODE)]
    seen: dict[str, None] = {}
    for word in words:
        if word not in STOP_WORDS and len(word) > 1:
            seen.setdefault(word)
    return list(seen)[:16]


def find_articles(workspace_id: int, question: str, month: int | None, limit: int = 3) -> list[PlaybookArticle]:
    """The articles that best answer `question`: any word may match, ranked by the database (BM25 on
    SQLite, ts_rank on PostgreSQL), the client's own program month first among near equals, and
    none that matches far worse than the best (a stray common word). A question about "this month"
    with nothing better to go on gets that month's articles."""
    words = search_words(question)
    ranked = _ranked(workspace_id, words, limit * 4) if words else []
    about_month = month is not None and any(phrase in (question or "").lower() for phrase in MONTH_WORDS)
    scores: dict[int, float] = {}
    for article_id, article_month, relevance in ranked:
        if month is not None and article_month == month:
            relevance *= 3 if about_month else 1.5
        scores[article_id] = relevance
    best_score = max(scores.values(), default=0.0)
    scores = {article_id: score for article_id, score in scores.items() if score >= best_score * RELEVANT_SHARE}
    if about_month and month is not None:
        for article_id in _month_ids(workspace_id, month):
            scores.setdefault(article_id, best_score * RELEVANT_SHARE)
    best = sorted(scores, key=lambda article_id: -scores[article_id])[:limit]
    articles = {a.id: a for a in db.session.execute(select(PlaybookArticle).where(PlaybookArticle.id.in_(best or [-1]))).scalars()}
    return [articles[article_id] for article_id in best if article_id in articles]


def _ranked(workspace_id: int, words: list[str], limit: int) -> list[tuple[int, int | None, float]]:
    """(article id, program month, relevance: higher is better) of articles matching any word."""
    if db.engine.dialect.name == "sqlite":
        # Title matches weigh three times body matches; bm25() is negative, lower for better matches.
        match = " OR ".join(f'"{word}"' for word in words)
        rows = db.session.execute(text(
            "SELECT a.id, a.program_month, -bm25(playbook_search, 3.0, 1.0) AS relevance FROM playbook_search "
            "JOIN playbook_articles a ON a.id = playbook_search.rowid WHERE playbook_search MATCH :match AND a.workspace_id = :ws "
            "ORDER BY relevance DESC LIMIT :limit"), {"match": match, "ws": workspace_id, "limit": limit}).all()
    else:
        # The same expression as the GIN index ix_fts_playbook, so it is used.
        english: ColumnElement[Any] = literal_column("'english'::regconfig")
        document = func.to_tsvector(english, PlaybookArticle.title.op("||")(literal_column("' '")).op("||")(PlaybookArticle.body))
        query = func.to_tsquery(english, bindparam("query"))
        relevance = func.ts_rank_cd(document, query)
        rows = db.session.execute(
            select(PlaybookArticle.id, PlaybookArticle.program_month, relevance)
            .where(PlaybookArticle.workspace_id == workspace_id, document.op("@@")(query))
            .order_by(relevance.desc(), PlaybookArticle.id).limit(limit),
            {"query": " | ".join(words)}).all()
    return [(article_id, month, float(relevance)) for article_id, month, relevance in rows]


def _month_ids(workspace_id: int, month: int) -> Sequence[int]:
    return db.session.execute(select(PlaybookArticle.id).where(PlaybookArticle.workspace_id == workspace_id,
                                                               PlaybookArticle.program_month == month)
                              .order_by(PlaybookArticle.id)).scalars().all()


def excerpts(articles: Sequence[PlaybookArticle], question: str) -> list[Excerpt]:
    words = search_words(question)
    return [Excerpt(number, article.id, article.title, article.program_month, best_passage(article.body, words))
            for number, article in enumerate(articles, start=1)]


def best_passage(body: str, words: list[str], limit: int = EXCERPT_CHARS) -> str:
    """The paragraph (and what follows it, up to `limit` characters) that holds most of the
    question's words; the opening paragraph when none does."""
    paragraphs = [part.strip() for part in re.split(r"\n\s*\n", body) if part.strip()]
    if not paragraphs:
        return ""
    stems = [word[:5] for word in words]

    def hits(paragraph: str) -> int:
        lowered = paragraph.lower()
        return sum(1 for stem in stems if stem in lowered)

    start = max(range(len(paragraphs)), key=lambda index: (hits(paragraphs[index]), -index))
    passage = ""
    for paragraph in paragraphs[start:]:
        # A passage that ends in "…:" announces what follows: it comes along even past the limit.
        if passage and len(passage) + len(paragraph) > limit and not passage.endswith(":"):
            break
        passage = f"{passage}\n\n{paragraph}" if passage else paragraph
    if len(passage) > limit * 2:
        passage = passage[:limit * 2].rsplit(" ", 1)[0] + " …"
    return passage


def month_label(month: int | None) -> str:
    return f"Month {month}" if month else "Any month"


def playbook_answer(excerpts_found: Sequence[Excerpt], facts: Sequence[str], month: int | None) -> str:
    """The playbook coach's answer, in Markdown: the best excerpts, each cited, then the client's own
    facts. It quotes; it does not pretend to reason."""
    parts = []
    if excerpts_found:
        parts.append(f"Here is what your program playbook says{f' (you are in month {month})' if month else ''}:")
        for excerpt in excerpts_found:
            quoted = "\n".join(f"> {line}" if line else ">" for line in excerpt.text.splitlines())
            parts.append(f"**{excerpt.title}** ({month_label(excerpt.program_month)}) [{excerpt.number}]\n\n{quoted}")
    else:
        parts.append("I found nothing in your program playbook about that. Try other words, or ask your team in the inbox.")
    if facts:
        parts.append("**From your own program:**\n\n" + "\n".join(f"- {fact}" for fact in facts))
    return "\n\n".join(parts)
