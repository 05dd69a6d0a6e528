"""Configuration: one settings object per service, built once at start-up and passed down.

Environment variable names are part of the users' interface: ``TELEGRAM_*``, ``MINIO_*``,
``NATS_URL``, ``DATABASE_URL``, ``OPENAI_*`` and ``VOXPERSONA_*`` for everything else.
A ``.env`` file in the working directory is read too. Missing or malformed settings raise
:class:`ConfigError` whose message is one line naming the variable, never its value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, TypeVar

from pydantic import (
    BaseModel,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from voxpersona.contracts.subjects import StreamNames
from voxpersona.embeddings.config import EmbeddingSettings

GIB = 1024**3


class ConfigError(Exception):
    """A setting is missing or malformed. The message names the variable, never its value."""


def _config(prefix: str) -> SettingsConfigDict:
    return SettingsConfigDict(
        env_prefix=prefix, env_file=".env", extra="ignore", case_sensitive=False
    )


class TelegramSettings(BaseSettings):
    """``TELEGRAM_BOT_TOKEN``, ``TELEGRAM_API_URL`` (a local Bot API server or a test server)."""

    model_config = _config("TELEGRAM_")

    bot_token: SecretStr
    api_url: str = "https://api.telegram.org"
    # The public Bot API serves downloads up to 20 MB; a local Bot API server has no such limit.
    local_api: bool = False
    # --local mode: getFile answers an absolute path on the server's disk and there is no
    # /file/ route, so the bot reads the files from the shared volume. ``local_files_dir`` is
    # where the bot sees that volume; ``local_server_dir`` is the server's --dir as it names it
    # (the path mapping; unset = the same path on both sides).
    local_files_dir: Path = Path("/var/lib/telegram-bot-api")
    local_server_dir: Path | None = None
    # A --local server answers getFile only once it has downloaded the whole file (up to 2 GB).
    get_file_timeout: float = Field(default=3600.0, gt=0)
    get_file_attempts: int = Field(default=4, ge=1, le=10)

    @field_validator("api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/")


class MinioSettings(BaseSettings):
    """``MINIO_*``: where audio and results live."""

    model_config = _config("MINIO_")

    endpoint: str
    access_key: SecretStr
    secret_key: SecretStr
    # The bot's second credential, for the users' library (download, delete): the intake
    # credential above can then be put-only. Unset: the library uses the main credential.
    library_access_key: SecretStr | None = None
    library_secret_key: SecretStr | None = None
    use_ssl: bool = True
    cert_path: Path | None = None
    region: str | None = None
    audio_bucket_name: str = "voxpersona-audio"
    bucket_name: str = "voxpersona-storage"
    max_file_size: int = Field(default=2 * GIB, gt=0)
    health_check_interval: float = Field(default=60.0, gt=0)
    max_retries: int = Field(default=3, ge=0, le=10)
    retry_backoff: float = Field(default=2.0, gt=0)
    # Audio expires this many days after upload (lifecycle rule; `voxpersona storage init`).
    cleanup_days: int = Field(default=30, ge=1)
    # Where users reach MinIO (``https://files.example.com``), used only to sign download
    # links: a signature covers the host, so a link signed for ``minio:9000`` works nowhere
    # else. Unset: links name ``endpoint``.
    public_url: str | None = None

    @field_validator("cert_path", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # `MINIO_CERT_PATH=` (docker compose's `${MINIO_CERT_PATH:-}`) means "not set", not ".".
        return None if value == "" else value

    @field_validator("public_url", mode="before")
    @classmethod
    def _public_url(cls, value: object) -> object:
        if value in (None, ""):
            return None
        text = str(value).rstrip("/")
        scheme, sep, rest = text.partition("://")
        if not sep or scheme not in ("http", "https") or not rest or "/" in rest:
            raise ValueError("must be http(s)://host[:port] without a path")
        return text

    @field_validator("endpoint")
    @classmethod
    def _host_port(cls, value: str) -> str:
        if "://" in value or "/" in value or not value:
            raise ValueError("must be host:port without scheme or path (TLS: set MINIO_USE_SSL)")
        return value


def library_minio_settings(minio: MinioSettings) -> MinioSettings:
    """The settings the bot's library store uses (its own credential when configured)."""
    if minio.library_access_key is None or minio.library_secret_key is None:
        return minio
    return minio.model_copy(
        update={"access_key": minio.library_access_key, "secret_key": minio.library_secret_key}
    )


class NatsSettings(BaseSettings):
    """``NATS_URL``."""

    model_config = _config("NATS_")

    url: str = "nats://127.0.0.1:4222"

    @field_validator("url")
    @classmethod
    def _nats_url(cls, value: str) -> str:
        if not value.startswith(("nats://", "tls://", "ws://", "wss://")):
            raise ValueError("must be a nats:// (or tls://) URL")
        return value


class DatabaseSettings(BaseSettings):
    """``DATABASE_URL``: a PostgreSQL DSN (it may hold a password, so it is a secret)."""

    model_config = _config("DATABASE_")

    url: SecretStr

    @field_validator("url")
    @classmethod
    def _postgres_dsn(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().startswith(("postgres://", "postgresql://")):
            raise ValueError("must be a postgresql:// DSN")
        return value


class OpenAISettings(BaseSettings):
    """``OPENAI_API_KEY`` and optional ``OPENAI_BASE_URL`` (any OpenAI-compatible server)."""

    model_config = _config("OPENAI_")

    api_key: SecretStr | None = None
    base_url: str | None = None
    timeout: float = Field(default=600.0, gt=0)

    @field_validator("api_key", "base_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # docker compose passes `${OPENAI_API_KEY:-}`: empty means "no key" (local engine under
        # `auto`), never a key that is the empty string.
        return None if value == "" else value


class VoxSettings(BaseSettings):
    """``VOXPERSONA_*``: everything else."""

    model_config = _config("VOXPERSONA_")

    log_format: Literal["console", "json"] = "console"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    transcription_model: str = "whisper-1"
    # auto: the OpenAI engine when OPENAI_API_KEY is set, otherwise the local Whisper engine.
    transcriber: Literal["auto", "openai", "local"] = "auto"
    # A faster-whisper model name (downloaded and cached on first use) or a model directory.
    # "small" is the smallest multilingual model that transcribes Russian usably on a CPU.
    whisper_model: str = "small"
    whisper_device: Literal["auto", "cpu", "cuda"] = "auto"
    whisper_compute_type: str = "auto"
    whisper_cpu_threads: int = Field(default=0, ge=0)
    whisper_parallel: int = Field(default=1, ge=1, le=16)
    whisper_beam_size: int = Field(default=5, ge=1, le=10)
    whisper_download_root: str | None = None
    reactor_concurrency: int = Field(default=4, ge=1, le=256)
    # The durable consumer reactors share; a separate name makes a separate reactor group.
    reactor_durable: str = Field(default="reactor", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    event_retention_days: int = Field(default=31, ge=1)
    ack_wait_seconds: float = Field(default=120.0, gt=0)
    max_deliver: int = Field(default=8, ge=1)
    shutdown_grace_seconds: float = Field(default=30.0, ge=0)
    # Where the reactor's per-process scratch directory lives (default: the system temp dir);
    # directories left by a reactor that was killed are removed when a reactor starts.
    work_dir: Path | None = None
    # Stage deadlines: past one, the work is cancelled and the event retried (transient).
    download_deadline_seconds: float = Field(default=1800.0, gt=0)
    transcription_deadline_seconds: float = Field(default=600.0, gt=0)
    transcription_deadline_per_audio_second: float = Field(default=2.0, ge=0)
    analysis_deadline_seconds: float = Field(default=1800.0, gt=0)
    publish_deadline_seconds: float = Field(default=30.0, gt=0)
    # Longest a single PostgreSQL statement may run (asyncpg's command_timeout), both services.
    database_command_timeout_seconds: float = Field(default=60.0, gt=0)
    max_text_messages: int = Field(default=3, ge=1, le=20)
    # The bots' durable consumer of results; a separate name makes a separate bot group.
    bot_durable: str = Field(default="bot-delivery", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    # Result delivery waits out Telegram and PostgreSQL trouble: this many attempts, backing
    # off up to delivery_retry_max_seconds apart (about 1.5 hours), then a dead letter.
    delivery_max_attempts: int = Field(default=100, ge=1)
    # A dead bot's results are redelivered to another (or the restarted) bot after this long.
    delivery_ack_wait_seconds: float = Field(default=60.0, gt=0)
    delivery_retry_max_seconds: float = Field(default=60.0, ge=2.0)
    # Spacing of result messages per chat (Telegram: ~1 message/s per chat, 20/min in groups).
    delivery_private_interval_seconds: float = Field(default=1.0, ge=0)
    delivery_group_interval_seconds: float = Field(default=3.0, ge=0)
    # Long audio: chunks of at most this many seconds / bytes (OpenAI takes 25 MB per request),
    # re-encoded as Ogg/Opus at chunk_bitrate, transcribed chunk_concurrency at a time.
    chunk_max_seconds: float = Field(default=1200.0, ge=30)
    chunk_max_bytes: int = Field(default=24_000_000, ge=100_000, le=26_214_400)
    chunk_bitrate: int = Field(default=24_000, ge=8_000, le=128_000)
    chunk_concurrency: int = Field(default=3, ge=1, le=32)
    max_audio_seconds: float = Field(default=6 * 3600.0, gt=0)
    # LLM analysis of the transcript (chat completions on OPENAI_BASE_URL or ANALYSIS_BASE_URL).
    analysis_enabled: bool = True
    analysis_model: str = "gpt-4o-mini"
    analysis_base_url: str | None = None
    analysis_default_scenario: str = "summary"
    analysis_chunk_chars: int = Field(default=24_000, ge=1_000)
    analysis_concurrency: int = Field(default=3, ge=1, le=32)
    # Where the bot keeps recordings while MinIO is unreachable (default: <temp>/voxpersona-spool).
    spool_dir: Path | None = None
    spool_max_bytes: int = Field(default=10 * GIB, gt=0)
    # Operators' HTTP endpoints (/healthz, /readyz, /metrics, /status); port 0 turns one off.
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=9464, ge=0, le=65535)
    bot_http_port: int = Field(default=9465, ge=0, le=65535)
    # Required for /status, /api/status and /metrics when http_host is not a loopback address.
    status_token: SecretStr | None = None
    # Speaker diarization (reactor/diarization): whether transcripts say who spoke, how many
    # speakers to look for (an exact count wins over the bounds), and the speaker-embedding model
    # (a .onnx or GE2E .npz file; unset: the GE2E model bundled with the reactor).
    diarization_enabled: bool = True
    diarization_speakers: int | None = Field(default=None, ge=1, le=32)
    diarization_min_speakers: int = Field(default=1, ge=1, le=32)
    diarization_max_speakers: int = Field(default=8, ge=1, le=32)
    diarization_model: Path | None = None
    diarization_device: Literal["auto", "cpu", "cuda"] = "auto"
    diarization_parallel: int = Field(default=1, ge=1, le=16)
    # Longer recordings keep their transcript without speakers: the stage holds the decoded
    # audio in memory (16 kHz float32, about 230 MB an hour).
    diarization_max_seconds: float = Field(default=7200.0, gt=0)

    @field_validator("diarization_max_speakers")
    @classmethod
    def _at_least_min_speakers(cls, value: int, info: ValidationInfo) -> int:
        if value < info.data.get("diarization_min_speakers", 1):
            raise ValueError("must not be below VOXPERSONA_DIARIZATION_MIN_SPEAKERS")
        return value


def _comma_separated(value: object) -> object:
    """``1,2, 3`` (an env variable) → ``["1", "2", "3"]``; lists pass through."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class BotOptions(BaseSettings):
    """``VOXPERSONA_*`` settings only the bot reads: access, fair use, the library."""

    model_config = _config("VOXPERSONA_")

    # open: anyone; allowlist: VOXPERSONA_ALLOWED_USERS and users admins add;
    # invite: users who redeemed an invite code (`/start CODE`), plus the allowlist.
    access_mode: Literal["open", "allowlist", "invite"] = "open"
    allowed_users: Annotated[tuple[int, ...], NoDecode] = ()
    admin_ids: Annotated[tuple[int, ...], NoDecode] = ()
    invite_codes: Annotated[tuple[str, ...], NoDecode] = ()
    # Recordings per user: a token bucket (burst, refilled per minute) and a daily quota.
    rate_limit_per_minute: float = Field(default=10.0, gt=0)
    rate_limit_burst: int = Field(default=10, ge=1)
    daily_recordings: int = Field(default=50, ge=1)
    daily_audio_minutes: float = Field(default=600.0, gt=0)
    # Any update (messages, button presses) per user: a flood is dropped, not queued.
    updates_per_minute: float = Field(default=60.0, gt=0)
    updates_burst: int = Field(default=20, ge=1)
    # Signs inline-button data; default: derived from the bot token.
    callback_secret: SecretStr | None = None
    download_link_ttl_seconds: int = Field(default=900, ge=60, le=3600)
    # Recordings up to this size are sent as a file; larger ones as a presigned link.
    download_inline_max_bytes: int = Field(default=20 * 1024 * 1024, ge=0, le=50 * 1024 * 1024)
    files_page_size: int = Field(default=5, ge=1, le=10)
    # How long the bot waits at start-up for the reactor to apply the database migrations.
    schema_wait_seconds: float = Field(default=120.0, ge=0)

    _split = field_validator("allowed_users", "admin_ids", "invite_codes", mode="before")(
        _comma_separated
    )


class BotSettings(BaseModel):
    """Everything the bot needs."""

    telegram: TelegramSettings
    minio: MinioSettings
    nats: NatsSettings
    database: DatabaseSettings
    vox: VoxSettings
    options: BotOptions = Field(default_factory=BotOptions)
    streams: StreamNames = StreamNames()
    # /ask: the same embedding model as the reactor's, and the analysis LLM (optional).
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    openai: OpenAISettings = Field(default_factory=OpenAISettings)


class ReactorSettings(BaseModel):
    """Everything the reactor needs."""

    minio: MinioSettings
    nats: NatsSettings
    database: DatabaseSettings
    openai: OpenAISettings
    vox: VoxSettings
    streams: StreamNames = StreamNames()
    # The passages' embedding model (the bot must use the same one for questions).
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)


_S = TypeVar("_S", bound=BaseSettings)


def load_settings(cls: type[_S]) -> _S:
    try:
        return cls()
    except ValidationError as exc:
        prefix = str(cls.model_config.get("env_prefix", ""))
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else ""
        variable = (prefix + field).upper()
        problem = "is required but not set" if err["type"] == "missing" else err["msg"]
        raise ConfigError(f"configuration error: {variable} {problem}") from None


def load_bot_settings() -> BotSettings:
    """Read the bot's settings from the environment (and ``.env``)."""
    vox = load_settings(VoxSettings)
    return BotSettings(
        telegram=load_settings(TelegramSettings),
        minio=load_settings(MinioSettings),
        nats=load_settings(NatsSettings),
        database=load_settings(DatabaseSettings),
        vox=vox,
        options=load_settings(BotOptions),
        streams=StreamNames(bot_durable=vox.bot_durable),
        embedding=load_settings(EmbeddingSettings),
        openai=load_settings(OpenAISettings),
    )


def load_reactor_settings() -> ReactorSettings:
    """Read the reactor's settings from the environment (and ``.env``)."""
    vox = load_settings(VoxSettings)
    return ReactorSettings(
        minio=load_settings(MinioSettings),
        nats=load_settings(NatsSettings),
        database=load_settings(DatabaseSettings),
        openai=load_settings(OpenAISettings),
        vox=vox,
        streams=StreamNames(reactor_durable=vox.reactor_durable),
        embedding=load_settings(EmbeddingSettings),
    )
