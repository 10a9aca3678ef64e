"""Settings from the environment (and a `.env` file), with embedded defaults for development.

Every setting is listed in the README's configuration table. `load_config` returns a plain dict
that `create_app` applies; a test passes its own overrides on top.
"""
import os
import secrets
from pathlib import Path
from typing import Any

from dotenv import load_dotenv

ENVIRONMENTS = ("development", "production", "test")
MIN_SECRET_KEY_LENGTH = 32


class ConfigError(SystemExit):
    """A setting that makes starting unsafe; the message is one line for the operator."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _int(name: str, default: int) -> int:
    return int(_number(name, default, int, "a whole number"))


def _float(name: str, default: float) -> float:
    return float(_number(name, default, float, "a number"))


def _number(name: str, default: float, kind: type[int] | type[float], what: str) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return kind(raw)
    except ValueError:
        raise ConfigError(f"{name} must be {what}, not {raw!r}")


def write_private_file(path: Path, text: str) -> None:
    """Create a file only its owner can read, with no moment in which others could."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)


def _secret_key(env: str, instance_path: str | Path) -> str:
    """A real key from the environment; in development, one generated once and kept on disk."""
    key = os.environ.get("SECRET_KEY", "")
    if key:
        if env == "production" and len(key) < MIN_SECRET_KEY_LENGTH:
            raise ConfigError(
                f"SECRET_KEY is too short for production: use at least {MIN_SECRET_KEY_LENGTH} random characters"
            )
        return key
    if env == "production":
        raise ConfigError("SECRET_KEY must be set when STUDIO_ENV=production (at least 32 random characters)")
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        write_private_file(path, secrets.token_urlsafe(48))
    return path.read_text().strip()


def _database_url(instance_path: str | Path) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        return "sqlite:///" + str(Path(instance_path) / "studio.db")
    # Heroku-style URLs name the old driver; SQLAlchemy wants psycopg 3 spelled out.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


PLATFORM_KEYS = ("tiktok", "instagram", "youtube", "facebook", "x", "linkedin", "sandbox")


def _platform_settings() -> dict[str, str]:
    """Each platform's client id and secret, and any base-URL overrides (<KEY>_<NAME>_URL)."""
    settings: dict[str, str] = {}
    for name, value in os.environ.items():
        prefix = name.split("_", 1)[0].lower()
        platform_setting = name.endswith(("_CLIENT_ID", "_CLIENT_SECRET", "_URL")) or name in (
            "FACEBOOK_GRAPH_VERSION", "INSTAGRAM_GRAPH_VERSION", "LINKEDIN_VERSION", "LINKEDIN_ORGANIZATION_PAGES", "YOUTUBE_DAILY_UNITS",
            "YOUTUBE_UPLOAD_UNITS", "YOUTUBE_CHUNK_BYTES", "TIKTOK_CHUNK_BYTES", "SANDBOX_DAILY_UNITS",
            "SANDBOX_POST_UNITS")
        if prefix in PLATFORM_KEYS and platform_setting:
            settings[name] = value
    return settings


def _weights(value: str) -> dict[str, int]:
    """"topic=5,reply=2" -> {"topic": 5, "reply": 2}."""
    weights: dict[str, int] = {}
    for part in value.split(","):
        if "=" in part:
            name, number = part.split("=", 1)
            weights[name.strip()] = int(number)
    return weights


def _public_url(env: str) -> str:
    """The address e-mailed links point at. Production must name it: taking it from the request's
    Host header would let anyone who can send a request steer reset links to their own host."""
    url = os.environ.get("PUBLIC_URL", "").rstrip("/")
    if env == "production" and not url.startswith(("https://", "http://")):
        raise ConfigError("PUBLIC_URL must be set when STUDIO_ENV=production (e.g. https://studio.example.org)")
    return url


def load_config(instance_path: str | Path) -> dict[str, Any]:
    load_dotenv(Path.cwd() / ".env", override=False)
    env = os.environ.get("STUDIO_ENV", "development").strip().lower()
    if env not in ENVIRONMENTS:
        raise ConfigError(f"STUDIO_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}")
    production = env == "production"
    secret_key = _secret_key(env, instance_path)
    publish_concurrency = _int("PUBLISH_CONCURRENCY", 8)
    return {
        "STUDIO_ENV": env,
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": _database_url(instance_path),
        # Each publishing thread holds a connection while it works, and renews its lease on another.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "pool_size": 5 + publish_concurrency,
                                      "max_overflow": 10 + publish_concurrency},
        "PUBLIC_URL": _public_url(env),
        # Operations (studio.ops): log lines as JSON (default in production) or text; a bearer token
        # /metrics asks for when set; how old the newest worker heartbeat may be for /readyz.
        "LOG_FORMAT": os.environ.get("LOG_FORMAT", "json" if production else "text").strip().lower(),
        "METRICS_TOKEN": os.environ.get("METRICS_TOKEN", ""),
        "METRICS_CACHE_SECONDS": _float("METRICS_CACHE_SECONDS", 15.0),
        "READY_WORKER_SECONDS": _int("READY_WORKER_SECONDS", 120),
        "MAIL_URL": os.environ.get("MAIL_URL", "outbox"),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "Studio <studio@localhost>"),
        "OUTBOX_DIR": os.environ.get("OUTBOX_DIR", str(Path(instance_path) / "outbox")),
        "SCHEDULER_ENABLED": _bool(os.environ.get("SCHEDULER_ENABLED"), default=True),
        "LOGIN_FAILURES_PER_ACCOUNT": _int("LOGIN_FAILURES_PER_ACCOUNT", 10),
        "LOGIN_FAILURES_PER_ADDRESS": _int("LOGIN_FAILURES_PER_ADDRESS", 10),
        "LOGIN_FAILURE_WINDOW_SECONDS": _int("LOGIN_FAILURE_WINDOW_SECONDS", 60),
        "INVITE_TTL_HOURS": _int("INVITE_TTL_HOURS", 72),
        "PASSWORD_RESET_TTL_MINUTES": _int("PASSWORD_RESET_TTL_MINUTES", 60),
        # Behind a reverse proxy, the number of proxies whose X-Forwarded-* headers to trust.
        "TRUSTED_PROXIES": _int("TRUSTED_PROXIES", 0),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_DURATION": 60 * 60 * 24 * 30,
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "TEMPLATES_AUTO_RELOAD": not production,
        "TOKEN_KEYS": os.environ.get("TOKEN_KEYS", ""),
        # The built-in sandbox platform: on in development, off in production unless asked for.
        "SANDBOX_ENABLED": _bool(os.environ.get("SANDBOX_ENABLED"), default=not production),
        "SANDBOX_ACCESS_TOKEN_SECONDS": _int("SANDBOX_ACCESS_TOKEN_SECONDS", 3600),
        "SANDBOX_OPERATORS": os.environ.get("SANDBOX_OPERATORS", ""),
        "CONNECTION_REFRESH_AHEAD_MINUTES": _int("CONNECTION_REFRESH_AHEAD_MINUTES", 15),
        # The publishing engine.
        "PUBLISH_LEASE_SECONDS": _int("PUBLISH_LEASE_SECONDS", 120),
        "PUBLISH_BACKOFF_SECONDS": _int("PUBLISH_BACKOFF_SECONDS", 30),
        "PUBLISH_MAX_ATTEMPTS": _int("PUBLISH_MAX_ATTEMPTS", 5),
        "PUBLISH_MISSED_AFTER_MINUTES": _int("PUBLISH_MISSED_AFTER_MINUTES", 360),
        "PUBLISH_TIMEOUT_SECONDS": _int("PUBLISH_TIMEOUT_SECONDS", 30),
        # Deliveries one worker process publishes at the same time (threads, each with its session).
        "PUBLISH_CONCURRENCY": publish_concurrency,
        # After an answer that leaves it unknown whether a post was made, wait at least this long
        # before looking it up: platforms' searches lag behind their creates.
        "PUBLISH_LOOKUP_DELAY_SECONDS": _int("PUBLISH_LOOKUP_DELAY_SECONDS", 30),
        # How often to ask a platform whether uploaded media is processed, and for how long at most.
        "PUBLISH_POLL_SECONDS": _int("PUBLISH_POLL_SECONDS", 3),
        "PUBLISH_POLL_LIMIT_SECONDS": _int("PUBLISH_POLL_LIMIT_SECONDS", 600),
        "RECURRENCE_HORIZON_DAYS": _int("RECURRENCE_HORIZON_DAYS", 60),
        # The media library.
        "VIDEO_MAX_BYTES": _int("VIDEO_MAX_MB", 2048) * 1024 * 1024,
        "IMAGE_MAX_BYTES": _int("IMAGE_MAX_MB", 20) * 1024 * 1024,
        "MEDIA_LINK_SECONDS": _int("MEDIA_LINK_SECONDS", 3600),
        # The client portal.
        "ATTACHMENT_MAX_BYTES": _int("ATTACHMENT_MAX_MB", 25) * 1024 * 1024,
        "PORTAL_INVITE_DAYS": _int("PORTAL_INVITE_DAYS", 7),
        # Messages sent within this many seconds of the first unsent one go out as one e-mail.
        "MESSAGE_EMAIL_BATCH_SECONDS": _int("MESSAGE_EMAIL_BATCH_SECONDS", 120),
        "PORTAL_POLL_SECONDS": _int("PORTAL_POLL_SECONDS", 5),
        # The community: points per thing done, and posting limits per 10 minutes.
        "COMMUNITY_POINTS": _weights(os.environ.get("COMMUNITY_POINTS", "topic=5,reply=2,like=1,solved=10")),
        "COMMUNITY_RATE_LIMITS": {"new": {"topics": 3, "replies": 10, "links": 2},
                                  "member": {"topics": 10, "replies": 40, "links": 10}},
        # The storefront: likes and comments per person, and inquiries per address and per network
        # address, each as (how many, per so many minutes).
        "STOREFRONT_LIKES_PER_WINDOW": (_int("STOREFRONT_LIKES_PER_MINUTE", 30), 1),
        "STOREFRONT_COMMENTS_PER_WINDOW": (_int("STOREFRONT_COMMENTS_PER_10_MINUTES", 5), 10),
        "STOREFRONT_INQUIRIES_PER_WINDOW": {"email": (3, 60), "ip": (10, 60)},
        # The coach: an OpenAI-compatible model server (none: the coach answers from the playbook).
        "COACH_API_URL": os.environ.get("COACH_API_URL", "").rstrip("/"),
        "COACH_MODEL": os.environ.get("COACH_MODEL", ""),
        "COACH_API_KEY": os.environ.get("COACH_API_KEY", ""),
        "COACH_CONNECT_TIMEOUT_SECONDS": _float("COACH_CONNECT_TIMEOUT_SECONDS", 5.0),
        "COACH_READ_TIMEOUT_SECONDS": _float("COACH_READ_TIMEOUT_SECONDS", 30.0),
        # Answers one process writes at once, and how often a growing answer is saved and re-read.
        "COACH_MAX_STREAMS": _int("COACH_MAX_STREAMS", 64),
        "COACH_SAVE_SECONDS": _float("COACH_SAVE_SECONDS", 0.5),
        "COACH_POLL_SECONDS": _float("COACH_POLL_SECONDS", 0.5),
        # An answer still "arriving" that nobody saved for this long lost its writer (a restart).
        "COACH_ABANDONED_SECONDS": _int("COACH_ABANDONED_SECONDS", 120),
        # Content: the longest AI draft answer, and how long a post waits for approval before its
        # approvers are reminded (then again every that many days).
        "CONTENT_DRAFT_MAX_TOKENS": _int("CONTENT_DRAFT_MAX_TOKENS", 1200),
        "APPROVAL_REMINDER_DAYS": _int("APPROVAL_REMINDER_DAYS", 2),
        # What Meta's webhook subscription sends in its verify handshake (set the same in the app's dashboard).
        "META_WEBHOOK_VERIFY_TOKEN": os.environ.get("META_WEBHOOK_VERIFY_TOKEN", ""),
        # Plans and usage: counted always, refused only while on (`STUDIO_USAGE_LIMITS=off` for an
        # install that wants no limits). Stripe (Checkout, the customer portal, its webhook) once its
        # keys are set; its API base is for a fake server in tests.
        "USAGE_LIMITS": _bool(os.environ.get("STUDIO_USAGE_LIMITS"), default=True),
        "STRIPE_SECRET_KEY": os.environ.get("STRIPE_SECRET_KEY", ""),
        "STRIPE_WEBHOOK_SECRET": os.environ.get("STRIPE_WEBHOOK_SECRET", ""),
        "STRIPE_API_BASE": os.environ.get("STRIPE_API_BASE", "https://api.stripe.com").rstrip("/"),
        # Analytics alerts: follower marks, and what counts as a surge, a decline and low engagement.
        "ANALYTICS_MILESTONES": sorted(int(mark) for mark in os.environ.get(
            "ANALYTICS_MILESTONES", "1000,5000,10000,50000,100000,500000,1000000").split(",") if mark.strip()),
        "ANALYTICS_SURGE_FACTOR": _float("ANALYTICS_SURGE_FACTOR", 3.0),
        "ANALYTICS_DECLINE_PERCENT": _float("ANALYTICS_DECLINE_PERCENT", 2.0),
        "ANALYTICS_LOW_ENGAGEMENT_PERCENT": _float("ANALYTICS_LOW_ENGAGEMENT_PERCENT", 1.0),
        # Delete a file once every post that uses it has published (metadata and thumbnail stay).
        "ZERO_STORAGE": _bool(os.environ.get("ZERO_STORAGE"), default=False),
        "STORAGE_BACKEND": os.environ.get("STORAGE_BACKEND", "local"),
        "MEDIA_FOLDER": os.environ.get("MEDIA_FOLDER", ""),
        "UPLOAD_TMP_FOLDER": os.environ.get("UPLOAD_TMP_FOLDER", ""),
        "S3_BUCKET": os.environ.get("S3_BUCKET", ""),
        "S3_ENDPOINT_URL": os.environ.get("S3_ENDPOINT_URL", ""),
        "S3_REGION": os.environ.get("S3_REGION", ""),
        "S3_ACCESS_KEY_ID": os.environ.get("S3_ACCESS_KEY_ID", ""),
        "S3_SECRET_ACCESS_KEY": os.environ.get("S3_SECRET_ACCESS_KEY", ""),
        **_platform_settings(),
    }
