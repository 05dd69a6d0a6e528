"""The diarization stage's pure parts: which bounds a recording gets, speakers on segments, and
the turns an analysis reads."""

from __future__ import annotations

import pytest

from reactor.analysis.turns import analysis_input
from reactor.diarization.base import Diarization, SpeakerBounds, SpeakerTurn
from reactor.diarizing import plan_bounds, with_speakers
from reactor.transcription import Segment
from voxpersona.contracts.metadata import MetadataError, RecordingMetadata

CONFIGURED = SpeakerBounds(minimum=1, maximum=6)


@pytest.mark.parametrize(
    ("choice", "enabled", "expected"),
    [
        (None, True, CONFIGURED),
        (None, False, None),
        ("auto", False, CONFIGURED),
        ("off", True, None),
        ("3", False, SpeakerBounds(exact=3, minimum=1, maximum=3)),
        ("1", True, SpeakerBounds(exact=1, minimum=1, maximum=1)),
    ],
)
def test_the_users_choice_wins_over_the_servers_default(
    choice: str | None, enabled: bool, expected: SpeakerBounds | None
) -> None:
    assert plan_bounds(choice, enabled=enabled, configured=CONFIGURED) == expected


def test_segments_take_the_speaker_covering_most_of_them() -> None:
    found = Diarization(
        (SpeakerTurn(0.0, 2.0, 1), SpeakerTurn(2.2, 5.0, 2)), 2, "clustering", "m", 5.0
    )
    segments = [
        Segment(start=0.0, end=1.9, text="hello"),
        Segment(start=1.8, end=4.0, text="hi there"),
    ]
    assert [(s.text, s.speaker) for s in with_speakers(segments, found)] == [
        ("hello", 1),
        ("hi there", 2),
    ]
    nobody = Diarization((), 0, "single", "m", 5.0)
    assert [s.speaker for s in with_speakers(segments, nobody)] == [None, None]
    # Undiarized segments dump as they always did (no "speaker": null in the results).
    assert "speaker" not in segments[0].model_dump()


def test_analysis_reads_turns_only_when_several_speakers_spoke() -> None:
    segments = [
        {"start": 0, "end": 1, "text": "Как вас зовут?", "speaker": 1},
        {"start": 1, "end": 2, "text": "Анна.", "speaker": 2},
        {"start": 2, "end": 3, "text": "Я дизайнер.", "speaker": 2},
        {"start": 3, "end": 4, "text": "Спасибо.", "speaker": 1},
    ]
    assert analysis_input("plain", segments, "ru") == (
        "Спикер 1: Как вас зовут?\n\nСпикер 2: Анна. Я дизайнер.\n\nСпикер 1: Спасибо."
    )
    assert analysis_input("plain", segments, "en").startswith("Speaker 1: Как")
    one = [{**s, "speaker": 1} for s in segments]
    assert analysis_input("plain", one, "ru") == "plain"
    assert analysis_input("plain", [{"start": 0, "end": 1, "text": "x"}], "ru") == "plain"


def test_the_users_choice_travels_in_the_upload_metadata() -> None:
    meta = RecordingMetadata(user_id=1, chat_id=1, speakers="2")
    headers = meta.to_headers()
    assert headers["x-amz-meta-speakers"] == "2"
    assert RecordingMetadata.from_user_metadata(headers).speakers == "2"
    assert "x-amz-meta-speakers" not in RecordingMetadata(user_id=1, chat_id=1).to_headers()
    for bad in ("9", "many", "0"):
        with pytest.raises(MetadataError):
            RecordingMetadata.from_user_metadata(
                {"x-amz-meta-user-id": "1", "x-amz-meta-chat-id": "1", "x-amz-meta-speakers": bad}
            )
