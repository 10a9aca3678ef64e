"""The community's pages under /community/<space>/: one blueprint, `bp` (see blueprint.py), with
its routes in one module per part of the community."""
from . import channels, events, members, messages, moderation, reply_html, topics  # noqa: F401 (each adds its routes or helpers to bp)
from .blueprint import bp

__all__ = ["bp"]
