"""The community's pages under /community/<space>/: one blueprint, `bp` (see blueprint.py), with
its routes in one module per part of the community."""
from studio.community.views import channels, events, members, messages, moderation, topics  # noqa: F401 (adds routes)
from studio.community.views.blueprint import bp

__all__ = ["bp"]
