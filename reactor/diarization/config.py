"""The diarizer's options and speaker bounds from the reactor's settings."""

from __future__ import annotations

from reactor.diarization.base import Diarizer, SpeakerBounds
from reactor.diarization.engine import DiarizerOptions, LocalDiarizer
from voxpersona.settings import VoxSettings


def diarizer_options(vox: VoxSettings) -> DiarizerOptions:
    return DiarizerOptions(
        model_path=vox.diarization_model,
        parallel=vox.diarization_parallel,
        device=vox.diarization_device,
    )


def build_diarizer(vox: VoxSettings) -> Diarizer:
    """The diarizer the reactor runs (loads the model now; a bad model stops start-up)."""
    return LocalDiarizer.load(diarizer_options(vox))


def speaker_bounds(vox: VoxSettings, *, exact: int | None = None) -> SpeakerBounds:
    """The configured bounds; ``exact`` (a user's choice for one recording) wins."""
    return SpeakerBounds(
        exact=exact if exact is not None else vox.diarization_speakers,
        minimum=vox.diarization_min_speakers,
        maximum=vox.diarization_max_speakers,
    )
