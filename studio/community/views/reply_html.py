"""A thread's replies and the like buttons, written in Python rather than by a template: a topic
page draws twenty replies, and a template pays for each value it writes (some forty a reply) more
than the rest of the page costs. The markup is here once; the templates call these functions
(`replies_html` from _replies.html, `like_html` from topic.html and _like.html).

Everything a person wrote or chose reaches the page through `escape`, but the reply's body, which
is stored sanitised (posting.render_markdown), and the form token's input (web.csrf_input).
Numbers are written with `:d`, so nothing but digits can reach the page in their place.
tests/integration/test_community.py holds the markup to the routes' own links and to escaping."""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup, escape

from studio.community.threads import ReplyRow
from studio.community.views.blueprint import bp

CLOSE_REPLY = "</div>\n</article>\n"


@dataclass(frozen=True)
class ReplyLinks:
    """What each reply of a topic page needs, worked out once a page: its addresses up to the
    reply's id or its author's username, the form token's hidden input, and who is looking."""

    reply: str  # + id + "/like", "/actions"
    answer: str  # + id: the topic page with a form that answers the reply (without JavaScript)
    answer_form: str  # + id: that form alone, for htmx
    profile: str  # + username
    csrf_input: Markup
    viewer_id: int
    local: Callable[[datetime | None], str]


@bp.app_template_global()
def replies_html(replies: list[ReplyRow], links: ReplyLinks) -> Markup:
    """The replies in one pass (threads.in_order: each before its children; `closes` says how many
    replies end after it), each with Like, Reply and More (the rarer actions, fetched on demand)."""
    reply, answer, answer_form, profile = (escape(links.reply), escape(links.answer), escape(links.answer_form),
                                           escape(links.profile))
    parts = []
    for row in replies:
        rid = f"{row.id:d}"
        classes = (" helpful" if row.is_helpful else "") + (" hidden-post" if row.is_hidden else "")
        if row.username:
            name = escape(row.username)
            author = f'<a href="{profile}{name}"><strong>@{name}</strong></a>'
        else:
            author = "<strong>@someone</strong>"
        badges = ((' <span class="badge status active">✓ helpful answer</span>' if row.is_helpful else "")
                  + (' <span class="badge warn">hidden</span>' if row.is_hidden else ""))
        like = like_html("reply", row.id, row.liked, row.like_count, row.author_id == links.viewer_id,
                         f"{reply}{rid}/like", links.csrf_input)
        parts.append(
            f'<article class="reply depth-{row.depth:d}{classes}" id="reply-{rid}">\n'
            f'  <header>{author}\n'
            f'    <span class="muted small">{escape(links.local(row.created_at))}{" · edited" if row.edited_at else ""}</span>'
            f'{badges}</header>\n'
            f'  <div class="post-body">{row.body_html}</div>\n'
            f'  <div class="post-actions" hx-target="#reply-slot-{rid}">\n'
            f'    {like}\n'
            f'    <a class="button small" href="{answer}{rid}#reply-form" hx-get="{answer_form}{rid}">Reply</a>\n'
            f'    <a class="button small subtle" href="{reply}{rid}/actions" hx-get="{reply}{rid}/actions" '
            f'aria-label="More actions for this reply">More</a>\n'
            f'  </div>\n'
            f'  <div id="reply-slot-{rid}"></div>\n'
            f'  <div class="children" id="children-{rid}">\n' + CLOSE_REPLY * row.closes)
    return Markup("".join(parts))


@bp.app_template_global()
def like_html(kind: str, item_id: int, liked: bool, count: int, own: bool, action: str, csrf_input: Markup) -> Markup:
    """A topic's or a reply's like button (your own post shows its count, not a button). The button
    says what it asks for (like or unlike), so a double click cannot undo itself."""
    element = f"like-{escape(kind)}-{item_id:d}"
    if own:
        return Markup(f'<span class="like own small muted" id="{element}" title="Your own post: others can like it, '
                      f'you cannot">♥ <span class="like-count">{count:d}</span> <span class="own-note">· your post</span></span>')
    action = escape(action)
    return Markup(
        f'<form class="inline like" id="{element}" method="post" action="{action}" hx-post="{action}" hx-target="this" '
        f'hx-swap="outerHTML">\n  {csrf_input}\n  <input type="hidden" name="liked" value="{"0" if liked else "1"}">\n'
        f'  <button class="button small{" liked" if liked else ""}" type="submit" aria-pressed="{"true" if liked else "false"}">'
        f'♥ <span class="like-count">{count:d}</span> <span class="visually-hidden">{"Unlike" if liked else "Like"}</span>'
        f'</button>\n</form>')
