"""Transcription on our own server with faster-whisper (CTranslate2): audio never leaves it.

The model is loaded once per process at start-up. Transcription runs in bounded worker threads,
off the event loop, so JetStream heartbeats, other events and shutdown keep working while a
two-hour file is transcribed; CTranslate2 releases the GIL while it computes. A cancelled job
stops at its next segment and frees its slot then; the threads never hold up process exit.
"""

from __future__ import annotations

import asyncio
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av

from reactor.concurrency import CancellableWorkers
from reactor.errors import PermanentError, TransientError
from reactor.transcription.base import ProgressCallback, Segment, Transcript
from voxpersona.lifecycle import StartupError

MODEL_SETTING = "VOXPERSONA_WHISPER_MODEL"

# How CTranslate2 reports a device failing (include/ctranslate2/cuda/utils.h: "CUDA failed with
# error ...", "cuBLAS failed with status ...", "cuDNN failed with status ..."; its allocators'
# "out of memory"); std::bad_alloc reaches Python as MemoryError (pybind11).
_OUT_OF_MEMORY = ("out of memory", "alloc_failed", "bad_alloc", "cannot allocate memory")
_DEVICE = ("cuda", "cublas", "cudnn", "cufft", "curand", "nccl", "device")


class _Stopped(Exception):
    """The job was cancelled; its thread returns early."""


def engine_failure(exc: BaseException) -> TransientError | PermanentError:
    """Out of memory or a failing device is ours, not the recording's: retried (then a dead
    letter), never the user's fault. Anything else the engine raises is about this file."""
    text = f"{type(exc).__name__}: {exc}"
    lowered = text.lower()
    if isinstance(exc, MemoryError) or any(sign in lowered for sign in _OUT_OF_MEMORY):
        return TransientError("engine_out_of_memory", text[:300])
    if isinstance(exc, RuntimeError) and any(sign in lowered for sign in _DEVICE):
        return TransientError("engine_device_error", text[:300])
    return PermanentError("engine_error", text[:300])


@dataclass(frozen=True, slots=True)
class WhisperOptions:
    """How to load and run the model (from ``VOXPERSONA_WHISPER_*``)."""

    model: str
    device: str = "auto"
    compute_type: str = "auto"
    cpu_threads: int = 0
    parallel: int = 1
    beam_size: int = 5
    download_root: str | None = None

    def resolved_compute_type(self, device: str) -> str:
        """int8 on CPU (fast, small), float16 on CUDA, unless set explicitly."""
        if self.compute_type != "auto":
            return self.compute_type
        return "float16" if device == "cuda" else "int8"

    def resolved_cpu_threads(self) -> int:
        """Split the cores between parallel transcriptions so they don't oversubscribe them."""
        if self.cpu_threads > 0:
            return self.cpu_threads
        return max(1, (os.cpu_count() or 1) // max(1, self.parallel))


def resolve_device(requested: str) -> str:
    if requested != "auto":
        return requested
    import ctranslate2

    return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"


def check_decodable(path: Path) -> float | None:
    """Open the file with FFmpeg (PyAV) and decode its first audio frame.

    Raises :class:`PermanentError` with the precise reason before any model time is spent.
    Returns the duration in seconds when the container states it.
    """
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise PermanentError("not_audio", "the file has no audio stream")
            stream = container.streams.audio[0]
            for _ in container.decode(stream):
                break
            else:
                raise PermanentError(
                    "undecodable_audio", "the audio stream has no decodable frames"
                )
            if container.duration is not None:
                return float(container.duration) / av.time_base
            return None
    except av.FFmpegError as exc:
        raise PermanentError("undecodable_audio", f"cannot decode: {exc}") from exc


class LocalWhisperTranscriber:
    """The local engine; returns exactly the transcript model the OpenAI engine returns."""

    engine = "local"

    def __init__(self, model: Any, options: WhisperOptions, *, device: str) -> None:
        self._model = model
        self._options = options
        self.device = device
        self.compute_type = options.resolved_compute_type(device)
        self.model = (
            options.model.rstrip("/").rsplit("/", 1)[-1]
            if Path(options.model).is_dir()
            else options.model
        )
        self._workers = CancellableWorkers(options.parallel, name="whisper")

    @property
    def running(self) -> int:
        """Transcriptions whose thread is still working (cancelled ones until they stop)."""
        return self._workers.running

    @classmethod
    def load(cls, options: WhisperOptions) -> LocalWhisperTranscriber:
        """Load the model now (blocking); a missing or unreadable model stops start-up."""
        try:
            from faster_whisper import WhisperModel
        except ImportError as exc:
            raise StartupError(
                "the local engine needs faster-whisper: pip install 'voxpersona[local]' "
                "(or set OPENAI_API_KEY / VOXPERSONA_TRANSCRIBER=openai)"
            ) from exc
        device = resolve_device(options.device)
        try:
            model = WhisperModel(
                options.model,
                device=device,
                compute_type=options.resolved_compute_type(device),
                cpu_threads=options.resolved_cpu_threads(),
                num_workers=options.parallel,
                download_root=options.download_root,
            )
        except Exception as exc:
            raise StartupError(
                f"configuration error: {MODEL_SETTING}={options.model!r} cannot be loaded "
                f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})"
            ) from None
        return cls(model, options, device=device)

    def close(self) -> None:
        self._workers.stop_all()

    async def transcribe(
        self,
        path: Path,
        *,
        filename: str,
        language: str | None,
        progress: ProgressCallback | None = None,
    ) -> Transcript:
        await asyncio.to_thread(check_decodable, path)
        loop = asyncio.get_running_loop()

        def report(done: float, total: float) -> None:
            if progress is not None:
                loop.call_soon_threadsafe(progress, done, total)

        return await self._workers.run(lambda stop: self._run(path, language, report, stop))

    def _run(
        self, path: Path, language: str | None, report: ProgressCallback, stop: threading.Event
    ) -> Transcript:
        try:
            segments_iter, info = self._model.transcribe(
                str(path), language=language, vad_filter=True, beam_size=self._options.beam_size
            )
            segments: list[Segment] = []
            # The generator does the work: consuming it is the transcription, and between two
            # segments is where a cancelled job can stop.
            for raw in segments_iter:
                if stop.is_set():
                    raise _Stopped
                segments.append(Segment(start=raw.start, end=raw.end, text=raw.text.strip()))
                report(min(raw.end, info.duration), info.duration)
        except _Stopped:
            raise
        except Exception as exc:
            raise engine_failure(exc) from exc
        report(info.duration, info.duration)
        return Transcript(
            text=" ".join(s.text for s in segments if s.text).strip(),
            language=info.language,
            duration=info.duration,
            segments=segments,
            engine=self.engine,
            model=self.model,
        )
