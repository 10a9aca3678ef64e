"""The sandbox's OAuth 2 authorization server, built with Authlib: authorization code with PKCE
(S256, required), refresh tokens that rotate, revocation, and bearer-token protection for its API."""
import hmac
import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2.rfc6749 import OAuth2Request, grants
from authlib.oauth2.rfc6749.errors import InvalidGrantError, InvalidRequestError
from authlib.oauth2.rfc6750 import BearerTokenGenerator, BearerTokenValidator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from flask import Flask, current_app, request
from sqlalchemy import select, update

from studio.database import changed_rows
from studio.extensions import db
from studio.platforms.sandbox import Sandbox
from studio.sandbox.models import SandboxAccount, SandboxAuthCode, SandboxToken, token_hash

SCOPES = ("profile", "publish", "metrics")
CALLBACK_PATH = "/connections/callback/sandbox"


class SandboxClient:
    """The studio itself, registered with the sandbox by configuration rather than a table."""

    def __init__(self, client_id: str, client_secret: str) -> None:
        self.client_id = client_id
        self.client_secret = client_secret

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        return " ".join(part for part in (scope or "").split() if part in SCOPES)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        # Only the studio's own callback, on the address this very request came to: the sandbox
        # lives inside the studio, so a code is never sent to another host.
        parts = urlsplit(redirect_uri)
        return parts.path == CALLBACK_PATH and parts.netloc == request.host

    def check_client_secret(self, client_secret: str | None) -> bool:
        return hmac.compare_digest(client_secret or "", self.client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in ("authorization_code", "refresh_token")


def sandbox_client() -> SandboxClient:
    adapter = Sandbox(current_app.config)
    return SandboxClient(adapter.client_id, adapter.client_secret)


def query_client(client_id: str) -> SandboxClient | None:
    client = sandbox_client()
    return client if client_id == client.client_id else None


def save_token(token: Mapping[str, Any], request: OAuth2Request) -> None:
    db.session.add(
        SandboxToken(
            client_id=request.client.get_client_id(),
            account_id=request.user.id,
            access_token_hash=token_hash(token["access_token"]),
            refresh_token_hash=token_hash(token["refresh_token"]) if token.get("refresh_token") else None,
            scope=token.get("scope", ""),
            expires_in=token["expires_in"],
        )
    )
    db.session.commit()


class RequiredS256(CodeChallenge):
    """PKCE is not optional here, and only S256 is accepted (as OAuth 2.1 asks)."""

    def validate_code_challenge(self, grant: grants.AuthorizationCodeGrant, redirect_uri: str | None) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send code_challenge with code_challenge_method=S256.")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("Only code_challenge_method=S256 is accepted.")
        super().validate_code_challenge(grant, redirect_uri)


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        data = request.payload.data
        db.session.add(
            SandboxAuthCode(
                code_hash=token_hash(code),
                client_id=request.client.get_client_id(),
                account_id=request.user.id,
                redirect_uri=request.payload.redirect_uri or "",
                scope=request.payload.scope or "",
                code_challenge=data.get("code_challenge"),
                code_challenge_method=data.get("code_challenge_method"),
            )
        )
        db.session.commit()

    def query_authorization_code(self, code: str, client: SandboxClient) -> SandboxAuthCode | None:
        found = db.session.execute(
            select(SandboxAuthCode).where(SandboxAuthCode.code_hash == token_hash(code),
                                          SandboxAuthCode.client_id == client.get_client_id())
        ).scalar_one_or_none()
        return found if found is not None and not found.is_expired() else None

    def delete_authorization_code(self, authorization_code: SandboxAuthCode) -> None:
        # A code works once: a replay finds nothing and is refused with invalid_grant.
        db.session.delete(authorization_code)
        db.session.commit()

    def authenticate_user(self, authorization_code: SandboxAuthCode) -> SandboxAccount:
        return authorization_code.account


class RefreshTokenGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
    INCLUDE_NEW_REFRESH_TOKEN = True  # refresh tokens rotate

    def authenticate_refresh_token(self, refresh_token: str) -> SandboxToken | None:
        token = db.session.execute(
            select(SandboxToken).where(SandboxToken.refresh_token_hash == token_hash(refresh_token))
        ).scalar_one_or_none()
        return token if token is not None and token.is_refresh_token_valid() else None

    def authenticate_user(self, refresh_token: SandboxToken) -> SandboxAccount:
        return refresh_token.account

    def revoke_old_credential(self, refresh_token: SandboxToken) -> None:
        # A refresh token works once, even when two refreshes send it at the same moment: only the
        # first to revoke it wins; the other is refused invalid_grant, as a real platform would.
        revoked = changed_rows(db.session.execute(
            update(SandboxToken).where(SandboxToken.id == refresh_token.id, SandboxToken.refresh_revoked.is_(False))
            .values(refresh_revoked=True, access_revoked=True)
        ))
        db.session.commit()
        if revoked != 1:
            raise InvalidGrantError("The refresh token was already used.")


class SandboxRevocationEndpoint(RevocationEndpoint):
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def query_token(self, token_string: str, token_type_hint: str | None) -> SandboxToken | None:
        column_order = [SandboxToken.access_token_hash, SandboxToken.refresh_token_hash]
        if token_type_hint == "refresh_token":
            column_order.reverse()
        for column in column_order:
            token = db.session.execute(select(SandboxToken).where(column == token_hash(token_string))).scalar_one_or_none()
            if token is not None:
                return token
        return None

    def revoke_token(self, token: SandboxToken, request: OAuth2Request) -> None:
        token.access_revoked = True
        token.refresh_revoked = True
        db.session.commit()


class SandboxBearerValidator(BearerTokenValidator):
    def authenticate_token(self, token_string: str) -> SandboxToken | None:
        return db.session.execute(
            select(SandboxToken).where(SandboxToken.access_token_hash == token_hash(token_string))
        ).scalar_one_or_none()


require_token = ResourceProtector()
require_token.register_token_validator(SandboxBearerValidator())


def _new_token(*args: Any, **kwargs: Any) -> str:
    return secrets.token_urlsafe(32)


def authorization_server() -> AuthorizationServer:
    return current_app.extensions["sandbox_oauth"]


def init_sandbox_server(app: Flask) -> None:
    """One authorization server per app (tests build many apps)."""
    authorization = AuthorizationServer(app, query_client=query_client, save_token=save_token)
    app.extensions["sandbox_oauth"] = authorization
    authorization.register_token_generator(
        "default",
        BearerTokenGenerator(
            _new_token, _new_token,
            expires_generator=lambda client, grant_type: current_app.config["SANDBOX_ACCESS_TOKEN_SECONDS"],
        ),
    )
    authorization.register_grant(AuthorizationCodeGrant, [RequiredS256(required=True)])
    authorization.register_grant(RefreshTokenGrant)
    authorization.register_endpoint(SandboxRevocationEndpoint)
