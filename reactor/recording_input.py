"""From a bucket event to the recording it stands for: key and metadata checked, or a precise
permanent reason why the event cannot belong to any user's recording."""

from __future__ import annotations

from reactor.errors import PermanentError
from voxpersona.contracts.events import BucketEvent
from voxpersona.contracts.keys import InvalidKeyError, parse_audio_key
from voxpersona.contracts.metadata import MetadataError, RecordingMetadata
from voxpersona.recordings import NewRecording


def recording_metadata(event: BucketEvent) -> RecordingMetadata | None:
    """The bot's metadata on the object, or None when it is missing or malformed."""
    try:
        return RecordingMetadata.from_user_metadata(event.user_metadata)
    except MetadataError:
        return None


def new_recording(event: BucketEvent) -> NewRecording:
    """Validate key and metadata; raise PermanentError with a precise reason otherwise."""
    try:
        key = parse_audio_key(event.key)
    except InvalidKeyError as exc:
        raise PermanentError("invalid_key", str(exc)) from exc
    try:
        meta = RecordingMetadata.from_user_metadata(event.user_metadata)
    except MetadataError as exc:
        raise PermanentError("invalid_metadata", str(exc)) from exc
    if meta.user_id != key.user_id:
        raise PermanentError("metadata_mismatch", "metadata user id differs from the key's")
    if not event.etag:
        raise PermanentError("invalid_event", "created event without eTag")
    return NewRecording(
        bucket=event.bucket,
        object_key=event.key,
        etag=event.etag,
        version_id=event.version_id,
        sequencer=event.sequencer or None,
        user_id=meta.user_id,
        chat_id=meta.chat_id,
        message_id=meta.message_id,
        original_name=meta.original_name,
        content_type=event.content_type,
        size_bytes=event.size,
        duration_seconds=float(meta.duration_seconds) if meta.duration_seconds else None,
        recording_language=meta.transcription_language,
        scenario=meta.scenario,
        file_unique_id=meta.file_unique_id,
        uploaded_at=event.event_time,
    )
