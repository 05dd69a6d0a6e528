"""Where someone speaks: the Silero VAD model that faster-whisper ships (onnxruntime)."""

from __future__ import annotations

from reactor.diarization.base import FloatArray
from reactor.errors import PermanentError

# Turns in a conversation are often separated by short pauses only: split speech at 0.3 s of
# silence (faster-whisper's transcription default, 2 s, would merge the turns of two speakers).
MIN_SILENCE_MS = 300
SPEECH_PAD_MS = 60
MIN_SPEECH_MS = 200


def speech_regions(audio: FloatArray, sample_rate: int = 16_000) -> list[tuple[int, int]]:
    """``(start, end)`` sample ranges of speech in one channel of 16 kHz audio."""
    try:
        from faster_whisper.vad import VadOptions, get_speech_timestamps
    except ImportError as exc:
        raise PermanentError(
            "diarization_unavailable",
            "diarization needs faster-whisper's VAD: pip install 'voxpersona[diarization]'",
        ) from exc
    options = VadOptions(
        min_silence_duration_ms=MIN_SILENCE_MS,
        speech_pad_ms=SPEECH_PAD_MS,
        min_speech_duration_ms=MIN_SPEECH_MS,
    )
    found = get_speech_timestamps(audio, options, sampling_rate=sample_rate)
    return [(int(region["start"]), int(region["end"])) for region in found]
