"""``voxpersona process FILE --json`` on a two-speaker conversation prints every segment with
its start, end, speaker and text, and which model told the speakers apart."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.cli import SERVICE_PREFIXES, run_voxpersona
from tests.conversations import TurnTranscriber, conversation, encode_wav
from voxpersona.localstack.fake_openai import FakeOpenAI

KEY = "sk-process-speakers-key"
TURNS = [
    ("ru_female", "ru_female_0"),
    ("ru_male", "ru_male_0"),
    ("ru_female", "ru_female_1"),
    ("ru_male", "ru_male_1"),
]


@pytest_asyncio.fixture(loop_scope="session")
async def turn_openai() -> AsyncIterator[tuple[FakeOpenAI, TurnTranscriber]]:
    transcriber = TurnTranscriber()
    async with FakeOpenAI(api_key=KEY, transcriber=transcriber) as server:
        yield server, transcriber


@pytest.mark.timeout(240)
async def test_process_json_prints_segments_with_speakers(
    tmp_path: Path, turn_openai: tuple[FakeOpenAI, TurnTranscriber]
) -> None:
    server, transcriber = turn_openai
    samples, reference = conversation(TURNS)
    path = tmp_path / "разговор.wav"
    path.write_bytes(transcriber.expect(encode_wav(samples), reference))
    code, output = await run_voxpersona(
        "process",
        str(path),
        "--user",
        "4343",
        "--json",
        env={"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": server.base_url},
        drop=SERVICE_PREFIXES,
        cwd=tmp_path,
        timeout=180,
    )
    assert code == 0, output
    result = json.loads(next(line for line in output.splitlines() if line.startswith("{")))
    assert [
        (round(s["start"], 2), round(s["end"], 2), s["speaker"], s["text"])
        for s in result["segments"]
    ] == [
        (round(t.start, 2), round(t.end, 2), t.speaker, f"turn {i}")
        for i, t in enumerate(reference)
    ]
    assert [t.speaker for t in reference] == [1, 2, 1, 2]
    assert (result["speaker_count"], result["diarization_model"]) == (2, "resemblyzer-ge2e")
