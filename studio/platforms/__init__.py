"""The platform registry: one adapter class per platform, in the order the studio shows them."""
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import current_app

from studio.platforms.base import Platform
from studio.platforms.facebook import Facebook
from studio.platforms.instagram import Instagram
from studio.platforms.linkedin import LinkedIn
from studio.platforms.sandbox import Sandbox
from studio.platforms.tiktok import TikTok
from studio.platforms.x import X
from studio.platforms.youtube import YouTube

PLATFORM_CLASSES: dict[str, type[Platform]] = {cls.key: cls for cls in (TikTok, Instagram, YouTube, Facebook, X, LinkedIn, Sandbox)}


def get_platform(key: str, config: Mapping[str, Any] | None = None) -> Platform:
    """The adapter for `key`, configured from the app; KeyError for an unknown platform."""
    return PLATFORM_CLASSES[key](config if config is not None else current_app.config)


def all_platforms(config: Mapping[str, Any] | None = None) -> list[Platform]:
    return [get_platform(key, config) for key in PLATFORM_CLASSES]


def authorize_origins(config: Mapping[str, Any]) -> list[str]:
    """The origins of the configured platforms' consent pages (other than this studio's own)."""
    origins = set()
    for platform in all_platforms(config):
        if platform.configured and platform.key != "sandbox":
            parts = urlsplit(platform.endpoint_url("authorize"))
            origins.add(f"{parts.scheme}://{parts.netloc}")
    return sorted(origins)
