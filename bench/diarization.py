"""Benchmark: speaker diarization beside local Whisper transcription, on the same files.

Builds conversations with known turns from the committed espeak-ng voices and real-speech clips
(two- and three-speaker, Russian and English, a male/female pair and two male Russian voices),
writes them as Ogg/Opus files, and prints in one run:
- DER with the speaker count given and found automatically (and whether the count was right);
- the real-time factor (processing seconds per audio second) of the diarization stage (decode,
  VAD, embeddings, clustering) and of faster-whisper transcribing the same file as the local
  engine does (``vad_filter=True``, beam 5), and their ratio (goal: diarization < 10 %).

Each timing is the best of ``--repeat`` runs, for both stages alike: on a shared machine the
best run is the one least disturbed by other work.

Run: ``.venv/bin/python -m bench.diarization [--rounds 3] [--repeat 2] [--model DIR]``.
Without ``--model`` it uses the Whisper base model assembled from the test packages
(production's default "small" is slower, which only lowers the ratio).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from reactor.diarization.base import FloatArray, SpeakerBounds, SpeakerTurn
from reactor.diarization.der import diarization_error_rate
from reactor.diarization.engine import DiarizerOptions, LocalDiarizer
from tests.audio import encode_pcm
from tests.conversations import conversation
from tests.whisper_model import assemble_base_model

CONVERSATIONS = {
    "en male/female": ("en_male", "en_female"),
    "ru two males": ("ru_male", "ru_male_b"),
    "ru female/male": ("ru_female", "ru_male"),
    "en two males": ("en_male", "en_male_b"),
    "3: en female, ru males": ("en_female", "ru_male", "ru_male_b"),
    "3: english": ("en_male", "en_female", "en_male_b"),
}


def script(speakers: tuple[str, ...], rounds: int) -> list[tuple[str, str]]:
    """``rounds`` passes in which every speaker says each of their sentences in turn."""
    turns = []
    for index in range(rounds * 4):
        speaker = speakers[index % len(speakers)]
        turns.append((speaker, f"{speaker}_{(index // len(speakers)) % 4}"))
    return turns


def write_ogg(audio: FloatArray, path: Path) -> None:
    pcm = (np.clip(audio[0], -1, 1) * 32767).astype("<i2").tobytes()
    path.write_bytes(encode_pcm(pcm, container="ogg", codec="libopus", rate=16_000))


def transcribe_seconds(model_dir: str, path: Path) -> float:
    """Wall time of faster-whisper on ``path`` with the local engine's settings."""
    from faster_whisper import WhisperModel

    from reactor.transcription.local_engine import WhisperOptions

    options = WhisperOptions(model=model_dir)
    model = _whisper_cache.get(model_dir) or WhisperModel(
        model_dir,
        device="cpu",
        compute_type=options.resolved_compute_type("cpu"),
        cpu_threads=options.resolved_cpu_threads(),
    )
    _whisper_cache[model_dir] = model
    started = time.perf_counter()
    segments, _ = model.transcribe(str(path), vad_filter=True, beam_size=options.beam_size)
    for _ in segments:
        pass
    return time.perf_counter() - started


_whisper_cache: dict[str, object] = {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="passes of 4 turns per speaker")
    parser.add_argument("--repeat", type=int, default=2, help="timed runs per stage (best)")
    parser.add_argument("--model", default=None, help="Whisper model dir (default: base)")
    args = parser.parse_args()
    model_dir = args.model or str(assemble_base_model())
    diarizer = LocalDiarizer.load(DiarizerOptions())
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, speakers in CONVERSATIONS.items():
            audio, reference = conversation(script(speakers, args.rounds))
            path = Path(tmp) / f"{len(rows)}.ogg"
            write_ogg(audio, path)
            rows.append(measure(name, speakers, path, reference, diarizer, model_dir, args.repeat))
    diarizer.close()
    report(rows, model_dir)


def measure(
    name: str,
    speakers: tuple[str, ...],
    path: Path,
    reference: tuple[SpeakerTurn, ...],
    diarizer: LocalDiarizer,
    model_dir: str,
    repeat: int,
) -> dict[str, object]:
    given = diarizer.diarize_now(path, SpeakerBounds(exact=len(speakers)))
    timings = []
    for _ in range(max(1, repeat)):
        started = time.perf_counter()
        found = diarizer.diarize_now(path, SpeakerBounds())
        timings.append(time.perf_counter() - started)
    return {
        "name": name,
        "audio": found.duration,
        "speakers": len(speakers),
        "found": found.speakers,
        "der_given": diarization_error_rate(reference, given.turns),
        "der_auto": diarization_error_rate(reference, found.turns),
        "diarize": min(timings),
        "transcribe": min(transcribe_seconds(model_dir, path) for _ in range(max(1, repeat))),
    }


def report(rows: list[dict[str, object]], model_dir: str) -> None:
    print(
        f"diarization model: resemblyzer-ge2e (numpy), whisper: {Path(model_dir).name}, "
        f"cores: {os.cpu_count()}"
    )
    print(
        f"{'conversation':26} {'audio s':>7} {'spk':>3} {'found':>5} {'DER given':>9} "
        f"{'DER auto':>8} {'diar RTF':>8} {'asr RTF':>7}"
    )
    for r in rows:
        audio = float(r["audio"])  # type: ignore[arg-type]
        print(
            f"{r['name']!s:26} {audio:7.1f} {r['speakers']!s:>3} {r['found']!s:>5} "
            f"{float(r['der_given']):9.3f} {float(r['der_auto']):8.3f} "  # type: ignore[arg-type]
            f"{float(r['diarize']) / audio:8.4f} "  # type: ignore[arg-type]
            f"{float(r['transcribe']) / audio:7.4f}"
        )  # type: ignore[arg-type]
    audio = sum(float(r["audio"]) for r in rows)  # type: ignore[arg-type]
    diarize = sum(float(r["diarize"]) for r in rows)  # type: ignore[arg-type]
    transcribe = sum(float(r["transcribe"]) for r in rows)  # type: ignore[arg-type]
    right = sum(r["found"] == r["speakers"] for r in rows)
    print(
        f"mean DER, count given:     {np.mean([r['der_given'] for r in rows]):.3f} (target < 0.10)"
    )
    print(
        f"mean DER, count automatic: {np.mean([r['der_auto'] for r in rows]):.3f}; "
        f"count right in {right}/{len(rows)}"
    )
    print(
        f"RTF diarization {diarize / audio:.4f}, transcription {transcribe / audio:.4f}; "
        f"diarization adds {diarize / transcribe:.1%} to transcription time (goal < 10 %)"
    )


if __name__ == "__main__":
    main()
