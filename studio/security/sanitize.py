"""User-written text to safe HTML: Markdown rendered with raw HTML turned off, then cleaned by an
allow-list (nh3, the Rust ammonia sanitiser), so nothing a member writes can run in a browser."""
import re
from collections.abc import Callable

import nh3
from markdown_it import MarkdownIt

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("strikethrough")

ALLOWED_TAGS = {"p", "br", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li", "a", "h1", "h2",
                "h3", "h4", "h5", "h6", "hr"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "code": {"class"}}
URL_SCHEMES = {"http", "https", "mailto"}
LINK = re.compile(r"https?://", re.I)


def clean_html(html: str) -> str:
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
                     link_rel="nofollow noopener ugc", strip_comments=True)


def render_markdown(source: str | None, mention_link: Callable[[str], str | None] | None = None) -> str:
    """Safe HTML for Markdown `source`. `mention_link(username)` turns @username into a link to
    that member (None for names that are not members)."""
    text = source or ""
    if mention_link:
        text = mention_pattern().sub(lambda m: link_mention(m, mention_link), text)
    return clean_html(_markdown.render(text))


def mention_pattern() -> re.Pattern[str]:
    return re.compile(r"(?<![\w@/])@([A-Za-z0-9_]{2,30})\b")


def link_mention(match: re.Match[str], mention_link: Callable[[str], str | None]) -> str:
    url = mention_link(match.group(1))
    return f"[@{match.group(1)}]({url})" if url else match.group(0)


def mentioned_usernames(source: str) -> set[str]:
    return {name.lower() for name in mention_pattern().findall(source or "")}


def count_links(source: str) -> int:
    return len(LINK.findall(source or ""))
