"""``voxpersona process FILE --user ID`` as a user runs it: a subprocess that starts its own
local stack, uploads the file, lets a reactor process the event and prints the transcript."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from tests.audio import ogg_opus
from tests.cli import SERVICE_PREFIXES, run_voxpersona
from tests.speech import clip, normalise, spoken_text
from voxpersona.localstack.fake_openai import FakeOpenAI

KEY = "sk-process-test-key"


@pytest_asyncio.fixture(loop_scope="session")
async def openai_server() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI(api_key=KEY) as server:
        yield server


async def run_cli(tmp_path: Path, *args: str, env: dict[str, str]) -> tuple[int, str]:
    return await run_voxpersona(*args, env=env, drop=SERVICE_PREFIXES, cwd=tmp_path, timeout=90)


async def test_process_prints_the_transcript_of_exactly_that_file(
    tmp_path: Path, openai_server: FakeOpenAI
) -> None:
    audio = ogg_opus(0.8)
    path = tmp_path / "встреча с клиентом.ogg"
    path.write_bytes(audio)
    code, output = await run_cli(
        tmp_path,
        "process",
        str(path),
        "--user",
        "4242",
        env={"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": openai_server.base_url},
    )
    assert code == 0, output
    digest = hashlib.sha256(audio).hexdigest()
    assert f"fake transcript of {len(audio)} bytes sha256 {digest[:16]}" in output
    assert "done (openai/whisper-1" in output
    assert KEY not in output
    [request] = openai_server.transcription_requests
    assert request.filename.endswith(".ogg")


async def test_process_rejects_a_file_that_is_not_audio(tmp_path: Path) -> None:
    path = tmp_path / "notes.ogg"
    path.write_text("not audio at all, just text with an .ogg name")
    code, output = await run_cli(tmp_path, "process", str(path), "--user", "1", env={})
    assert code == 2
    assert "is not audio" in output


async def test_openai_engine_without_api_key_names_the_variable(tmp_path: Path) -> None:
    path = tmp_path / "a.ogg"
    path.write_bytes(ogg_opus(0.2))
    code, output = await run_cli(
        tmp_path, "process", str(path), "--user", "1", env={"VOXPERSONA_TRANSCRIBER": "openai"}
    )
    assert code == 1
    assert "OPENAI_API_KEY" in output
    assert "Traceback" not in output


async def test_process_with_no_api_key_transcribes_locally(
    tmp_path: Path, whisper_model_dir: Path
) -> None:
    path = tmp_path / "interview.ogg"
    path.write_bytes(clip("en_budget"))
    code, output = await run_cli(
        tmp_path,
        "process",
        str(path),
        "--user",
        "77",
        env={"VOXPERSONA_WHISPER_MODEL": str(whisper_model_dir)},
    )
    assert code == 0, output
    assert "done (local/whisper-base-ct2, language en)" in output
    assert normalise(spoken_text("en_budget")) in normalise(output)


async def test_unloadable_model_stops_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "a.ogg"
    path.write_bytes(ogg_opus(0.2))
    code, output = await run_cli(
        tmp_path,
        "process",
        str(path),
        "--user",
        "1",
        env={"VOXPERSONA_WHISPER_MODEL": str(tmp_path / "missing-model")},
    )
    assert code == 1
    assert "VOXPERSONA_WHISPER_MODEL" in output
    assert "Traceback" not in output
