"""AI drafts of a request: the coach's language model writes several versions, each with
suggested hashtags and an image prompt, in the workspace's voice (its best-performing captions,
where analytics has numbers). With no model configured there is no AI button: nothing pretends.

Each call counts one AI generation against the workspace's plan (studio.billing), given back if
the model fails."""
import json
import re
from collections.abc import Sequence
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from studio.accounts.models import User, Workspace
from studio.billing import service as billing
from studio.coach.providers import ChatProvider, ProviderError
from studio.coach.service import config_for, provider_for
from studio.content.models import ContentRequest, ContentVersion
from studio.content.requests import add_version
from studio.database import utcnow
from studio.extensions import db
from studio.platforms import PLATFORM_CLASSES, get_platform
from studio.publishing.models import PublishedPost
from studio.refusal import Refused

SYSTEM = ("You write social media posts for a creator studio. Answer with JSON only, no prose and no code fence: "
          '{"versions": [{"text": "...", "hashtags": ["tag", ...], "image_prompt": "..."}]}. '
          "Each text is ready to post (no hashtags inside it); hashtags have no # sign; the image prompt "
          "describes one picture or thumbnail to go with it.")


def model_for(workspace: Workspace) -> ChatProvider | None:
    return provider_for(config_for(workspace.id))


def write(workspace: Workspace, messages: list[dict[str, str]], now: datetime) -> tuple[str, str]:
    """(text, the model's name) from the workspace's model, or refused saying why (no model, the
    plan's limit, the model's failure); one AI generation is counted in the month of `now`, and
    given back if the model fails."""
    model = model_for(workspace)
    if model is None:
        raise Refused("No language model is set up for this workspace (Coach → Settings), so this is written by hand.")
    billing.take(workspace, "generations", now=now)
    try:
        text = "".join(chunk.text for chunk in model.stream(messages, current_app.config["CONTENT_DRAFT_MAX_TOKENS"]))
    except ProviderError as error:
        billing.give_back(workspace, "generations", now=now)
        raise Refused(f"The model failed: {error}") from error
    return text.strip(), model.name


def best_captions(workspace: Workspace, client_id: int | None, count: int = 3) -> list[str]:
    """The captions of the posts that did best (engagement per view, then likes), to show the voice."""
    query = select(PublishedPost).where(PublishedPost.workspace_id == workspace.id, PublishedPost.caption != "")
    if client_id:
        from studio.connections.models import PlatformConnection

        query = query.join(PlatformConnection, PlatformConnection.id == PublishedPost.connection_id).where(
            PlatformConnection.client_id == client_id)
    recent = db.session.execute(query.order_by(PublishedPost.published_at.desc()).limit(100)).scalars().all()

    def score(post: PublishedPost) -> float:
        numbers = post.metrics or {}
        engaged = sum(int(numbers.get(key) or 0) for key in ("likes", "comments", "shares", "saves"))
        return engaged / max(int(numbers.get("views") or 0), 1) + engaged / 1e6

    return [post.caption for post in sorted(recent, key=score, reverse=True)[:count] if (post.metrics or {})]


def prompt_for(request: ContentRequest, count: int, voice: Sequence[str]) -> list[dict[str, str]]:
    platforms = ", ".join(get_platform(p).name for p in request.platforms if p in PLATFORM_CLASSES) or "any platform"
    lines = [f"Write {count} different versions of a post.", f"Title: {request.title}"]
    if request.goal:
        lines.append(f"Goal: {request.goal}")
    lines.append(f"Platforms: {platforms}")
    if request.brief:
        lines.append(f"Brief:\n{request.brief}")
    references = [ref.asset.title for ref in request.references]
    if references:
        lines.append("It goes with these files from the library: " + "; ".join(references))
    if voice:
        lines.append("Write in the voice of these posts, which did best:\n" + "\n---\n".join(voice))
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "\n".join(lines)}]


def read_versions(answer: str) -> list[dict]:
    """The versions in the model's answer: its JSON object (a code fence around it is forgiven)."""
    match = re.search(r"\{.*\}", answer, re.DOTALL)
    try:
        found = json.loads(match.group(0)) if match else None
    except ValueError:
        found = None
    versions = found.get("versions") if isinstance(found, dict) else None
    readable = [v for v in versions or [] if isinstance(v, dict) and str(v.get("text") or "").strip()]
    if not readable:
        raise ProviderError("The model answered, but not with drafts the studio could read. Try again.")
    return readable


def generate(request: ContentRequest, author: User, count: int = 3) -> list[ContentVersion]:
    """Ask the model for `count` versions and keep them; a refusal names the plan's limit or the
    model's trouble, and nothing is kept or counted then."""
    workspace = db.session.get_one(Workspace, request.workspace_id)
    now = utcnow()  # taken and, on failure, given back in the same month
    answer, model = write(workspace, prompt_for(request, count, best_captions(workspace, request.client_id)), now)
    try:
        found = read_versions(answer)
    except ProviderError as error:
        billing.give_back(workspace, "generations", now=now)
        raise Refused(f"The model could not write drafts: {error}") from error
    return [add_version(request, author, str(item["text"]), [str(tag) for tag in item.get("hashtags") or []][:30],
                        str(item.get("image_prompt") or ""), model=model) for item in found[:count]]
