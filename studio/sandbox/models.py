"""The sandbox platform's own data: its accounts, OAuth codes and tokens, posts and media.

Like a real platform it keeps tokens only as SHA-256 hashes: a token is looked up by its hash,
so nothing in these tables can be replayed against the API."""
import hashlib
import time
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from studio.database import enum_type, one_of, timestamp, utcnow
from studio.extensions import Model


def token_hash(token: str | None) -> str:
    return hashlib.sha256((token or "").encode()).hexdigest()


class SandboxMediaKind(StrEnum):
    IMAGE = "image"
    VIDEO = "video"


class UploadStatus(StrEnum):
    UPLOADING = "uploading"  # parts are still arriving
    READY = "ready"  # finalized: a post may use it


class CallKind(StrEnum):
    """Which endpoint a call reached (the latency switches are per kind)."""

    TOKEN = "token"
    REVOKE = "revoke"
    CREATE = "create"
    MEDIA = "media"
    LOOKUP = "lookup"
    API = "api"  # any other API call


class SandboxAccount(Model):
    __tablename__ = "sandbox_accounts"

    handle: Mapped[str] = mapped_column(String(40), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    # The Studio user who made this sandbox account: like a password, only they can sign in as it.
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The audience it came to the sandbox with (an account moving its history in); growth adds to it.
    starting_followers: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[timestamp]


class SandboxAuthCode(Model):
    __tablename__ = "sandbox_auth_codes"

    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[str] = mapped_column(String(60))
    account_id: Mapped[int] = mapped_column(ForeignKey("sandbox_accounts.id", ondelete="CASCADE"))
    redirect_uri: Mapped[str] = mapped_column(Text, default="")
    scope: Mapped[str] = mapped_column(Text, default="")
    code_challenge: Mapped[str | None] = mapped_column(String(128))
    code_challenge_method: Mapped[str | None] = mapped_column(String(10))
    auth_time: Mapped[int] = mapped_column(default=lambda: int(time.time()))

    account: Mapped[SandboxAccount] = relationship()

    # What Authlib asks of an authorization code.
    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_auth_time(self):
        return self.auth_time

    def get_nonce(self):
        return None

    def is_expired(self):
        return self.auth_time + 300 < time.time()


class SandboxToken(Model):
    __tablename__ = "sandbox_tokens"

    client_id: Mapped[str] = mapped_column(String(60))
    account_id: Mapped[int] = mapped_column(ForeignKey("sandbox_accounts.id", ondelete="CASCADE"), index=True)
    access_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    refresh_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(Text, default="")
    issued_at: Mapped[int] = mapped_column(default=lambda: int(time.time()))
    expires_in: Mapped[int] = mapped_column(default=3600)
    access_revoked: Mapped[bool] = mapped_column(default=False)
    refresh_revoked: Mapped[bool] = mapped_column(default=False)

    account: Mapped[SandboxAccount] = relationship()

    # What Authlib asks of a token.
    def check_client(self, client):
        return self.client_id == client.get_client_id()

    def get_scope(self):
        return self.scope

    def get_expires_in(self):
        return self.expires_in

    def is_expired(self):
        return self.issued_at + self.expires_in < time.time()

    def is_revoked(self):
        return self.access_revoked

    def get_user(self):
        return self.account

    def get_client(self):
        from studio.sandbox.server import sandbox_client

        return sandbox_client()

    def is_refresh_token_valid(self):
        return not self.refresh_revoked


class SandboxMedia(Model):
    """A file uploaded to the sandbox in chunks: init, append parts in order, finalize."""

    __tablename__ = "sandbox_media"
    __table_args__ = (one_of("kind", SandboxMediaKind), one_of("status", UploadStatus))

    account_id: Mapped[int] = mapped_column(ForeignKey("sandbox_accounts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[SandboxMediaKind] = mapped_column(enum_type(SandboxMediaKind, 10))
    mime_type: Mapped[str] = mapped_column(String(80))
    total_bytes: Mapped[int]
    received_bytes: Mapped[int] = mapped_column(default=0)
    next_part: Mapped[int] = mapped_column(default=0)
    status: Mapped[UploadStatus] = mapped_column(enum_type(UploadStatus, 12), default=UploadStatus.UPLOADING)
    created_at: Mapped[timestamp]


class SandboxPost(Model):
    __tablename__ = "sandbox_posts"
    # Like an idempotency key: a reference makes at most one post per account, even under races.
    # Only the "no idempotency" fault makes more, each with the next duplicate_number.
    __table_args__ = (UniqueConstraint("account_id", "client_reference", "duplicate_number"),)

    account_id: Mapped[int] = mapped_column(ForeignKey("sandbox_accounts.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text, default="")
    media_ids: Mapped[list] = mapped_column(default=list)
    client_reference: Mapped[str | None] = mapped_column(String(120), index=True)
    # 0 for the first post with its reference; 1, 2, … for the second posts "no idempotency" lets through.
    duplicate_number: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[timestamp]

    account: Mapped[SandboxAccount] = relationship()


class SandboxFaults(Model):
    """Switchable misbehaviour for demos and tests (one row)."""

    __tablename__ = "sandbox_faults"

    error_rate: Mapped[float] = mapped_column(default=0.0)
    rate_limit_rate: Mapped[float] = mapped_column(default=0.0)
    retry_after_seconds: Mapped[int] = mapped_column(default=30)
    latency_ms: Mapped[int] = mapped_column(default=0)  # added to every call, whatever its endpoint
    # Added to latency_ms on one kind of endpoint: creating a post, media upload (init, parts,
    # finalize), the OAuth token endpoint, looking a post up by its reference.
    create_latency_ms: Mapped[int] = mapped_column(default=0)
    media_latency_ms: Mapped[int] = mapped_column(default=0)
    token_latency_ms: Mapped[int] = mapped_column(default=0)
    lookup_latency_ms: Mapped[int] = mapped_column(default=0)
    # A create call that stores the post and then answers 500, or drops the connection unanswered.
    error_after_create_rate: Mapped[float] = mapped_column(default=0.0)
    drop_after_create_rate: Mapped[float] = mapped_column(default=0.0)
    # As on X: a repeated client_reference makes a second post instead of returning the first.
    no_idempotency: Mapped[bool] = mapped_column(default=False)
    # The look-up endpoint does not see a post younger than this (an eventually consistent index).
    lookup_lag_seconds: Mapped[float] = mapped_column(default=0.0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SandboxCall(Model):
    """Every call the token endpoint and the API received, kept so tests and benchmarks can count
    them ("no second create call reached the sandbox"). fault: what the sandbox did to the call, if
    anything (503, 429, 500 after create, dropped after create)."""

    __tablename__ = "sandbox_calls"
    __table_args__ = (one_of("kind", CallKind),)

    kind: Mapped[CallKind] = mapped_column(enum_type(CallKind, 10), index=True)
    client_reference: Mapped[str | None] = mapped_column(String(120), index=True)
    fault: Mapped[str | None] = mapped_column(String(30))
    created_at: Mapped[timestamp]
