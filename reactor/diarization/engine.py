"""The local diarizer: VAD, speaker embeddings, clustering (or channels), off the event loop.

Models load once per process. Work runs in a bounded thread pool like the Whisper engine, so
heartbeats and other events keep flowing while a long recording is diarized; numpy's matrix
products and onnxruntime release the GIL while they compute.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from reactor.diarization.audio import SAMPLE_RATE, decode, mixdown
from reactor.diarization.base import (
    Diarization,
    FloatArray,
    SpeakerBounds,
    SpeakerEmbedder,
    SpeakerTurn,
)
from reactor.diarization.clustering import cluster
from reactor.diarization.models_loading import load_embedder
from reactor.diarization.planning import plan_windows, turns_from_labels
from reactor.diarization.stereo import channel_turns
from reactor.diarization.vad import speech_regions

# Less speech than this holds one speaker: too little to tell voices apart reliably.
MIN_SPEECH_SECONDS = 3.0


@dataclass(frozen=True, slots=True)
class DiarizerOptions:
    """How to load and run the diarizer (from ``VOXPERSONA_DIARIZATION_*``)."""

    model_path: Path | None = None
    hop_seconds: float = 0.8
    parallel: int = 1
    device: str = "auto"


class LocalDiarizer:
    """Who spoke when, on this server; ``model`` names the embedder as results report it."""

    def __init__(self, embedder: SpeakerEmbedder, options: DiarizerOptions) -> None:
        self._embedder = embedder
        self._options = options
        self.model = embedder.name
        self._executor = ThreadPoolExecutor(
            max_workers=options.parallel, thread_name_prefix="diarize"
        )
        self._slots = asyncio.Semaphore(options.parallel)

    @classmethod
    def load(cls, options: DiarizerOptions) -> LocalDiarizer:
        """Load the embedder now (blocking); a missing or unreadable model stops start-up."""
        single_threaded_blas()
        return cls(load_embedder(options.model_path, device=options.device), options)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def diarize(self, path: Path, *, bounds: SpeakerBounds) -> Diarization:
        loop = asyncio.get_running_loop()
        async with self._slots:
            return await loop.run_in_executor(self._executor, self.diarize_now, path, bounds)

    def diarize_now(self, path: Path, bounds: SpeakerBounds) -> Diarization:
        """The blocking work (for the thread pool, the benchmark and the CLI)."""
        started = time.perf_counter()
        audio = decode(path)
        return self.diarize_samples(audio, bounds, decoded=time.perf_counter() - started)

    def diarize_samples(
        self, audio: FloatArray, bounds: SpeakerBounds, *, decoded: float = 0.0
    ) -> Diarization:
        """Diarize ``(channels, samples)`` 16 kHz audio."""
        timings = {"decode": decoded}
        duration = audio.shape[1] / SAMPLE_RATE
        mono = mixdown(audio)
        clock = time.perf_counter()
        regions = speech_regions(mono)
        timings["vad"] = time.perf_counter() - clock

        def result(turns: tuple[SpeakerTurn, ...], method: str) -> Diarization:
            speakers = len({t.speaker for t in turns})
            return Diarization(turns, speakers, method, self.model, duration, timings)  # type: ignore[arg-type]

        speech = sum(end - start for start, end in regions) / SAMPLE_RATE
        if speech < MIN_SPEECH_SECONDS or bounds.high == 1:
            return result(_one_speaker(regions), "single")
        if bounds.high >= 2 and (stereo := channel_turns(audio, regions)) is not None:
            return result(stereo, "stereo")
        clock = time.perf_counter()
        window = round(self._embedder.window_seconds * SAMPLE_RATE)
        hop = round(self._options.hop_seconds * SAMPLE_RATE)
        planned = plan_windows(regions, window=window, hop=hop, total=len(mono))
        embeddings = self._embedder.embed(mono, [(p[0], p[1]) for p in planned])
        timings["embed"] = time.perf_counter() - clock
        clock = time.perf_counter()
        labels = cluster(embeddings, bounds)
        timings["cluster"] = time.perf_counter() - clock
        turns = turns_from_labels(
            [(p[2], p[3]) for p in planned], [int(x) for x in labels], sample_rate=SAMPLE_RATE
        )
        return result(turns, "clustering" if len(set(labels.tolist())) > 1 else "single")


def single_threaded_blas() -> None:
    """Run numpy's BLAS on one thread in this process.

    The encoder's matrix products are small (64 x 256 by 256 x 1024 per LSTM step): BLAS threads
    only add synchronisation, and on a busy server (Whisper on every core) their spinning made
    the stage 3-5 times slower than one thread (measured here). Recordings diarize in parallel
    through ``parallel`` instead. The reactor's other numpy work is light, and CTranslate2
    (Whisper) threads with OpenMP, which this leaves alone.
    """
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


def _one_speaker(regions: list[tuple[int, int]]) -> tuple[SpeakerTurn, ...]:
    if not regions:
        return ()
    return turns_from_labels(regions, [0] * len(regions), sample_rate=SAMPLE_RATE)


__all__ = ["DiarizerOptions", "LocalDiarizer"]
