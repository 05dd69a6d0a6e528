"""The longest caption and file name Telegram allows still make a recording: MinIO (whose double
refuses user metadata over 2 KiB, as MinIO does) takes the upload, the user gets the transcript,
and the library holds the full title and notes."""

from __future__ import annotations

import uuid

import asyncpg

from bot.repos.library import Library
from tests.audio import ogg_opus
from tests.bot_chat import new_user, recordings_of, transcript_count
from tests.services import RunningServices
from voxpersona.contracts.metadata_budget import ELLIPSIS, METADATA_BUDGET, metadata_size
from voxpersona.localstack.stack import LocalStack, event_delay_from_env
from voxpersona.storage import MinioObjectStore

# 1024 characters (Telegram's caption limit, counted in UTF-16 units: no astral emoji here,
# which would count twice): every character costs 6 bytes percent-encoded.
TITLE = "Интервью с клиентом про бюджет — «срочно» " * 7  # 294 characters
NOTES = ("обсудили сроки, риски и ответственных ✓ " * 20)[: 1024 - len(TITLE.strip()) - 1]
CAPTION = TITLE.strip() + "\n" + NOTES
FILE_NAME = "запись встречи " * 8 + "№1.ogg"  # 252 bytes of UTF-8


async def test_longest_caption_yields_transcript_and_full_library_entry(
    services: RunningServices,
) -> None:
    assert len(CAPTION) == 1024
    if isinstance(services.stack, LocalStack) and services.stack.minio is not None:
        # VOXPERSONA_STANDIN_EVENT_DELAY (.ci/run sets it): events arrive after the answer.
        assert services.stack.minio.event_delay == event_delay_from_env()
    assert len(FILE_NAME.encode()) <= 255
    tg = services.telegram
    user = new_user("ru")
    tg.user_sends_document(
        user,
        ogg_opus(0.5, frequency=415.0),
        file_name=FILE_NAME,
        mime_type="audio/ogg",
        caption=CAPTION,
    )
    await tg.wait_for(lambda: transcript_count(tg, user.id) == 1, timeout=60)

    # The object's metadata was budgeted, not refused: title and notes cut, name whole.
    store = MinioObjectStore(services.reactor_settings.minio)
    [obj] = await store.list_user_recordings(user.id)
    info = await store.stat(store.audio_bucket, obj.key)
    meta_headers = {k: v for k, v in info.metadata.items() if k.lower().startswith("x-amz-meta-")}
    assert metadata_size(meta_headers) <= METADATA_BUDGET
    [recording] = await recordings_of(services, user.id)
    assert recording["status"] == "done"
    assert recording["original_name"] == FILE_NAME

    # The library shows the full texts (from PostgreSQL, not from the cut metadata copy).
    pool = await asyncpg.create_pool(services.reactor_settings.database.url.get_secret_value())
    try:
        card = await Library(pool).card(user.id, uuid.UUID(str(recording["id"])))
    finally:
        await pool.close()
    assert card is not None
    assert card.name == TITLE.strip()
    assert card.notes == " ".join(NOTES.split())
    assert not card.name.endswith(ELLIPSIS)
