"""/files, recording cards, exports, download, delete, re-run — and ownership: another user
can never reach a recording, by replaying, forging or guessing button data."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from bot.callbacks import CallbackSigner
from bot.context import callback_secret
from tests.audio import ogg_opus
from tests.bot_chat import (
    answers,
    button_data,
    buttons,
    new_user,
    press,
    recordings_of,
    wait_text,
)
from tests.services import RunningServices
from voxpersona.localstack.fake_telegram import BotMessage, FakeTelegram, FakeUser
from voxpersona.storage import MinioObjectStore


async def send_recordings(services: RunningServices, user: FakeUser, count: int) -> None:
    """One after another, so their order in the library is known."""
    tg = services.telegram
    for i in range(count):
        tg.user_sends_document(
            user,
            ogg_opus(0.3, frequency=200.0 + 37 * i + user.id % 97),
            file_name=f"запись-{i}.ogg",
            mime_type="audio/ogg",
        )
        await tg.wait_for(lambda n=i + 1: done_count(tg, user.id) == n, timeout=20)


def done_count(tg: FakeTelegram, chat_id: int) -> int:
    finished = ("received and processed", "получена и обработана")
    return sum(any(f in (m.text or "") for f in finished) for m in tg.messages_to(chat_id))


async def open_files(tg: FakeTelegram, user: FakeUser) -> BotMessage:
    tg.user_sends_text(user, "/files")
    return await wait_text(tg, user.id, "Your recordings")


async def after_press(tg: FakeTelegram, user: FakeUser, message: BotMessage, label: str) -> None:
    edits = len(message.edits)
    press(tg, user, message, label)
    await tg.wait_for(lambda: len(message.edits) > edits, timeout=10)


async def test_files_lists_newest_first_with_pages_and_cards(services: RunningServices) -> None:
    tg = services.telegram
    user = new_user("en")
    await send_recordings(services, user, 6)
    listing = await open_files(tg, user)
    assert "Page 1 of 2" in (listing.text or "")
    labels = [b["text"] for b in buttons(listing)]
    assert "запись-5.ogg" in labels[0]  # newest first
    await after_press(tg, user, listing, "Next")
    assert "Page 2 of 2" in (listing.text or "")
    assert "запись-0.ogg" in buttons(listing)[0]["text"]
    await after_press(tg, user, listing, "Back")
    assert "Page 1 of 2" in (listing.text or "")

    await after_press(tg, user, listing, "запись-5.ogg")
    card = listing.text or ""
    assert "запись-5.ogg" in card
    assert "done" in card
    assert "0:01" in card or "0:00" in card  # duration
    labels = [b["text"] for b in buttons(listing)]
    for expected in ("Transcript", "Analysis", "TXT", "MD", "SRT", "VTT", "DOCX", "Download"):
        assert any(expected in label for label in labels), labels


async def test_card_buttons_transcript_analysis_exports_and_download(
    services: RunningServices,
) -> None:
    tg = services.telegram
    user = new_user("en")
    audio = ogg_opus(0.5, frequency=901.0)
    tg.user_sends_voice(user, audio, duration=1)
    await wait_text(tg, user.id, "received and processed")
    listing = await open_files(tg, user)
    await after_press(tg, user, listing, "Recording of")

    sent = len(tg.messages_to(user.id))
    press(tg, user, listing, "Transcript")
    press(tg, user, listing, "Analysis")
    for fmt in ("TXT", "MD", "SRT", "VTT", "DOCX", "Download"):
        press(tg, user, listing, fmt)
    await tg.wait_for(lambda: len(tg.messages_to(user.id)) >= sent + 8, timeout=20)
    new = tg.messages_to(user.id)[sent:]
    files = {m.filename.rsplit(".", 1)[-1]: m.document for m in new if m.filename}
    assert set(files) == {"txt", "md", "srt", "vtt", "docx", "ogg"}
    assert files["ogg"] == audio  # the recording itself, streamed from storage
    assert b"00:00:00,000 --> " in (files["srt"] or b"")
    assert (files["vtt"] or b"").startswith(b"WEBVTT")
    assert (files["docx"] or b"")[:2] == b"PK"
    assert b"fake transcript" in (files["txt"] or b"")
    texts = [m.text or "" for m in new]
    assert any(t.startswith("📝 Transcript") for t in texts)
    assert any(t.startswith("🧠 Summary") for t in texts)


async def test_rerun_analysis_with_another_scenario(services: RunningServices) -> None:
    tg = services.telegram
    user = new_user("ru")
    tg.user_sends_voice(user, ogg_opus(0.35, frequency=955.0), duration=1)
    await wait_text(tg, user.id, "получена и обработана")
    tg.user_sends_text(user, "/files")
    listing = await wait_text(tg, user.id, "Ваши записи")
    await after_press(tg, user, listing, "Запись от")
    await after_press(tg, user, listing, "Другой анализ")
    await after_press(tg, user, listing, "Аудит")
    assert "Аудит" in (listing.text or "")
    await wait_text(tg, user.id, "🧠 Аудит сайта или дизайна:", timeout=20)
    [row] = await recordings_of(services, user.id)
    assert row["scenario"] == "audit"
    assert row["analysis_status"] == "done"
    assert len([r for r in services.openai.transcription_requests]) > 0
    assert row["attempts"] >= 1


async def test_delete_one_recording_removes_objects_and_rows(services: RunningServices) -> None:
    tg = services.telegram
    user = new_user("en")
    await send_recordings(services, user, 2)
    rows = {r["original_name"]: r for r in await recordings_of(services, user.id)}
    first, second = rows["запись-0.ogg"], rows["запись-1.ogg"]
    listing = await open_files(tg, user)
    await after_press(tg, user, listing, "запись-1.ogg")
    await after_press(tg, user, listing, "Delete")
    assert "cannot be undone" in (listing.text or "")
    await after_press(tg, user, listing, "Yes, delete")
    assert "Recording deleted" in (listing.text or "")
    assert "Your recordings: 1" in (listing.text or "")
    rows = await recordings_of(services, user.id)
    assert [r["id"] for r in rows] == [first["id"]]
    store = MinioObjectStore(services.reactor_settings.minio)
    keys = [o.key for o in await store.list_user_recordings(user.id)]
    assert keys == [first["object_key"]]
    results = await store.list_objects(store.results_bucket, f"results/{user.id}/")
    assert all(str(second["id"]) not in o.key for o in results)
    assert any(str(first["id"]) in o.key for o in results)


@pytest.fixture
def signer(services: RunningServices) -> CallbackSigner:
    """The server's key: what an attacker would need, to show that ids are checked anyway."""
    return CallbackSigner(callback_secret(services.bot_settings))


async def test_another_user_cannot_reach_a_recording(
    services: RunningServices, signer: CallbackSigner
) -> None:
    tg = services.telegram
    alice, mallory = new_user("en", "Alice"), new_user("en", "Mallory")
    tg.user_sends_voice(alice, ogg_opus(0.3, frequency=1010.0), duration=1)
    await wait_text(tg, alice.id, "received and processed")
    [row] = await recordings_of(services, alice.id)
    listing = await open_files(tg, alice)
    await after_press(tg, alice, listing, "Recording of")
    delete_data = button_data(listing, "Delete")

    tg.user_sends_text(mallory, "/files")
    own = await wait_text(tg, mallory.id, "No recordings yet")
    rid = uuid.UUID(str(row["id"])).hex
    before = len(answers(tg))
    # 1. Alice's own signed buttons, replayed by Mallory.
    for data in (delete_data, button_data(listing, "Download"), button_data(listing, "TXT")):
        tg.user_presses_button(mallory, own, data)
    # 2. Unsigned and garbled data.
    tg.user_presses_button(mallory, own, f"dy:{rid}")
    tg.user_presses_button(mallory, own, f"dy:{rid}:AAAAAAAAAAAAAA")
    # 3. Validly signed for Mallory (as if the key leaked), naming Alice's recording.
    for action, *args in (("dy", rid), ("dl", rid), ("tx", rid), ("ex", rid, "txt"), ("cd", rid)):
        tg.user_presses_button(mallory, own, signer.sign(mallory.id, action, *args))
    await tg.wait_for(lambda: len(answers(tg)) >= before + 10, timeout=10)
    replies = answers(tg)[before:]
    assert sum("no longer valid" in r for r in replies) == 5
    assert sum("not found" in r or "not ready" in r for r in replies) == 5
    await asyncio.sleep(0.2)  # nothing else may follow
    assert not any(m.document for m in tg.messages_to(mallory.id))
    assert [m.text for m in tg.messages_to(mallory.id)] == [own.text]
    # Alice's recording is untouched.
    [still] = await recordings_of(services, alice.id)
    assert still["id"] == row["id"]
    store = MinioObjectStore(services.reactor_settings.minio)
    assert len(await store.list_user_recordings(alice.id)) == 1
