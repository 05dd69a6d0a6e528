"""The fake OpenAI server, proven with the real ``openai.AsyncOpenAI`` client."""

from __future__ import annotations

import asyncio
import hashlib
import io
import time
import wave
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import openai
import pytest
from openai import AsyncOpenAI

from voxpersona.localstack.fake_openai import (
    MAX_UPLOAD_BYTES,
    FakeOpenAI,
    FakeSegment,
    FakeTranscript,
    TranscriptionRequest,
)

AUDIO = b"OggS\x00fake opus payload \x01\x02\x03" * 100


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI(api_key="test-key") as server:
        yield server


@pytest.fixture
async def client(fake: FakeOpenAI) -> AsyncIterator[AsyncOpenAI]:
    async with AsyncOpenAI(base_url=fake.base_url, api_key="test-key", max_retries=0) as c:
        yield c


def wav_bytes(seconds: float, rate: int = 8000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(b"\x00\x00" * int(seconds * rate))
    return buffer.getvalue()


async def test_base_url_points_at_v1(fake: FakeOpenAI) -> None:
    assert fake.base_url.startswith("http://127.0.0.1:")
    assert fake.base_url.endswith("/v1")


async def test_verbose_json_carries_segments_and_hash_of_sent_bytes(
    fake: FakeOpenAI, client: AsyncOpenAI
) -> None:
    result = await client.audio.transcriptions.create(
        model="whisper-1",
        file=("voice.ogg", AUDIO, "audio/ogg"),
        response_format="verbose_json",
        language="ru",
        prompt="names: Ivan",
    )
    digest = hashlib.sha256(AUDIO).hexdigest()
    assert result.text == f"fake transcript of {len(AUDIO)} bytes sha256 {digest[:16]}"
    assert result.language == "russian"
    assert result.duration == 1.0
    assert result.segments is not None
    assert len(result.segments) == 1
    segment = result.segments[0]
    assert (segment.id, segment.start, segment.end) == (0, 0.0, 1.0)
    assert segment.text.strip() == result.text
    assert segment.tokens[0] == 50364  # Whisper's <|0.00|>
    [seen] = fake.transcription_requests
    assert (seen.filename, seen.model, seen.language, seen.prompt) == (
        "voice.ogg",
        "whisper-1",
        "ru",
        "names: Ivan",
    )
    assert (seen.size, seen.sha256, seen.response_format) == (len(AUDIO), digest, "verbose_json")


async def test_language_defaults_to_english_and_wav_duration_is_measured(
    client: AsyncOpenAI,
) -> None:
    result = await client.audio.transcriptions.create(
        model="whisper-1", file=("note.wav", wav_bytes(2.5)), response_format="verbose_json"
    )
    assert result.language == "english"
    assert result.duration == pytest.approx(2.5)


async def test_json_and_text_formats(client: AsyncOpenAI) -> None:
    as_json = await client.audio.transcriptions.create(model="whisper-1", file=("a.mp3", AUDIO))
    as_text = await client.audio.transcriptions.create(
        model="whisper-1", file=("a.mp3", AUDIO), response_format="text"
    )
    assert isinstance(as_json, openai.types.audio.Transcription)
    assert as_json.text.startswith(f"fake transcript of {len(AUDIO)} bytes")
    assert isinstance(as_text, str)
    assert as_text.strip() == as_json.text


async def test_srt_and_vtt_subtitles(client: AsyncOpenAI) -> None:
    srt = await client.audio.transcriptions.create(
        model="whisper-1", file=("a.webm", AUDIO), response_format="srt"
    )
    vtt = await client.audio.transcriptions.create(
        model="whisper-1", file=("a.webm", AUDIO), response_format="vtt"
    )
    assert srt.startswith("1\n00:00:00,000 --> 00:00:01,000\nfake transcript of ")
    assert vtt.startswith("WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nfake transcript of ")


async def test_pluggable_async_transcriber_and_word_timestamps() -> None:
    received: list[bytes] = []

    async def transcribe(path: Path, request: TranscriptionRequest) -> FakeTranscript:
        received.append(await asyncio.to_thread(path.read_bytes))
        segments = [FakeSegment(0.0, 2.0, "привет мир."), FakeSegment(2.0, 4.0, "second")]
        return FakeTranscript("привет мир. second", "ru", 4.0, segments)

    async with (
        FakeOpenAI(transcriber=transcribe) as fake,
        AsyncOpenAI(base_url=fake.base_url, api_key="test-key", max_retries=0) as client,
    ):
        result = await client.audio.transcriptions.create(
            model="whisper-1",
            file=("v.oga", AUDIO),
            response_format="verbose_json",
            timestamp_granularities=["word", "segment"],
        )
    assert received == [AUDIO]  # the transcriber read exactly the uploaded bytes from disk
    assert fake.transcription_requests[0].timestamp_granularities == ("word", "segment")
    assert result.language == "russian"
    assert [s.text.strip() for s in result.segments or []] == ["привет мир.", "second"]
    assert [(w.word, w.start, w.end) for w in result.words or []] == [
        ("привет", 0.0, 1.0),
        ("мир.", 1.0, 2.0),
        ("second", 2.0, 4.0),
    ]


async def test_wrong_key_raises_authentication_error(fake: FakeOpenAI) -> None:
    async with AsyncOpenAI(base_url=fake.base_url, api_key="wrong", max_retries=0) as bad:
        with pytest.raises(openai.AuthenticationError) as caught:
            await bad.models.list()
    assert caught.value.status_code == 401
    assert caught.value.code == "invalid_api_key"
    assert fake.request_log == [("models", 401)]


async def test_missing_authorization_header_is_refused_in_openai_shape(fake: FakeOpenAI) -> None:
    async with aiohttp.ClientSession() as session, session.get(f"{fake.base_url}/models") as resp:
        body = await resp.json()
    assert resp.status == 401
    assert body["error"]["type"] == "invalid_request_error"
    assert body["error"]["code"] == "invalid_api_key"
    assert body["error"]["param"] is None


async def test_rate_limit_then_success_with_sdk_retries(
    fake: FakeOpenAI, client: AsyncOpenAI
) -> None:
    fake.fail_next("transcriptions", 429, retry_after=0.05)
    retrying = client.with_options(max_retries=2)
    result = await retrying.audio.transcriptions.create(model="whisper-1", file=("a.ogg", AUDIO))
    assert result.text.startswith("fake transcript of")
    assert fake.request_log == [("transcriptions", 429), ("transcriptions", 200)]
    assert len(fake.transcription_requests) == 1


async def test_rate_limit_error_carries_retry_after(fake: FakeOpenAI, client: AsyncOpenAI) -> None:
    fake.fail_next("chat", 429, retry_after=7)
    with pytest.raises(openai.RateLimitError) as caught:
        await client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
        )
    assert caught.value.response.headers["retry-after"] == "7"
    assert caught.value.code == "rate_limit_exceeded"


async def test_server_error_without_retries(fake: FakeOpenAI, client: AsyncOpenAI) -> None:
    fake.fail_next("transcriptions", 500, times=2)
    for _ in range(2):
        with pytest.raises(openai.InternalServerError) as caught:
            await client.audio.transcriptions.create(model="whisper-1", file=("a.ogg", AUDIO))
        assert caught.value.status_code == 500
        assert caught.value.type == "server_error"
    ok = await client.audio.transcriptions.create(model="whisper-1", file=("a.ogg", AUDIO))
    assert ok.text
    assert [status for _, status in fake.request_log] == [500, 500, 200]


async def test_injected_bad_request(fake: FakeOpenAI, client: AsyncOpenAI) -> None:
    fake.fail_next("transcriptions", 400, message="Audio file is corrupted.")
    with pytest.raises(openai.BadRequestError) as caught:
        await client.audio.transcriptions.create(model="whisper-1", file=("a.ogg", AUDIO))
    assert caught.value.status_code == 400
    assert "Audio file is corrupted." in caught.value.message


async def test_oversize_upload_is_rejected(fake: FakeOpenAI, client: AsyncOpenAI) -> None:
    too_big = b"\x00" * (MAX_UPLOAD_BYTES + 1)
    with pytest.raises(openai.APIStatusError) as caught:
        await client.audio.transcriptions.create(model="whisper-1", file=("big.mp3", too_big))
    assert caught.value.status_code == 413
    assert f"({MAX_UPLOAD_BYTES}) exceeded ({MAX_UPLOAD_BYTES + 1} bytes read)" in str(
        caught.value.message
    )
    assert fake.transcription_requests == []
    # Exactly at the limit is still accepted.
    at_limit = await client.audio.transcriptions.create(
        model="whisper-1", file=("big.mp3", too_big[:-1])
    )
    assert at_limit.text.startswith(f"fake transcript of {MAX_UPLOAD_BYTES} bytes")


async def test_unsupported_extension_is_rejected(client: AsyncOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        await client.audio.transcriptions.create(model="whisper-1", file=("voice.txt", AUDIO))
    assert "Invalid file format. Supported formats: ['flac', 'm4a'" in caught.value.message


async def test_oga_rejected_when_configured_but_ogg_accepted() -> None:
    async with (
        FakeOpenAI(reject_oga=True) as fake,
        AsyncOpenAI(base_url=fake.base_url, api_key="test-key", max_retries=0) as client,
    ):
        with pytest.raises(openai.BadRequestError) as caught:
            await client.audio.transcriptions.create(model="whisper-1", file=("v.oga", AUDIO))
        ok = await client.audio.transcriptions.create(model="whisper-1", file=("v.ogg", AUDIO))
    assert "'oga'" not in caught.value.message
    assert "'ogg'" in caught.value.message
    assert ok.text.startswith("fake transcript of")
    assert [r.filename for r in fake.transcription_requests] == ["v.ogg"]


async def test_missing_model_is_a_bad_request(client: AsyncOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        await client.audio.transcriptions.create(model="", file=("a.ogg", AUDIO))
    assert caught.value.param == "model"


async def test_chat_completion_default_reply(fake: FakeOpenAI, client: AsyncOpenAI) -> None:
    long_text = "x" * 300
    completion = await client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[
            {"role": "system", "content": "You analyse."},
            {"role": "user", "content": long_text},
        ],
    )
    assert completion.object == "chat.completion"
    assert completion.model == "gpt-4o-mini"
    choice = completion.choices[0]
    assert choice.finish_reason == "stop"
    assert choice.message.role == "assistant"
    assert choice.message.content == "ANALYSIS: " + "x" * 200
    assert completion.usage is not None
    assert completion.usage.total_tokens == (
        completion.usage.prompt_tokens + completion.usage.completion_tokens
    )
    assert fake.chat_requests[0]["messages"][1]["content"] == long_text


async def test_chat_custom_responder_and_streaming_refused() -> None:
    async def respond(body: dict[str, object]) -> str:
        return f"model={body['model']}"

    async with (
        FakeOpenAI(responder=respond) as fake,
        AsyncOpenAI(base_url=fake.base_url, api_key="test-key", max_retries=0) as client,
    ):
        completion = await client.chat.completions.create(
            model="llama", messages=[{"role": "user", "content": "hi"}]
        )
        with pytest.raises(openai.BadRequestError) as caught:
            await client.chat.completions.create(
                model="llama", messages=[{"role": "user", "content": "hi"}], stream=True
            )
    assert completion.choices[0].message.content == "model=llama"
    assert "Streaming is not supported" in caught.value.message


async def test_hang_makes_client_time_out(fake: FakeOpenAI) -> None:
    fake.hang_next("chat", 30.0)
    async with AsyncOpenAI(
        base_url=fake.base_url, api_key="test-key", max_retries=0, timeout=0.3
    ) as client:
        started = time.monotonic()
        with pytest.raises(openai.APITimeoutError):
            await client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
            )
        assert time.monotonic() - started < 5
        # Only the next request hung; the following one answers at once.
        completion = await client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "again"}]
        )
    assert completion.choices[0].message.content == "ANALYSIS: again"
    assert len(fake.chat_requests) == 2


async def test_latency_delays_answers(fake: FakeOpenAI, client: AsyncOpenAI) -> None:
    fake.set_latency(None, 0.3)
    started = time.monotonic()
    await client.models.list()
    assert time.monotonic() - started >= 0.3
    fake.reset()
    started = time.monotonic()
    await client.models.list()
    assert time.monotonic() - started < 0.3
    assert fake.request_log == [("models", 200)]


async def test_models_list_and_retrieve(client: AsyncOpenAI) -> None:
    page = await client.models.list()
    assert [m.id for m in page.data] == ["whisper-1", "gpt-4o-mini"]
    model = await client.models.retrieve("whisper-1")
    assert (model.id, model.object) == ("whisper-1", "model")
    with pytest.raises(openai.NotFoundError) as caught:
        await client.models.retrieve("no-such-model")
    assert caught.value.code == "model_not_found"


async def test_reset_clears_faults_and_records(fake: FakeOpenAI, client: AsyncOpenAI) -> None:
    await client.models.list()
    fake.fail_next("models", 503, times=5)
    fake.reset()
    page = await client.models.list()
    assert page.data
    assert fake.request_log == [("models", 200)]


async def test_api_key_none_accepts_anything() -> None:
    async with (
        FakeOpenAI(api_key=None) as fake,
        AsyncOpenAI(base_url=fake.base_url, api_key="anything", max_retries=0) as client,
    ):
        page = await client.models.list()
    assert page.data


async def test_unknown_path_answers_in_openai_error_shape(fake: FakeOpenAI) -> None:
    headers = {"Authorization": "Bearer test-key"}
    async with (
        aiohttp.ClientSession(headers=headers) as session,
        session.get(f"{fake.base_url}/nope") as resp,
    ):
        body = await resp.json()
    assert resp.status == 404
    assert body["error"]["message"] == "Invalid URL (GET /v1/nope)"
    assert fake.request_log == []  # only the OpenAI endpoints are recorded
