"""The diarization stage inside the reactor, on the real local stack with the bundled GE2E model:
a two-speaker conversation comes back with a speaker on every segment, in PostgreSQL and in the
results JSON, the model recorded; the user's ``off`` and a one-voice recording are honoured; the
interview analysis reads the turns."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from tests.conversations import TurnTranscriber, conversation, encode_wav
from tests.reactor_harness import (
    dsn,
    fresh_audio_bucket,
    new_user,
    reactor_settings,
    running_reactor,
    upload,
    wait_row,
)
from tests.services import OPENAI_TEST_KEY, RunningServices
from voxpersona.localstack.fake_openai import FakeOpenAI
from voxpersona.storage import MinioObjectStore

pytestmark = pytest.mark.timeout(300)

TWO_VOICES = [
    ("en_male", "en_male_0"),
    ("en_female", "en_female_0"),
    ("en_male", "en_male_1"),
    ("en_female", "en_female_1"),
    ("en_male", "en_male_2"),
    ("en_female", "en_female_2"),
]
ONE_VOICE = [("en_male", f"en_male_{i}") for i in range(4)]


@pytest_asyncio.fixture(loop_scope="session")
async def turn_openai() -> AsyncIterator[tuple[FakeOpenAI, TurnTranscriber]]:
    transcriber = TurnTranscriber()
    async with FakeOpenAI(api_key=OPENAI_TEST_KEY, transcriber=transcriber) as server:
        yield server, transcriber


async def test_two_speakers_stored_per_segment_and_in_the_results_document(
    services: RunningServices, turn_openai: tuple[FakeOpenAI, TurnTranscriber]
) -> None:
    openai, transcriber = turn_openai
    minio = await fresh_audio_bucket(services.stack)
    settings = reactor_settings(services, minio, openai=openai, analysis_enabled=False)
    user = new_user(services, "en")
    samples, reference = conversation(TWO_VOICES)
    audio = transcriber.expect(encode_wav(samples), reference)
    samples_one, reference_one = conversation(ONE_VOICE)
    one_voice = transcriber.expect(encode_wav(samples_one), reference_one)
    async with running_reactor(settings):
        key = await upload(minio, user, audio, extension="wav", content_type="audio/wav")
        off_key = await upload(
            minio, user, audio, extension="wav", content_type="audio/wav", speakers="off"
        )
        one_key = await upload(minio, user, one_voice, extension="wav", content_type="audio/wav")
        row = await wait_row(dsn(services), key, timeout=240)
        off = await wait_row(dsn(services), off_key, timeout=240)
        one = await wait_row(dsn(services), one_key, timeout=240)

    assert row["status"] == "done", row["failure_reason"]
    segments = json.loads(row["transcript_segments"])
    assert [s["speaker"] for s in segments] == [t.speaker for t in reference] == [1, 2] * 3
    assert (row["speaker_count"], row["diarization_model"], row["diarization_method"]) == (
        2,
        "resemblyzer-ge2e",
        "clustering",
    )
    assert row["transcription_engine"] == "openai"  # the transcript's engine, beside its own
    assert "diarize" in json.loads(row["timings"])
    store = MinioObjectStore(minio)
    document = json.loads(await store.get_bytes(store.results_bucket, row["result_key"]))
    assert [s["speaker"] for s in document["transcript"]["segments"]] == [1, 2] * 3
    assert document["diarization"] == {
        "speakers": 2,
        "model": "resemblyzer-ge2e",
        "method": "clustering",
    }

    # The user switched speakers off: the same audio comes back without any.
    assert off["status"] == "done", off["failure_reason"]
    assert all("speaker" not in s for s in json.loads(off["transcript_segments"]))
    assert off["speaker_count"] is None
    assert off["diarization_model"] is None

    # One voice: one speaker, every segment speaker 1 (the chat shows no labels for it).
    assert one["status"] == "done", one["failure_reason"]
    assert one["speaker_count"] == 1
    assert {s["speaker"] for s in json.loads(one["transcript_segments"])} == {1}


async def test_interview_analysis_reads_speaker_turns_and_is_asked_for_roles(
    services: RunningServices, turn_openai: tuple[FakeOpenAI, TurnTranscriber]
) -> None:
    openai, transcriber = turn_openai
    minio = await fresh_audio_bucket(services.stack)
    settings = reactor_settings(services, minio, openai=openai, analysis_enabled=True)
    user = new_user(services, "en")
    samples, reference = conversation(TWO_VOICES[:4])
    audio = transcriber.expect(encode_wav(samples), reference)
    openai.chat_requests.clear()
    async with running_reactor(settings):
        key = await upload(
            minio,
            user,
            audio,
            extension="wav",
            content_type="audio/wav",
            scenario="interview",
            speakers="2",
            interface_language="en",
        )
        row = await wait_row(
            dsn(services),
            key,
            until="status <> 'processing' AND analysis_status <> 'pending'",
            timeout=240,
        )
    assert row["analysis_status"] == "done", row["failure_reason"]
    prompts = [
        str(m.get("content"))
        for request in openai.chat_requests
        for m in request["messages"]
        if m.get("role") == "user"
    ]
    roles_input = next(p for p in prompts if "Speaker 1: turn 0" in p)
    assert "Speaker 1: turn 0\n\nSpeaker 2: turn 1\n\nSpeaker 1: turn 2\n\nSpeaker 2: turn 3" in (
        roles_input
    )
    assert '"Speaker 1 — interviewer"' in roles_input  # the roles step is asked for them
    assert any('0. "Roles"' in p for p in prompts)  # and the report shows them
