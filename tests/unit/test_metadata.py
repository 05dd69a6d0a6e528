from __future__ import annotations

import pytest

from voxpersona.contracts.metadata import MetadataError, RecordingMetadata


def test_headers_are_ascii_and_round_trip_cyrillic() -> None:
    meta = RecordingMetadata(
        user_id=5,
        chat_id=-100,
        message_id=9,
        original_name="интервью клиента №1.ogg",
        duration_seconds=61,
    )
    headers = meta.to_headers()
    assert all(value.isascii() for value in headers.values())
    assert headers["x-amz-meta-user-id"] == "5"
    # MinIO reports keys canonicalised: X-Amz-Meta-Original-Name.
    reported = {key.title(): value for key, value in headers.items()}
    assert RecordingMetadata.from_user_metadata(reported) == meta


def test_missing_user_id_is_a_clear_error() -> None:
    with pytest.raises(MetadataError, match="user-id"):
        RecordingMetadata.from_user_metadata({"X-Amz-Meta-Chat-Id": "1"})


def test_non_metadata_keys_are_ignored() -> None:
    meta = RecordingMetadata.from_user_metadata(
        {"content-type": "audio/ogg", "X-Amz-Meta-User-Id": "3", "X-Amz-Meta-Chat-Id": "3"}
    )
    assert meta.user_id == 3
    assert meta.original_name is None
