"""The one interface every platform adapter implements, and the HTTP plumbing they share.

An adapter knows a platform's OAuth client settings (authorize and token URLs, scopes, PKCE, extra
parameters), how to exchange a code, refresh and revoke tokens, and how to fetch the connected
account. Client ids and secrets come from the configuration (`<KEY>_CLIENT_ID`,
`<KEY>_CLIENT_SECRET`); every base URL is a setting too (`<KEY>_<NAME>_URL`), so tests point an
adapter at a fake server on loopback.
"""
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Literal, Self, TypeVar

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2 import OAuth2Error

from studio.platforms.errors import (
    AuthError,
    PermanentError,
    PlatformError,
    RetryableError,
    UncertainError,
)
from studio.platforms.options import Option
from studio.platforms.protocols import Connection, MediaFile, MediaT
from studio.platforms.rules import Problem

HTTP_TIMEOUT = 15  # seconds; a platform slower than this is treated as unavailable
T = TypeVar("T")  # what wait_until's probe finds


@dataclass
class Account:
    """The account a token belongs to, as the platform names it."""

    id: str
    username: str
    display_name: str = ""
    avatar_url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Tokens:
    access_token: str
    refresh_token: str | None = None
    expires_at: datetime | None = None
    refresh_expires_at: datetime | None = None
    scope: str = ""
    raw: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_response(cls, data: Mapping[str, Any], now: datetime | None = None) -> Self:
        now = now or datetime.now(UTC)

        def after(seconds: int | str | None) -> datetime | None:
            return now + timedelta(seconds=int(seconds)) if seconds not in (None, "") else None

        scope = data.get("scope") or ""
        if isinstance(scope, list):
            scope = " ".join(scope)
        return cls(
            access_token=data["access_token"],
            refresh_token=data.get("refresh_token") or None,
            expires_at=after(data.get("expires_in")),
            refresh_expires_at=after(data.get("refresh_expires_in") or data.get("refresh_token_expires_in")),
            scope=scope.replace(",", " "),
            raw={k: v for k, v in data.items() if "token" not in k},
        )


@dataclass
class Published:
    """A post the platform now holds."""

    platform_post_id: str
    url: str = ""
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass
class Connectable:
    """One account the user may connect, with the tokens to store for it (a Facebook Page has its own)."""

    account: Account
    tokens: Tokens


class Platform:
    key = ""
    name = ""
    scopes: tuple[str, ...] = ()
    scope_separator = " "
    uses_pkce = True
    token_auth_method = "client_secret_post"  # or client_secret_basic
    authorize_params: dict[str, str] = {}
    urls: dict[str, str] = {}  # name -> default base URL; each is overridable by <KEY>_<NAME>_URL
    # OAuth endpoints: "authorize", "token", "revoke" -> (name of a base URL, path)
    endpoints: dict[str, tuple[str, str]] = {}
    can_refresh = True
    picks_accounts = False  # the user chooses which of the returned accounts to connect
    login_hint_param: str | None = None  # the authorize parameter that names the account to sign in as (Reconnect fills it)
    docs = ""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config
        prefix = self.key.upper()
        self.client_id: str = config.get(f"{prefix}_CLIENT_ID") or ""
        self.client_secret: str = config.get(f"{prefix}_CLIENT_SECRET") or ""
        self.base: dict[str, str] = {name: (config.get(f"{prefix}_{name.upper()}_URL") or url).rstrip("/") for name, url in self.urls.items()}

    # ---- what the connections page shows ----------------------------------------------------

    @property
    def configured(self) -> bool:
        return bool(self.client_id and self.client_secret)

    def settings_to_fill(self) -> list[str]:
        prefix = self.key.upper()
        return [f"{prefix}_CLIENT_ID", f"{prefix}_CLIENT_SECRET"]

    # ---- OAuth --------------------------------------------------------------------------------

    def path_values(self) -> dict[str, str]:
        """Values for {placeholders} in endpoint paths (Facebook's API version)."""
        return {}

    def endpoint(self, name: str) -> str | None:
        """The address of an OAuth endpoint, or None where the platform has none (revoke)."""
        if name not in self.endpoints:
            return None
        return self.endpoint_url(name)

    def endpoint_url(self, name: str) -> str:
        """The address of an endpoint the platform has (every one has authorize and token)."""
        base, path = self.endpoints[name]
        return self.base[base] + path.format(**self.path_values())

    @property
    def authorize_url(self) -> str:
        return self.endpoint_url("authorize")

    @property
    def token_url(self) -> str:
        return self.endpoint_url("token")

    @property
    def revoke_url(self) -> str | None:
        return self.endpoint("revoke")

    def oauth_session(self, redirect_uri: str | None = None, token: Mapping[str, Any] | None = None) -> OAuth2Session:
        session = OAuth2Session(
            client_id=self.client_id,
            client_secret=self.client_secret,
            scope=self.scope_separator.join(self.scopes),
            redirect_uri=redirect_uri,
            token=token,
            token_endpoint_auth_method=self.token_auth_method,
            code_challenge_method="S256" if self.uses_pkce else None,
        )
        session.register_compliance_hook("access_token_response", _tolerate_missing_token_type)
        session.register_compliance_hook("refresh_token_response", _tolerate_missing_token_type)
        return session

    def authorization_url(self, redirect_uri: str, state: str, code_verifier: str | None = None) -> str:
        session = self.oauth_session(redirect_uri)
        url, _ = session.create_authorization_url(
            self.authorize_url, state=state, code_verifier=code_verifier if self.uses_pkce else None,
            **self.authorize_params,
        )
        return url

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str | None = None) -> Tokens:
        """The tokens for an authorization code (the callback's second step)."""
        session = self.oauth_session(redirect_uri)
        extra = {"code_verifier": code_verifier} if self.uses_pkce else {}
        with oauth_errors():
            data = session.fetch_token(self.token_url, code=code, timeout=HTTP_TIMEOUT, **extra)
            tokens = Tokens.from_response(data)
        return self.finish_tokens(tokens)

    def finish_tokens(self, tokens: Tokens) -> Tokens:
        """A hook for platforms that trade the first token for a longer-lived one."""
        return tokens

    def can_refresh_connection(self, connection: Connection) -> bool:
        """Whether a refresh could renew this connection's tokens (else only reconnecting can)."""
        return self.can_refresh and bool(connection.refresh_token)

    def refresh(self, access_token: str | None, refresh_token: str | None) -> Tokens:
        if not refresh_token:
            raise AuthError(f"{self.name} gave no refresh token; reconnect the account.")
        session = self.oauth_session()
        with oauth_errors():
            data = session.refresh_token(self.token_url, refresh_token=refresh_token, timeout=HTTP_TIMEOUT)
            return Tokens.from_response(data)

    def revoke(self, access_token: str | None, refresh_token: str | None) -> bool:
        """Tell the platform to forget the tokens, where it offers a way."""
        if not self.revoke_url:
            return False
        session = self.oauth_session()
        with oauth_errors():
            response = session.revoke_token(self.revoke_url, token=refresh_token or access_token, timeout=HTTP_TIMEOUT)
        check(response, self.name)
        return True

    # ---- accounts -----------------------------------------------------------------------------

    def fetch_account(self, access_token: str) -> Account:
        raise NotImplementedError

    def connectables(self, tokens: Tokens) -> list[Connectable]:
        """What this authorization lets the user connect: usually the one account of the token."""
        return [Connectable(self.fetch_account(tokens.access_token), tokens)]

    # ---- publishing ---------------------------------------------------------------------------

    supports_lookup = False  # can the platform tell whether a post with our reference exists?

    def quota(self) -> tuple[int, int, str] | None:
        """(units a publish costs, units a day, the zone whose midnight resets it), or None."""
        return None

    # How long (seconds) the composer may go by what `creator_info` said about an account; None
    # where the platform says nothing of the kind. The connections feature asks and keeps the answer.
    creator_info_seconds: int | None = None

    def creator_info(self, access_token: str | None) -> dict[str, Any]:
        """What the platform says this account may post now (TikTok: the privacy levels it may use,
        its interaction settings, its longest video), asked with a token the caller holds."""
        return {}

    def composer_options(self, connection: Connection, creator_info: Mapping[str, Any] | None = None) -> list[Option]:
        """The choices the composer offers for this account (platforms.options.Option), given what
        `creator_info` said about it ({} or None when nothing is known)."""
        return []

    def option_problems(self, connection: Connection, values: Mapping[str, Any], assets: Sequence[MediaFile],
                        field_for: Callable[[str], str], creator_info: Mapping[str, Any] | None = None) -> list[Problem]:
        """What this platform would refuse about the chosen options beyond the generic checks
        (a list of platforms.rules.Problem)."""
        return []

    def can_look_up(self, progress: Mapping[str, Any] | None) -> bool:
        """Whether the platform can tell us if an earlier attempt already made the post (some can
        only once they gave us an id for the publish in flight, kept in `progress`)."""
        return self.supports_lookup

    def publish(self, access_token: str | None, text: str, media: Sequence[MediaT], client_reference: str,
                connection: Connection | None = None, options: Mapping[str, Any] | None = None,
                progress: dict[str, Any] | None = None, media_url: Callable[[MediaT], str] | None = None) -> Published:
        """Publish `text` with `media` (library assets, with an `open()` for their bytes) to
        `connection`'s account; returns Published. `options` are the composer's choices for this
        platform; `progress` is a dict the adapter may update with what a later attempt can resume
        (an upload session, an id for the publish in flight); the engine saves it. `media_url(asset)`
        gives an expiring link anyone may fetch the file from, for platforms that fetch media by URL."""
        raise NotImplementedError

    def post_url(self, platform_post_id: str | None, stored_url: str) -> str:
        """The address to show for a published post: the one the platform gave, as a rule."""
        return stored_url

    def fetch_account_stats(self, access_token: str | None, connection: Connection) -> dict[str, int] | None:
        """{followers, following, posts} as the platform counts them (a key it lacks is left out),
        or None where the platform offers this app no such numbers."""
        return None

    def fetch_post_metrics(self, access_token: str | None, post_ids: Sequence[str]) -> dict[str, dict[str, int]]:
        """{post id: {views, likes, comments, shares, saves}} for posts on this platform."""
        return {}

    def find_published(self, access_token: str | None, client_reference: str, progress: dict[str, Any]) -> Published | None:
        """The post made with this reference (or the publish noted in `progress`), or None; only
        where can_look_up is True."""
        raise NotImplementedError

    def wait_until(self, probe: Callable[[], T | None], what: str, suggested_seconds: float | None = None) -> T:
        """Call `probe()` until it returns something other than None: platforms process uploaded
        media after the upload, and say when it is ready only when asked."""
        deadline = time.monotonic() + int(self.config.get("PUBLISH_POLL_LIMIT_SECONDS", 600))
        interval = float(self.config.get("PUBLISH_POLL_SECONDS", 3))
        while True:
            result = probe()
            if result is not None:
                return result
            if time.monotonic() > deadline:
                raise RetryableError(f"{self.name} is still processing {what}; trying again later.")
            time.sleep(min(interval, suggested_seconds) if suggested_seconds is not None else interval)

    def setting(self, name: str, default: Any) -> Any:
        return self.config.get(f"{self.key.upper()}_{name}") or default

    # ---- HTTP ---------------------------------------------------------------------------------
    # The answers are the platforms' JSON, whatever shape each gives it (hence Any).

    def get(self, url: str, access_token: str | None = None, **kwargs: Any) -> Any:
        return self.call("GET", url, access_token, **kwargs)

    def post(self, url: str, access_token: str | None = None, **kwargs: Any) -> Any:
        return self.call("POST", url, access_token, **kwargs)

    def call(self, method: str, url: str, access_token: str | None = None, headers: Mapping[str, str] | None = None,
             creates: bool = False, **kwargs: Any) -> Any:
        """Send a request and return its JSON, or raise the right PlatformError. `creates` marks the
        call that makes the post: a server error from it does not prove that nothing was made."""
        response = self.send(method, url, access_token, headers, creates=creates, **kwargs)
        self.note_load(response)
        try:
            return self.classify(response)
        except RetryableError as error:
            if creates:
                raise_if_post_may_exist(error, response)
                self.note_create_refused()
            raise
        except PlatformError:
            if creates:
                self.note_create_refused()
            raise

    def note_create_refused(self) -> None:
        if self.create_refused is not None:
            self.create_refused()

    def check_create(self, response: requests.Response) -> Any:
        """`check` for the answer to a create call sent with `send`: a server error is uncertain,
        and a refusal (4xx, 429) is noted as one, since then nothing was made."""
        try:
            return check(response, self.name, creates=True)
        except UncertainError:
            raise
        except PlatformError:
            self.note_create_refused()
            raise

    # When the platform says we are near its limit, the engine holds the account's next publish
    # until this moment instead of running into a 429 (see `note_load`).
    pause_until: tuple[datetime, str] | None = None  # (moment, reason)

    def note_load(self, response: requests.Response) -> None:
        """Read how close we are to the platform's limits from its headers, where it says."""

    def pause(self, seconds: float, reason: str) -> None:
        moment = datetime.now(UTC) + timedelta(seconds=max(1, seconds))
        if self.pause_until is None or moment > self.pause_until[0]:
            self.pause_until = (moment, reason)

    def classify(self, response: requests.Response) -> Any:
        """Data from a response, or the PlatformError its status says; platforms with their own
        error codes (Meta) refine this."""
        return check(response, self.name)

    # The engine sets this to a function called before every request of a publish (with `creates`):
    # it keeps the delivery's lease, and stops the attempt before a call it no longer holds it for.
    before_call: Callable[[bool], None] | None = None
    create_refused: Callable[[], None] | None = None  # and this when the platform refused the create call outright (nothing made)

    def send(self, method: str, url: str, access_token: str | None = None, headers: Mapping[str, str] | None = None,
             creates: bool = False, **kwargs: Any) -> requests.Response:
        """Send a request and return the response itself (for headers such as LinkedIn's ids);
        transport failures become PlatformErrors, HTTP errors are left to `check`."""
        if self.before_call is not None:
            self.before_call(creates)
        headers = dict(headers or {})
        if access_token:
            headers["Authorization"] = f"Bearer {access_token}"
        kwargs.setdefault("timeout", HTTP_TIMEOUT)
        try:
            return requests.request(method, url, headers=headers, **kwargs)
        except requests.ConnectTimeout as error:
            raise RetryableError(f"Could not reach {self.name} in time.") from error
        except requests.Timeout as error:
            # The request went out; the platform may have acted on it before we stopped waiting.
            raise UncertainError(f"{self.name} did not answer in time.") from error
        except requests.ConnectionError as error:
            raise UncertainError(f"The connection to {self.name} broke: {error.__class__.__name__}.") from error
        except requests.RequestException as error:
            raise RetryableError(f"Could not reach {self.name}: {error.__class__.__name__}.") from error


def raise_if_post_may_exist(error: RetryableError, response: requests.Response) -> None:
    """A server error in answer to a create call may come after the post was made: that is
    uncertain (look it up before any second create), not a plain retry."""
    if response.status_code >= 500 and not isinstance(error, UncertainError):
        raise UncertainError(f"{error} The post may have been made all the same.", error.status,
                             error.payload) from error


def check(response: requests.Response, platform_name: str, creates: bool = False) -> Any:
    """Turn an HTTP answer into data, or into the right PlatformError (`creates`: the call that
    makes the post, see raise_if_post_may_exist)."""
    try:
        return _check(response, platform_name)
    except RetryableError as error:
        if creates:
            raise_if_post_may_exist(error, response)
        raise


def _check(response: requests.Response, platform_name: str) -> Any:
    try:
        payload = response.json() if response.content else {}
    except ValueError:
        payload = {"text": response.text[:500]}
    status = response.status_code
    if status < 400:
        return payload
    message = describe_error(payload) or f"HTTP {status}"
    text = f"{platform_name} answered {status}: {message}"
    if status == 429:
        raise RetryableError(text, status, payload, retry_after=retry_after_seconds(response))
    if status >= 500:
        raise RetryableError(text, status, payload, retry_after=retry_after_seconds(response))
    if status in (401, 403):
        raise AuthError(text, status, payload)
    raise PermanentError(text, status, payload)


def describe_error(payload: Any) -> str:
    """The human part of the many error shapes platforms use."""
    if not isinstance(payload, dict):
        return str(payload)[:300]
    error = payload.get("error")
    if isinstance(error, dict):
        return error.get("message") or error.get("code") or str(error)
    if isinstance(error, str):
        return payload.get("error_description") or error
    if isinstance(payload.get("debug_info"), dict):  # Meta's upload hosts
        return payload["debug_info"].get("message", "")
    for key in ("message", "detail", "title", "error_description"):
        if payload.get(key):
            return str(payload[key])
    if payload.get("errors"):
        first = payload["errors"][0]
        return first.get("message") or first.get("detail") or str(first)
    return ""


def retry_after_seconds(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        reset = response.headers.get("x-rate-limit-reset")
        return max(0.0, float(reset) - time.time()) if reset and reset.isdigit() else None
    try:
        return float(value)
    except ValueError:
        return None


class oauth_errors:
    """Map what Authlib and requests raise during token calls onto PlatformError classes."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> Literal[False]:
        if error is None or isinstance(error, PlatformError):
            return False
        if isinstance(error, (OAuth2Error, AuthlibBaseError)):
            code = error.error
            if isinstance(code, dict):  # Meta's error object came through as the code
                text, code = code.get("message") or str(code), "invalid_request"
            else:
                text = error.description or code or "the authorization server refused the request"
            if code in ("invalid_grant", "invalid_token", "unauthorized_client", "invalid_client", "access_denied"):
                raise AuthError(text, payload={"error": code}) from error
            raise PermanentError(text, payload={"error": code}) from error
        if isinstance(error, requests.HTTPError) and error.response is not None:
            check(error.response, "The platform")
        if isinstance(error, requests.RequestException):
            raise RetryableError(f"Could not reach the platform: {error.__class__.__name__}.") from error
        if isinstance(error, (ValueError, KeyError)):
            raise RetryableError(f"The platform answered with something unexpected ({error}).") from error
        return False


def _tolerate_missing_token_type(response: requests.Response) -> requests.Response:
    """Classify outages first: a 429 or 5xx from a token endpoint is a reason to wait, never a
    verdict on the tokens. Then Meta's answers: Instagram may wrap the token in `data: [...]`, and
    Instagram and Facebook leave out token_type (which OAuth 2 says is bearer)."""
    if response.status_code == 429 or response.status_code >= 500:
        check(response, "The platform")
    try:
        data = response.json()
    except ValueError:
        return response
    if isinstance(data, dict) and isinstance(data.get("data"), list) and len(data["data"]) == 1:
        data = {**data["data"][0], **{k: v for k, v in data.items() if k != "data"}}
        if "permissions" in data and "scope" not in data:
            data["scope"] = data["permissions"]
    if isinstance(data, dict) and "access_token" in data and "token_type" not in data:
        data["token_type"] = "bearer"
    response._content = requests.compat.json.dumps(data).encode()
    return response
