"""/search over transcripts (Russian and English stemming, date ranges) and /delete_all."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.audio import ogg_opus
from tests.bot_chat import (
    buttons,
    new_user,
    press,
    recordings_of,
    texts,
    transcript_count,
    wait_nth,
    wait_text,
)
from tests.services import RunningServices
from voxpersona.localstack.fake_openai import (
    FakeTranscript,
    TranscriptionRequest,
    default_transcriber,
)
from voxpersona.localstack.fake_telegram import FakeUser
from voxpersona.storage import MinioObjectStore

SPEECH = {
    "budget.ogg": "Мы обсудили бюджеты отдела и перенесли сроки.",
    "hiring.ogg": "We are hiring two engineers for the platform team.",
    "misc.ogg": "Погода сегодня отличная, идём гулять.",
}


@pytest.fixture
def scripted(services: RunningServices) -> Iterator[RunningServices]:
    """The fake transcriber says what the file's name says it should."""

    def by_name(path: Path, request: TranscriptionRequest) -> FakeTranscript:
        for name, text in SPEECH.items():
            if request.size == SIZES.get(name):
                return FakeTranscript(text=text, language="russian", duration=1.0)
        return default_transcriber(path, request)

    services.openai.transcriber = by_name
    yield services
    services.openai.transcriber = default_transcriber


SIZES: dict[str, int] = {}


async def send_named(services: RunningServices, user: FakeUser) -> None:
    tg = services.telegram
    for i, name in enumerate(SPEECH):
        audio = ogg_opus(0.3 + 0.05 * i, frequency=1200.0 + 50 * i)
        SIZES[name] = len(audio)
        tg.user_sends_document(user, audio, file_name=name, mime_type="audio/ogg")
        await wait_text(tg, user.id, SPEECH[name])


async def test_search_finds_words_in_both_languages_and_by_date(
    scripted: RunningServices,
) -> None:
    services = scripted
    tg = services.telegram
    user, other = new_user("ru"), new_user("ru")
    await send_named(services, user)

    tg.user_sends_text(user, "/search бюджет")  # "бюджеты" in the text: Russian stemming
    found = await wait_nth(tg, user.id, "Найдено: 1", 1)
    assert buttons(found)[0]["text"].endswith("budget.ogg")

    tg.user_sends_text(user, "/search engineer")  # English stemming: "engineers"
    found = await wait_nth(tg, user.id, "Найдено: 1", 2)
    assert "hiring.ogg" in buttons(found)[0]["text"]

    today = datetime.now(UTC).date()
    tg.user_sends_text(user, f"/search {today:%Y-%m-%d}")
    await wait_text(tg, user.id, "Найдено: 3")
    past = today - timedelta(days=30)
    tg.user_sends_text(user, f"/search бюджет {past:%Y-%m-%d}..{past + timedelta(days=1):%Y-%m-%d}")
    await wait_text(tg, user.id, "Ничего не нашлось")
    tg.user_sends_text(user, "/search 2024-13-45")
    await wait_text(tg, user.id, "Не понял дату «2024-13-45»")
    tg.user_sends_text(user, "/search")
    await wait_text(tg, user.id, "Напишите, что искать")

    # Another user's search never sees these recordings.
    tg.user_sends_text(other, "/search бюджет")
    await wait_text(tg, other.id, "Ничего не нашлось")

    # A hit opens the recording's card.
    found = [m for m in tg.messages_to(user.id) if "Найдено: 3" in (m.text or "")][-1]
    edits = len(found.edits)
    press(tg, user, found, "budget.ogg")
    await tg.wait_for(lambda: len(found.edits) > edits, timeout=10)
    assert "budget.ogg" in (found.text or "")


async def test_delete_all_needs_confirmation_and_removes_everything(
    services: RunningServices,
) -> None:
    tg = services.telegram
    user = new_user("en")
    for i in range(2):
        tg.user_sends_voice(user, ogg_opus(0.3, frequency=1500.0 + 40 * i), duration=1)
        await tg.wait_for(
            lambda n=i + 1: (
                sum("processed" in (m.text or "") for m in tg.messages_to(user.id)) == n
            ),
            timeout=20,
        )
    tg.user_sends_text(user, "/delete_all")
    confirm = await wait_text(tg, user.id, "Delete ALL your recordings (2)")
    assert "irreversible" in (confirm.text or "")
    press(tg, user, confirm, "Cancel")
    await wait_text(tg, user.id, "Cancelled")
    assert len(await recordings_of(services, user.id)) == 2

    tg.user_sends_text(user, "/delete_all")
    await tg.wait_for(
        lambda: (
            sum("Delete ALL" in (m.text or "") for m in tg.messages_to(user.id)) == 1
            and any("Delete ALL" in (m.text or "") for m in tg.messages_to(user.id))
        ),
        timeout=10,
    )
    confirm = [m for m in tg.messages_to(user.id) if "Delete ALL" in (m.text or "")][-1]
    press(tg, user, confirm, "Yes, delete everything")
    done = await wait_text(tg, user.id, "Recordings deleted: 2")
    assert "Files removed from storage:" in (done.text or "")
    assert await recordings_of(services, user.id) == []
    store = MinioObjectStore(services.reactor_settings.minio)
    assert await store.list_user_recordings(user.id) == []
    assert await store.list_objects(store.results_bucket, f"results/{user.id}/") == []
    tg.user_sends_text(user, "/files")
    await wait_text(tg, user.id, "No recordings yet")
    tg.user_sends_text(user, "/delete_all")
    await wait_text(tg, user.id, "There is nothing to delete")


async def test_delete_all_while_a_recording_is_processed_stops_it_as_the_bot_says(
    services: RunningServices,
) -> None:
    """What the bot tells the user and what happens agree: the recording still processing is
    deleted with the rest, its processing stops, and no transcript arrives afterwards."""
    tg = services.telegram
    user = new_user("en")
    services.openai.set_latency("transcriptions", 4.0)
    try:
        tg.user_sends_voice(user, ogg_opus(0.3, frequency=1700.0), duration=1)
        async with asyncio.timeout(30):
            while not [r for r in await recordings_of(services, user.id) if r["lease_until"]]:  # noqa: ASYNC110
                await asyncio.sleep(0.1)
        tg.user_sends_text(user, "/delete_all")
        confirm = await wait_text(tg, user.id, "Delete ALL your recordings (1)")
        press(tg, user, confirm, "Yes, delete everything")
        done = await wait_text(tg, user.id, "Recordings deleted: 1")
        assert "1 of them were still being processed — processing stopped" in (done.text or "")
        await asyncio.sleep(6.0)  # the transcription's answer came back meanwhile
    finally:
        services.openai.set_latency("transcriptions", 0.0)
    assert transcript_count(tg, user.id) == 0
    assert not any("processed" in t for t in texts(tg, user.id) if "still being" not in t)
    assert await recordings_of(services, user.id) == []
    store = MinioObjectStore(services.reactor_settings.minio)
    assert await store.list_user_recordings(user.id) == []
    assert await store.list_objects(store.results_bucket, f"results/{user.id}/") == []
