"""What the handlers need, built once by the app and handed to them by aiogram's dependency
injection (``dispatcher["ctx"]``): settings, repositories, storage, keyboards, limits."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field

from bot.asking import AskService
from bot.callbacks import CallbackSigner
from bot.delivery import Deliverer
from bot.fair_use import DailyQuota, RateLimiter
from bot.keyboards import Keyboards
from bot.progress import ProgressEditor
from bot.reanalysis import Reanalysis
from bot.repos.library import Library
from bot.repos.uploads import Uploads
from bot.repos.users import Invites, UsageLedger, Users
from voxpersona.settings import BotSettings
from voxpersona.storage import MinioObjectStore


def callback_secret(settings: BotSettings) -> bytes:
    """``VOXPERSONA_CALLBACK_SECRET``, or a key derived from the bot token (never the token)."""
    configured = settings.options.callback_secret
    if configured is not None:
        return configured.get_secret_value().encode()
    token = settings.telegram.bot_token.get_secret_value()
    return hashlib.sha256(b"voxpersona-callbacks|" + token.encode()).digest()


@dataclass
class BotContext:
    """Dependencies of every router."""

    settings: BotSettings
    users: Users
    invites: Invites
    usage: UsageLedger
    uploads: Uploads
    library: Library
    store: MinioObjectStore
    # Downloads and deletions for the users' library, under its own MinIO credential.
    library_store: MinioObjectStore
    editor: ProgressEditor
    deliverer: Deliverer
    reanalysis: Reanalysis
    signer: CallbackSigner
    # /ask and the hybrid /search; None: only full-text search, /ask says it is unavailable.
    asking: AskService | None = None
    keyboards: Keyboards = field(init=False)
    rate: RateLimiter = field(init=False)
    # Scenarios picked under a status message while its upload still ran (user, object id).
    pending_scenarios: dict[tuple[int, uuid.UUID], str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        options = self.settings.options
        self.keyboards = Keyboards(self.signer)
        self.rate = RateLimiter(
            per_minute=options.rate_limit_per_minute, burst=options.rate_limit_burst
        )

    @property
    def quota(self) -> DailyQuota:
        options = self.settings.options
        return DailyQuota(options.daily_recordings, options.daily_audio_minutes)

    def is_admin(self, user_id: int) -> bool:
        return user_id in self.settings.options.admin_ids
