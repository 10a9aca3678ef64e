"""Language models behind one interface: `stream(messages, max_tokens)` yields the answer's text as it
arrives and, last, the usage the server reported. The one real provider speaks the OpenAI-compatible
chat-completions API (OpenAI, Ollama, vLLM, llama.cpp's server, LM Studio), through httpx."""
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import httpx


class ProviderError(Exception):
    """A failure to put in front of a person: what went wrong, in a sentence."""


@dataclass(frozen=True)
class Chunk:
    text: str = ""
    prompt_tokens: int | None = None  # set on the last chunk when the server reports usage
    completion_tokens: int | None = None


class ChatProvider(Protocol):
    name: str  # what the studio shows as the answer's source

    def stream(self, messages: list[dict[str, str]], max_tokens: int) -> Iterator[Chunk]: ...


@dataclass(frozen=True)
class ProviderSettings:
    api_url: str
    model: str
    api_key: str = ""
    connect_timeout: float = 5.0
    read_timeout: float = 30.0  # the longest silence allowed between two pieces of an answer


class OpenAICompatible:
    """POST {api_url}/chat/completions with stream=true; the reply is server-sent events of
    chat.completion.chunk objects, then `data: [DONE]`."""

    def __init__(self, settings: ProviderSettings, transport: httpx.BaseTransport | None = None):
        self.settings = settings
        self.name = settings.model
        self.transport = transport

    def _client(self) -> httpx.Client:
        timeout = httpx.Timeout(self.settings.read_timeout, connect=self.settings.connect_timeout)
        headers = {"Authorization": f"Bearer {self.settings.api_key}"} if self.settings.api_key else {}
        return httpx.Client(base_url=self.settings.api_url.rstrip("/") + "/", timeout=timeout, headers=headers,
                            transport=self.transport)

    def stream(self, messages: list[dict[str, str]], max_tokens: int) -> Iterator[Chunk]:
        body = {"model": self.settings.model, "messages": messages, "max_tokens": max_tokens, "stream": True,
                "stream_options": {"include_usage": True}}
        with self._guard(), self._client() as client, client.stream("POST", "chat/completions", json=body) as response:
            if response.status_code >= 400:
                response.read()
                raise ProviderError(self._refusal(response))
            yield from self._chunks(response)

    def _chunks(self, response: httpx.Response) -> Iterator[Chunk]:
        for line in response.iter_lines():
            if not line.startswith("data:"):
                continue  # comments, event names and the blank lines between events
            data = line[5:].strip()
            if data == "[DONE]":
                return
            try:
                event = json.loads(data)
            except ValueError:
                raise ProviderError("The model server sent something that is not a chat-completions stream.")
            if "error" in event:
                raise ProviderError(f"The model server stopped with an error: {_message_of(event)}")
            for choice in event.get("choices") or []:
                text = (choice.get("delta") or {}).get("content")
                if text:
                    yield Chunk(text=text)
            usage = event.get("usage")
            if usage:
                yield Chunk(prompt_tokens=int(usage.get("prompt_tokens") or 0),
                            completion_tokens=int(usage.get("completion_tokens") or 0))
        raise ProviderError("The model server closed the connection before the answer was finished.")

    def check(self) -> str:
        """Ask the server which models it has: a sentence saying the connection works, or a
        ProviderError saying why not."""
        with self._guard(), self._client() as client:
            response = client.get("models")
            if response.status_code >= 400:
                raise ProviderError(self._refusal(response))
            try:
                names = [item.get("id") for item in response.json().get("data", [])]
            except (ValueError, AttributeError):
                raise ProviderError(f"{self.settings.api_url}/models did not answer with a list of models.")
        if self.settings.model not in names:
            listed = ", ".join(str(name) for name in names[:10]) or "none"
            raise ProviderError(f"The server answers, but has no model “{self.settings.model}” (it has: {listed}).")
        return f"Connected: {self.settings.api_url} serves “{self.settings.model}”."

    def _guard(self) -> "_TranslatedErrors":
        return _TranslatedErrors(self.settings)

    def _refusal(self, response: httpx.Response) -> str:
        detail = _message_of(_json_or_empty(response))
        status = response.status_code
        if status in (401, 403):
            return f"The model server refused the API key ({status}). Check the key in the coach's settings."
        if status == 404:
            return f"The model server has no such endpoint or model ({status}): {detail or self.settings.model}."
        if status == 429:
            return "The model server is busy or over its quota (429). Try again in a minute."
        return f"The model server answered {status}" + (f": {detail}" if detail else ".")


class _TranslatedErrors:
    """Turns httpx's exceptions into a ProviderError with a sentence a person can act on."""

    def __init__(self, settings: ProviderSettings):
        self.settings = settings

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: object) -> None:
        if isinstance(error, httpx.ConnectTimeout):
            raise ProviderError(f"Could not reach the model server at {self.settings.api_url} "
                                f"within {self.settings.connect_timeout:g} s.") from error
        if isinstance(error, httpx.ConnectError):
            raise ProviderError(f"Could not reach the model server at {self.settings.api_url}.") from error
        if isinstance(error, httpx.TimeoutException):
            raise ProviderError(f"The model server went quiet for {self.settings.read_timeout:g} s.") from error
        if isinstance(error, httpx.HTTPError):
            raise ProviderError(f"The connection to the model server failed: {error}.") from error


def _json_or_empty(response: httpx.Response) -> dict:
    try:
        value = response.json()
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _message_of(body: dict) -> str:
    error = body.get("error")
    if isinstance(error, dict):
        return str(error.get("message") or "")[:300]
    return str(error or "")[:300]
