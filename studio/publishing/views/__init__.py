"""The publishing pages: one blueprint, a module for each part, each adding its routes to it."""
from studio.publishing.views import calendar, live, posts  # noqa: F401  (imported for their routes)
from studio.publishing.views.blueprint import bp, feeds

__all__ = ["bp", "feeds"]
