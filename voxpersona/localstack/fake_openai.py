"""A fake OpenAI-compatible HTTP server. It is a TEST DOUBLE: it runs no model at all.

It speaks the real OpenAI wire protocol (paths, multipart upload, JSON shapes, error objects,
``retry-after``) so the project's real ``openai.AsyncOpenAI(base_url=fake.base_url, ...)`` talks
to it exactly as to a self-hosted Whisper server. Transcripts and chat replies are deterministic
(or supplied by a pluggable callback), and faults, latency and hangs can be injected per endpoint.

Served: ``POST /v1/audio/transcriptions``, ``POST /v1/chat/completions`` (non-streaming),
``POST /v1/embeddings``, ``GET /v1/models`` and ``GET /v1/models/{id}``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import inspect
import os
import shutil
import tempfile
import time
import uuid
import wave
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self, TypeVar, cast

import numpy as np
from aiohttp import BodyPartReader, web
from aiohttp.typedefs import Handler

Endpoint = Literal["transcriptions", "chat", "embeddings", "models"]
_T = TypeVar("_T")

MAX_UPLOAD_BYTES = 26_214_400  # OpenAI's documented 25 MB limit on audio uploads
SUPPORTED_FORMATS = ("flac", "m4a", "mp3", "mp4", "mpeg", "mpga", "oga", "ogg", "wav", "webm")
RESPONSE_FORMATS = ("json", "text", "srt", "verbose_json", "vtt")
_CHUNK = 64 * 1024
_ROUTES: dict[str, Endpoint] = {
    "/v1/audio/transcriptions": "transcriptions",
    "/v1/chat/completions": "chat",
    "/v1/embeddings": "embeddings",
    "/v1/models": "models",
    "/v1/models/{model}": "models",
}
# Embedding models and their native widths. The limits below are the ones openai-python's
# ``resources/embeddings.py`` documents for ``embeddings.create``: no empty string, at most 2048
# inputs, 8192 tokens per input, 300,000 tokens per request; ``dimensions`` only from
# text-embedding-3 on.
EMBEDDING_MODELS = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}
MAX_EMBEDDING_INPUTS = 2048
MAX_EMBEDDING_INPUT_TOKENS = 8192
MAX_EMBEDDING_REQUEST_TOKENS = 300_000
ENCODING_FORMATS = ("float", "base64")
# Whisper's own table (whisper/tokenizer.py): verbose_json reports the full lowercase name.
_LANGUAGES = {
    "en": "english",
    "zh": "chinese",
    "de": "german",
    "es": "spanish",
    "ru": "russian",
    "ko": "korean",
    "fr": "french",
    "ja": "japanese",
    "pt": "portuguese",
    "tr": "turkish",
    "pl": "polish",
    "ca": "catalan",
    "nl": "dutch",
    "ar": "arabic",
    "sv": "swedish",
    "it": "italian",
    "id": "indonesian",
    "hi": "hindi",
    "fi": "finnish",
    "vi": "vietnamese",
    "he": "hebrew",
    "uk": "ukrainian",
    "el": "greek",
    "ms": "malay",
    "cs": "czech",
    "ro": "romanian",
    "da": "danish",
    "hu": "hungarian",
    "ta": "tamil",
    "no": "norwegian",
    "th": "thai",
    "ur": "urdu",
    "hr": "croatian",
    "bg": "bulgarian",
    "lt": "lithuanian",
    "la": "latin",
    "mi": "maori",
    "ml": "malayalam",
    "cy": "welsh",
    "sk": "slovak",
    "te": "telugu",
    "fa": "persian",
    "lv": "latvian",
    "bn": "bengali",
    "sr": "serbian",
    "az": "azerbaijani",
    "sl": "slovenian",
    "kn": "kannada",
    "et": "estonian",
    "mk": "macedonian",
    "br": "breton",
    "eu": "basque",
    "is": "icelandic",
    "hy": "armenian",
    "ne": "nepali",
    "mn": "mongolian",
    "bs": "bosnian",
    "kk": "kazakh",
    "sq": "albanian",
    "sw": "swahili",
    "gl": "galician",
    "mr": "marathi",
    "pa": "punjabi",
    "si": "sinhala",
    "km": "khmer",
    "sn": "shona",
    "yo": "yoruba",
    "so": "somali",
    "af": "afrikaans",
    "oc": "occitan",
    "ka": "georgian",
    "be": "belarusian",
    "tg": "tajik",
    "sd": "sindhi",
    "gu": "gujarati",
    "am": "amharic",
    "yi": "yiddish",
    "lo": "lao",
    "uz": "uzbek",
    "fo": "faroese",
    "ht": "haitian creole",
    "ps": "pashto",
    "tk": "turkmen",
    "nn": "nynorsk",
    "mt": "maltese",
    "sa": "sanskrit",
    "lb": "luxembourgish",
    "my": "myanmar",
    "bo": "tibetan",
    "tl": "tagalog",
    "mg": "malagasy",
    "as": "assamese",
    "tt": "tatar",
    "haw": "hawaiian",
    "ln": "lingala",
    "ha": "hausa",
    "ba": "bashkir",
    "jw": "javanese",
    "su": "sundanese",
    "yue": "cantonese",
}
# (type, code, default message) per status, as OpenAI sends them; other statuses fall back.
_ERROR_KINDS: dict[int, tuple[str, str | None, str]] = {
    400: ("invalid_request_error", None, "Invalid request."),
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
    413: ("server_error", None, "Maximum content size limit exceeded."),
    429: ("requests", "rate_limit_exceeded", "Rate limit reached for requests."),
    500: (
        "server_error",
        None,
        "The server had an error while processing your request. Sorry about that!",
    ),
    503: (
        "server_error",
        "service_unavailable",
        "The engine is currently overloaded, please try again later.",
    ),
}


def language_name(language: str) -> str:
    """Map an ISO-639-1 code (``ru``, ``en-US``) to Whisper's lowercase name; names pass through."""
    code = language.strip().lower()
    return _LANGUAGES.get(code.split("-")[0], code)


@dataclass(frozen=True)
class FakeSegment:
    """One timed piece of a transcript."""

    start: float
    end: float
    text: str


@dataclass(frozen=True)
class FakeTranscript:
    """What a transcriber returns; rendered into the requested ``response_format``."""

    text: str
    language: str
    duration: float
    segments: list[FakeSegment] = field(default_factory=list)


@dataclass(frozen=True)
class TranscriptionRequest:
    """One accepted transcription upload, as the fake received it."""

    filename: str
    model: str
    language: str | None
    prompt: str | None
    response_format: str
    size: int
    sha256: str
    temperature: float | None = None
    timestamp_granularities: tuple[str, ...] = ()


TranscribeFn = Callable[[Path, TranscriptionRequest], Awaitable[FakeTranscript] | FakeTranscript]
ChatFn = Callable[[dict[str, Any]], str | Awaitable[str]]
# (texts, model, dimensions) -> one vector per text.
EmbedFn = Callable[[list[str], str, int], list[list[float]] | Awaitable[list[list[float]]]]


class FakeAPIError(Exception):
    """An error answered in OpenAI's shape; transcribers and responders may raise it too."""

    def __init__(
        self,
        status: int,
        message: str | None = None,
        *,
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        kind, default_code, default_message = _ERROR_KINDS.get(
            status, ("server_error" if status >= 500 else "invalid_request_error", None, "Error.")
        )
        super().__init__(message or default_message)
        self.status, self.kind, self.param = status, kind, param
        self.message = message or default_message
        self.code = code or default_code
        self.headers = headers or {}

    def response(self) -> web.Response:
        """The HTTP answer: ``{"error": {message, type, param, code}}``."""
        error = {"message": self.message, "type": self.kind, "param": self.param, "code": self.code}
        return web.json_response({"error": error}, status=self.status, headers=self.headers)


def default_transcriber(path: Path, request: TranscriptionRequest) -> FakeTranscript:
    """Deterministic transcript naming the size and hash of exactly the bytes that arrived."""
    duration = _wav_duration(path) or 1.0
    text = f"fake transcript of {request.size} bytes sha256 {request.sha256[:16]}"
    language = language_name(request.language) if request.language else "english"
    return FakeTranscript(text, language, duration, [FakeSegment(0.0, duration, text)])


def default_responder(body: dict[str, Any]) -> str:
    """Deterministic chat reply: ``ANALYSIS: `` + the first 200 chars of the last user message."""
    user = [m for m in body.get("messages", []) if isinstance(m, dict) and m.get("role") == "user"]
    return "ANALYSIS: " + (_content_text(user[-1].get("content")) if user else "")[:200]


def hashed_embeddings(texts: list[str], model: str, dimensions: int) -> list[list[float]]:
    """Deterministic unit vectors: each lowercase word hashed into one of ``dimensions`` slots
    (texts sharing words are similar; no model runs). ``model`` seeds the hash, so two models
    never give comparable vectors, as real ones don't."""
    vectors = np.zeros((len(texts), dimensions), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in text.lower().split():
            digest = hashlib.blake2b(f"{model}\0{word.strip('.,!?;:«»')}".encode(), digest_size=8)
            slot = int.from_bytes(digest.digest(), "little")
            vectors[row, slot % dimensions] += 1.0 if slot >> 63 else -1.0
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
    return [[float(x) for x in vector] for vector in unit]


class FakeOpenAI:
    """An aiohttp server on 127.0.0.1 answering like ``api.openai.com/v1``; see module docs."""

    def __init__(
        self,
        api_key: str | None = "test-key",
        transcriber: TranscribeFn | None = None,
        responder: ChatFn | None = None,
        *,
        embedder: EmbedFn | None = None,
        reject_oga: bool = False,
        max_upload_bytes: int = MAX_UPLOAD_BYTES,
        models: Iterable[str] = ("whisper-1", "gpt-4o-mini"),
    ) -> None:
        self.api_key = api_key
        self.transcriber: TranscribeFn = transcriber or default_transcriber
        self.responder: ChatFn = responder or default_responder
        self.embedder: EmbedFn = embedder or hashed_embeddings
        self.embedding_models = dict(EMBEDDING_MODELS)
        self.embedding_requests: list[dict[str, Any]] = []
        # Several OpenAI-compatible servers refuse .oga although OpenAI itself accepts it.
        self.formats = tuple(f for f in SUPPORTED_FORMATS if not (reject_oga and f == "oga"))
        self.max_upload_bytes = max_upload_bytes
        self.models = list(models)
        self.transcription_requests: list[TranscriptionRequest] = []
        self.chat_requests: list[dict[str, Any]] = []
        self.request_log: list[tuple[Endpoint, int]] = []
        self._faults: dict[Endpoint, list[FakeAPIError]] = {}
        self._hangs: dict[Endpoint, list[float]] = {}
        self._latency: dict[Endpoint | None, float] = {}
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._tmp: Path | None = None
        self._closing = asyncio.Event()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1``, for ``AsyncOpenAI(base_url=...)``."""
        if self._runner is None:
            raise RuntimeError("FakeOpenAI is not started")
        return f"http://127.0.0.1:{self._port}/v1"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on ``host:port`` (0 picks a free port)."""
        if self._runner is not None:
            return
        self._closing = asyncio.Event()
        self._tmp = Path(tempfile.mkdtemp(prefix="vp-fake-openai-"))
        # client_max_size only bounds JSON bodies; uploads are streamed and limited separately.
        app = web.Application(middlewares=[self._middleware], client_max_size=32 * 1024 * 1024)
        app.router.add_post("/v1/audio/transcriptions", self._transcriptions)
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_post("/v1/embeddings", self._embeddings)
        app.router.add_get("/v1/models", self._list_models)
        app.router.add_get("/v1/models/{model}", self._get_model)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        self._port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Stop listening; requests still held by a hang or latency are released first."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        self._closing.set()
        await runner.cleanup()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- fault injection and recording ------------------------------------------------------

    def fail_next(
        self,
        endpoint: Endpoint,
        status: int,
        *,
        times: int = 1,
        message: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        """Answer the next ``times`` requests to ``endpoint`` with an OpenAI error ``status``.

        A 429 always carries ``retry-after`` (1 s unless given) as OpenAI's rate limiter does.
        """
        if status < 400:
            raise ValueError(f"not an error status: {status}")
        if retry_after is None and status == 429:
            retry_after = 1.0
        headers = (
            {}
            if retry_after is None
            else {
                "retry-after": f"{retry_after:g}",
                "retry-after-ms": str(round(retry_after * 1000)),
            }
        )
        error = FakeAPIError(status, message, headers=headers)
        self._faults.setdefault(endpoint, []).extend([error] * times)

    def set_latency(self, endpoint: Endpoint | None, seconds: float) -> None:
        """Delay every answer of ``endpoint`` (``None``: of all endpoints) by ``seconds``."""
        self._latency[endpoint] = seconds

    def hang_next(self, endpoint: Endpoint, seconds: float, times: int = 1) -> None:
        """Hold the next ``times`` answers for ``seconds`` so the client times out first.

        The request is processed and recorded; only its answer is late (like a stuck server).
        """
        self._hangs.setdefault(endpoint, []).extend([seconds] * times)

    def reset(self) -> None:
        """Forget injected faults, hangs, latency and everything recorded."""
        for store in (self._faults, self._hangs, self._latency):
            store.clear()
        self.transcription_requests.clear()
        self.chat_requests.clear()
        self.embedding_requests.clear()
        self.request_log.clear()

    # -- plumbing shared by every endpoint --------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        resource = request.match_info.route.resource
        endpoint = _ROUTES.get(resource.canonical) if resource is not None else None
        try:
            if endpoint is not None:
                self._check_auth(request)
                if faults := self._faults.get(endpoint):
                    # Read the upload first, as OpenAI's front end does: answering early makes
                    # aiohttp linger up to 10 s on the unread body of a keep-alive connection.
                    await _discard_body(request)
                    raise faults.pop(0)
            response = await handler(request)
        except FakeAPIError as error:
            response = error.response()
        except web.HTTPException as error:  # e.g. unknown path: OpenAI answers in JSON there too
            invalid_url = f"Invalid URL ({request.method} {request.path})"
            message = invalid_url if error.status in (404, 405) else error.reason
            response = FakeAPIError(error.status, message).response()
        response.headers["x-request-id"] = f"req_{uuid.uuid4().hex}"
        if endpoint is not None:
            self.request_log.append((endpoint, response.status))
            await self._delay(endpoint)
        return response

    def _check_auth(self, request: web.Request) -> None:
        if self.api_key is None:
            return
        header = request.headers.get("Authorization", "")
        if not header:
            raise FakeAPIError(
                401,
                "You didn't provide an API key. You need to provide your API "
                "key in an Authorization header using Bearer auth.",
            )
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or token.strip() != self.api_key:
            raise FakeAPIError(401, f"Incorrect API key provided: {token[:3]}***{token[-4:]}.")

    async def _delay(self, endpoint: Endpoint) -> None:
        seconds = self._latency.get(endpoint, self._latency.get(None, 0.0))
        if hangs := self._hangs.get(endpoint):
            seconds += hangs.pop(0)
        if seconds > 0:
            # Waiting on the closing event rather than sleeping lets stop() release held answers.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), seconds)

    # -- POST /v1/audio/transcriptions ------------------------------------------------------

    async def _transcriptions(self, request: web.Request) -> web.Response:
        if not request.content_type.startswith("multipart/"):
            raise FakeAPIError(400, "Expected a multipart/form-data body.")
        fields: dict[str, list[str]] = {}
        spool: _Spool | None = None
        try:
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if not isinstance(part, BodyPartReader):
                    raise FakeAPIError(400, "Nested multipart bodies are not supported.")
                if part.name == "file" and spool is None:
                    spool = await self._receive(part)
                elif part.name == "file":
                    await part.release()  # a second file part: read and ignore, as a server would
                else:
                    fields.setdefault(part.name or "", []).append(await part.text())
            if spool is None:
                raise FakeAPIError(400, "Missing required parameter: 'file'.", param="file")
            accepted = self._accept(fields, spool)
            self.transcription_requests.append(accepted)
            transcript = await _resolve(self.transcriber(spool.path, accepted))
        finally:
            if spool is not None:  # the upload lives only as long as its request
                spool.path.unlink(missing_ok=True)
        return _render(transcript, accepted)

    async def _receive(self, part: BodyPartReader) -> _Spool:
        assert self._tmp is not None
        suffix = Path(part.filename or "").suffix[:16]
        spool = _Spool(self._tmp, suffix, self.max_upload_bytes)
        try:
            # The whole body is read even past the limit so the client sees our 413 rather than
            # a reset connection; bytes beyond the limit are hashed but never stored.
            while chunk := await part.read_chunk(_CHUNK):
                await asyncio.to_thread(spool.write, chunk)
        finally:
            spool.close()
        spool.filename = part.filename or ""
        return spool

    def _accept(self, fields: dict[str, list[str]], spool: _Spool) -> TranscriptionRequest:
        """Validate the upload and its fields the way OpenAI does, in OpenAI's order."""

        def one(name: str) -> str | None:
            return fields[name][-1] if fields.get(name) else None

        if spool.size > self.max_upload_bytes:
            raise FakeAPIError(
                413,
                f"Maximum content size limit ({self.max_upload_bytes}) "
                f"exceeded ({spool.size} bytes read)",
            )
        if Path(spool.filename).suffix.lower().lstrip(".") not in self.formats:
            raise FakeAPIError(400, f"Invalid file format. Supported formats: {list(self.formats)}")
        model = one("model")
        if not model:
            raise FakeAPIError(400, "you must provide a model parameter", param="model")
        response_format = one("response_format") or "json"
        if response_format not in RESPONSE_FORMATS:
            raise FakeAPIError(
                400,
                f"'{response_format}' is not one of {list(RESPONSE_FORMATS)} - 'response_format'",
                param="response_format",
            )
        try:
            temperature = float(t) if (t := one("temperature")) is not None else None
        except ValueError:
            raise FakeAPIError(400, f"Invalid temperature: {t!r}", param="temperature") from None
        return TranscriptionRequest(
            filename=spool.filename,
            model=model,
            language=one("language") or None,
            prompt=one("prompt"),
            response_format=response_format,
            size=spool.size,
            sha256=spool.sha256.hexdigest(),
            temperature=temperature,
            timestamp_granularities=tuple(fields.get("timestamp_granularities[]", [])),
        )

    # -- POST /v1/chat/completions ----------------------------------------------------------

    async def _chat(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            raise FakeAPIError(400, "We could not parse the JSON body of your request.") from None
        if not isinstance(body, dict):
            raise FakeAPIError(400, "The request body must be a JSON object.")
        if body.get("stream"):
            raise FakeAPIError(
                400,
                "Streaming is not supported by the fake OpenAI server; send stream=false.",
                param="stream",
            )
        model, messages = body.get("model"), body.get("messages")
        if not isinstance(model, str) or not model:
            raise FakeAPIError(400, "you must provide a model parameter", param="model")
        if not isinstance(messages, list) or not messages:
            raise FakeAPIError(400, "Missing required parameter: 'messages'.", param="messages")
        self.chat_requests.append(body)
        reply = await _resolve(self.responder(body))
        prompt_tokens = sum(
            _tokens(_content_text(m.get("content"))) for m in messages if isinstance(m, dict)
        )
        return web.json_response(
            {
                "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "system_fingerprint": None,
                "choices": [
                    {
                        "index": 0,
                        "logprobs": None,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": reply, "refusal": None},
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": _tokens(reply),
                    "total_tokens": prompt_tokens + _tokens(reply),
                },
            }
        )

    # -- POST /v1/embeddings ----------------------------------------------------------------

    async def _embeddings(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            raise FakeAPIError(400, "We could not parse the JSON body of your request.") from None
        if not isinstance(body, dict):
            raise FakeAPIError(400, "The request body must be a JSON object.")
        model, texts, dimensions, encoding = _embedding_request(body, self.embedding_models)
        self.embedding_requests.append(body)
        vectors = await _resolve(self.embedder(texts, model, dimensions))
        tokens = sum(_tokens(t) for t in texts)
        return web.json_response(
            {
                "object": "list",
                "data": [
                    {"object": "embedding", "index": i, "embedding": _encode_vector(v, encoding)}
                    for i, v in enumerate(vectors)
                ],
                "model": model,
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            }
        )

    # -- GET /v1/models ---------------------------------------------------------------------

    async def _list_models(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [_model(m) for m in self.models]})

    async def _get_model(self, request: web.Request) -> web.Response:
        model_id = request.match_info["model"]
        if model_id not in self.models:
            raise FakeAPIError(
                404,
                f"The model `{model_id}` does not exist or you do not have access to it.",
                code="model_not_found",
            )
        return web.json_response(_model(model_id))


def _embedding_request(
    body: dict[str, Any], known: dict[str, int]
) -> tuple[str, list[str], int, str]:
    """(model, texts, dimensions, encoding) of a valid request; OpenAI's refusal otherwise."""
    model, raw = body.get("model"), body.get("input")
    if not isinstance(model, str) or not model:
        raise FakeAPIError(400, "you must provide a model parameter", param="model")
    if raw is None:
        raise FakeAPIError(400, "Missing required parameter: 'input'.", param="input")
    if model not in known:
        raise FakeAPIError(
            404,
            f"The model `{model}` does not exist or you do not have access to it.",
            code="model_not_found",
        )
    texts = _embedding_texts(raw)
    for text in texts:
        if _tokens(text) > MAX_EMBEDDING_INPUT_TOKENS:
            raise FakeAPIError(
                400,
                f"This model's maximum context length is {MAX_EMBEDDING_INPUT_TOKENS} tokens, "
                f"however you requested {_tokens(text)} tokens ({_tokens(text)} in your prompt; "
                "0 for the completion). Please reduce your prompt; or completion length.",
            )
    if sum(_tokens(t) for t in texts) > MAX_EMBEDDING_REQUEST_TOKENS:
        raise FakeAPIError(
            400,
            f"Requested {sum(_tokens(t) for t in texts)} tokens, max "
            f"{MAX_EMBEDDING_REQUEST_TOKENS} tokens per request",
            param="input",
        )
    encoding = body.get("encoding_format", "float")
    if encoding not in ENCODING_FORMATS:
        raise FakeAPIError(
            400,
            f"'{encoding}' is not one of {list(ENCODING_FORMATS)} - 'encoding_format'",
            param="encoding_format",
        )
    return model, texts, _embedding_width(body.get("dimensions"), model, known[model]), encoding


def _embedding_texts(raw: object) -> list[str]:
    """Strings only (token arrays are valid for OpenAI but not produced by this project)."""
    invalid = FakeAPIError(
        400,
        "'$.input' is invalid. Please check the API reference: "
        "https://platform.openai.com/docs/api-reference.",
        param="input",
    )
    texts = [raw] if isinstance(raw, str) else raw
    if not isinstance(texts, list) or not texts or len(texts) > MAX_EMBEDDING_INPUTS:
        raise invalid
    if not all(isinstance(t, str) and t for t in texts):
        raise invalid
    return texts


def _embedding_width(dimensions: object, model: str, native: int) -> int:
    if dimensions is None:
        return native
    if not model.startswith("text-embedding-3"):
        raise FakeAPIError(
            400, "This model does not support specifying dimensions.", param="dimensions"
        )
    if not isinstance(dimensions, int) or not 1 <= dimensions <= native:
        raise FakeAPIError(
            400,
            f"Invalid value for 'dimensions' = {dimensions}. Must be between 1 and {native}.",
            param="dimensions",
        )
    return dimensions


def _encode_vector(vector: list[float], encoding: str) -> list[float] | str:
    """``base64``: little-endian float32 bytes, which openai-python decodes (and asks for by
    default: ``lib/_parsing/_embeddings.py`` sets ``encoding_format="base64"``)."""
    if encoding == "float":
        return vector
    return base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode("ascii")


class _Spool:
    """An upload on its way to disk: hashes every byte, stores no more than ``limit`` bytes."""

    def __init__(self, folder: Path, suffix: str, limit: int) -> None:
        fd, name = tempfile.mkstemp(dir=folder, suffix=suffix)
        self.path, self.limit, self.size, self.filename = Path(name), limit, 0, ""
        self.sha256 = hashlib.sha256()
        self._file = os.fdopen(fd, "wb")

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        self.sha256.update(chunk)
        if self.size <= self.limit:
            self._file.write(chunk)

    def close(self) -> None:
        self._file.close()


async def _resolve(value: _T | Awaitable[_T]) -> _T:
    """Let callbacks be plain functions or coroutines."""
    if inspect.isawaitable(value):
        return await cast(Awaitable[_T], value)
    return value


def _render(transcript: FakeTranscript, request: TranscriptionRequest) -> web.Response:
    segments = transcript.segments or [FakeSegment(0.0, transcript.duration, transcript.text)]
    fmt = request.response_format
    if fmt == "json":
        return web.json_response({"text": transcript.text})
    if fmt == "text":  # OpenAI ends the plain-text transcript with a newline
        return web.Response(text=transcript.text + "\n", content_type="text/plain")
    if fmt in ("srt", "vtt"):
        sep = "," if fmt == "srt" else "."
        cues = [
            f"{_clock(s.start, sep)} --> {_clock(s.end, sep)}\n{s.text.strip()}\n\n"
            for s in segments
        ]
        if fmt == "srt":
            body = "".join(f"{i}\n{cue}" for i, cue in enumerate(cues, 1))
        else:
            body = "WEBVTT\n\n" + "".join(cues)
        return web.Response(text=body, content_type="text/plain")
    return web.json_response(_verbose(transcript, segments, request))


def _verbose(
    transcript: FakeTranscript, segments: list[FakeSegment], request: TranscriptionRequest
) -> dict[str, Any]:
    granularities = request.timestamp_granularities or ("segment",)
    body: dict[str, Any] = {
        "task": "transcribe",
        "language": language_name(transcript.language),
        "duration": transcript.duration,
        "text": transcript.text,
    }
    if "segment" in granularities:
        body["segments"] = [
            {
                "id": i,
                "seek": int(s.start // 30) * 3000,
                "start": s.start,
                "end": s.end,
                # Whisper's segment text starts with a space; the tokens are timestamp-framed.
                "text": " " + s.text.strip(),
                "tokens": _segment_tokens(s),
                "temperature": request.temperature or 0.0,
                "avg_logprob": -0.25,
                "compression_ratio": 1.0,
                "no_speech_prob": 0.01,
            }
            for i, s in enumerate(segments)
        ]
    if "word" in granularities:
        body["words"] = [word for s in segments for word in _words(s)]
    return body


def _segment_tokens(segment: FakeSegment) -> list[int]:
    # 50364 is Whisper's <|0.00|>; each further timestamp token is 20 ms. Word ids are stand-ins.
    words = [sum(w.encode()) % 50257 for w in segment.text.split()]
    return [50364 + round(segment.start / 0.02), *words, 50364 + round(segment.end / 0.02)]


def _words(segment: FakeSegment) -> list[dict[str, Any]]:
    words = segment.text.split()
    step = (segment.end - segment.start) / max(len(words), 1)
    return [
        {
            "word": w,
            "start": round(segment.start + i * step, 3),
            "end": round(segment.start + (i + 1) * step, 3),
        }
        for i, w in enumerate(words)
    ]


def _clock(seconds: float, sep: str) -> str:
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    return f"{hours:02d}:{minutes:02d}:{millis // 1000:02d}{sep}{millis % 1000:03d}"


def _wav_duration(path: Path) -> float | None:
    """The real duration when the upload is a WAV file (stdlib can read it), else ``None``."""
    try:
        with wave.open(str(path), "rb") as wav:
            return wav.getnframes() / wav.getframerate()
    except (wave.Error, EOFError, OSError, ZeroDivisionError):
        return None


def _content_text(content: object) -> str:
    """Text of a chat message: a plain string or a list of ``{"type": "text"}`` parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(p.get("text", ""))
            for p in content
            if isinstance(p, dict) and p.get("type") == "text"
        )
    return ""


def _tokens(text: str) -> int:
    return (len(text) + 3) // 4  # OpenAI's rule of thumb: about four characters per token


def _model(model_id: str) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": 1_677_610_602, "owned_by": "system"}


async def _discard_body(request: web.Request) -> None:
    while await request.content.readany():
        pass
