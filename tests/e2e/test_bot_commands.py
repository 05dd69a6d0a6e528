"""/start, /help, /lang (interface and recording language), /scenario in the fake chat."""

from __future__ import annotations

from tests.audio import ogg_opus
from tests.bot_chat import new_user, press, texts, wait_text
from tests.services import RunningServices
from voxpersona.contracts.metadata import RecordingMetadata
from voxpersona.storage import MinioObjectStore


async def test_start_and_help_in_the_clients_language(services: RunningServices) -> None:
    tg = services.telegram
    ru, en = new_user("ru"), new_user("en", name="Ann")
    tg.user_sends_text(ru, "/start")
    tg.user_sends_text(en, "/start")
    await wait_text(tg, ru.id, "Здравствуйте, Ольга")
    await wait_text(tg, en.id, "Hello, Ann")
    tg.user_sends_text(ru, "/help")
    tg.user_sends_text(en, "/help")
    help_ru = await wait_text(tg, ru.id, "/files")
    help_en = await wait_text(tg, en.id, "/files")
    assert "Что я умею" in (help_ru.text or "")
    assert "What I can do" in (help_en.text or "")
    assert "20.0 MB" in (help_en.text or "")  # the public Bot API's limit applies
    # The command menu is published in both languages.
    menus = {c.params.get("language_code") for c in tg.calls("setMyCommands")}
    assert {"ru", "en"} <= menus


async def test_lang_switches_interface_and_recording_language(services: RunningServices) -> None:
    tg = services.telegram
    user = new_user("ru")
    tg.user_sends_text(user, "/lang")
    menu = await wait_text(tg, user.id, "Язык интерфейса")
    press(tg, user, menu, "English")
    await wait_text(tg, user.id, "interface language is English")

    tg.user_sends_text(user, "/help")  # the client still says "ru"; the choice wins
    await wait_text(tg, user.id, "What I can do")

    tg.user_sends_text(user, "/lang")
    menu = await wait_text(tg, user.id, "Recording language: auto")
    press(tg, user, menu, "German")
    await wait_text(tg, user.id, "recording language is German")

    # The recording language travels as metadata; the interface language never is a hint.
    audio = ogg_opus(0.4, frequency=415.0)
    tg.user_sends_voice(user, audio, duration=1)
    await wait_text(tg, user.id, "fake transcript")
    request = next(r for r in services.openai.transcription_requests if r.size == len(audio))
    assert request.language == "de"
    store = MinioObjectStore(services.reactor_settings.minio)
    [obj] = await store.list_user_recordings(user.id)
    meta = RecordingMetadata.from_user_metadata(
        (await store.stat(store.audio_bucket, obj.key)).metadata
    )
    assert (meta.language, meta.interface_language) == ("de", "en")


async def test_default_scenario_is_chosen_with_buttons(services: RunningServices) -> None:
    tg = services.telegram
    user = new_user("en")
    tg.user_sends_text(user, "/scenario")
    menu = await wait_text(tg, user.id, "Default analysis")
    press(tg, user, menu, "Interview")
    await wait_text(tg, user.id, "the default is now Interview analysis")
    tg.user_sends_voice(user, ogg_opus(0.3, frequency=470.0), duration=1)
    await wait_text(tg, user.id, "Interview analysis:")
    assert not any("Summary:" in text for text in texts(tg, user.id))
