"""Pure parts of the storage layer: error translation, key safety, the chunk bridge, the
health cache rule, start-up judgement and operation counting."""

from __future__ import annotations

import threading

import pytest
import urllib3
from minio.error import InvalidResponseError, S3Error, ServerError
from urllib3.exceptions import NewConnectionError, ReadTimeoutError

from voxpersona.contracts.keys import InvalidKeyError, check_object_key
from voxpersona.storage import (
    OperationStats,
    StorageAccessDeniedError,
    StorageConnectionError,
    StorageDownloadError,
    StorageError,
    StorageNotFoundError,
    StorageUploadError,
)
from voxpersona.storage.health import is_fresh
from voxpersona.storage.startup import BucketState, judge_probe
from voxpersona.storage.transport import ChunkReader, translate_error


def s3_error(code: str, status: int) -> S3Error:
    response = urllib3.HTTPResponse(status=status)
    return S3Error(response, code, "message", "/bucket/key", "req", "host")


@pytest.mark.parametrize(
    ("code", "status", "kind", "transient"),
    [
        ("SlowDown", 503, StorageConnectionError, True),
        ("InternalError", 500, StorageConnectionError, True),
        ("XMinioServerNotInitialized", 503, StorageConnectionError, True),
        ("SomethingNew", 502, StorageConnectionError, True),
        ("NoSuchKey", 404, StorageNotFoundError, False),
        ("NoSuchBucket", 404, StorageNotFoundError, False),
        ("AccessDenied", 403, StorageAccessDeniedError, False),
        ("InvalidAccessKeyId", 403, StorageAccessDeniedError, False),
        ("EntityTooLarge", 400, StorageUploadError, False),
        ("InvalidRequest", 400, StorageUploadError, False),
    ],
)
def test_s3_errors_map_to_typed_errors(
    code: str, status: int, kind: type[StorageError], transient: bool
) -> None:
    error = translate_error(s3_error(code, status), key="audio/1/k", upload=True)
    assert type(error) is kind
    assert error.transient is transient
    assert (error.code, error.key) == (code, "audio/1/k")


def test_unclassified_client_error_on_a_read_is_a_download_error() -> None:
    error = translate_error(s3_error("InvalidRange", 416), key="k", upload=False)
    assert type(error) is StorageDownloadError
    assert not error.transient


@pytest.mark.parametrize(
    "exc",
    [
        NewConnectionError(None, "refused"),  # type: ignore[arg-type]
        ReadTimeoutError(None, "/", "timed out"),  # type: ignore[arg-type]
        ConnectionResetError("reset"),
        ServerError("bad gateway", 502),
        InvalidResponseError(503, "text/html", "<html>down</html>"),
    ],
)
def test_transport_failures_are_transient(exc: Exception) -> None:
    error = translate_error(exc, key=None, upload=False)
    assert isinstance(error, StorageConnectionError)
    assert error.transient


def test_a_non_xml_client_error_is_permanent() -> None:
    error = translate_error(InvalidResponseError(400, "text/html", "bad"), key=None, upload=True)
    assert type(error) is StorageUploadError
    assert error.code == "HTTP400"


@pytest.mark.parametrize(
    "key",
    [
        "",
        "/audio/1/x.ogg",
        "../secret",
        "audio/../x",
        "audio/./x",
        "audio//x",
        "audio/1/x\x00.ogg",
        "audio/1/x\n.ogg",
        "audio/1/x\x7f",
        "a" * 1025,
        "я" * 513,  # 1026 bytes in UTF-8
    ],
)
def test_unsafe_keys_are_rejected(key: str) -> None:
    with pytest.raises(InvalidKeyError):
        check_object_key(key)


@pytest.mark.parametrize(
    "key", ["audio/42/2026/01/02/x.ogg", "audio/42/", "results/1/a b+c.json", "a..b/c"]
)
def test_ordinary_keys_and_prefixes_pass(key: str) -> None:
    assert check_object_key(key) == key


def test_chunk_reader_returns_exact_sizes_across_chunk_boundaries() -> None:
    reader = ChunkReader(maxsize=8)
    for chunk in (b"abc", b"defgh", b"ij"):
        reader.chunks.put(chunk)
    reader.chunks.put(None)
    assert reader.read(4) == b"abcd"
    assert reader.read(5) == b"efghi"
    assert reader.read(5) == b"j"
    assert reader.read(5) == b""


def test_chunk_reader_blocks_the_producer_when_full() -> None:
    reader = ChunkReader(maxsize=2)
    produced: list[int] = []

    def produce() -> None:
        for number in range(5):
            reader.chunks.put(bytes([number]))
            produced.append(number)
        reader.chunks.put(None)

    thread = threading.Thread(target=produce)
    thread.start()
    thread.join(timeout=0.2)
    assert len(produced) <= 3  # two queued, at most one more waiting: memory stays bounded
    assert reader.read(-1) == bytes(range(5))
    thread.join(timeout=5)
    assert produced == [0, 1, 2, 3, 4]


def test_an_aborted_source_fails_the_read_instead_of_ending_it() -> None:
    reader = ChunkReader(maxsize=2)
    reader.chunks.put(b"part")
    reader.chunks.put(b"of it")
    reader.abort()
    with pytest.raises(OSError, match="aborted"):
        reader.read(100)


@pytest.mark.parametrize(
    ("checked_at", "now", "fresh"),
    [
        (None, 0.0, False),
        (10.0, 10.0, True),
        (10.0, 69.9, True),
        (10.0, 70.0, False),
        (10.0, 5.0, False),
    ],
)
def test_health_cache_freshness(checked_at: float | None, now: float, fresh: bool) -> None:
    assert is_fresh(checked_at, now, 60.0) is fresh


def test_probe_judgement() -> None:
    assert judge_probe("b", None, tolerate_denied=False) is BucketState.PRESENT
    denied = StorageAccessDeniedError("no", code="AccessDenied")
    assert judge_probe("b", denied, tolerate_denied=True) is BucketState.UNVERIFIED
    with pytest.raises(StorageAccessDeniedError):
        judge_probe("b", denied, tolerate_denied=False)
    bad_key = StorageAccessDeniedError("no", code="InvalidAccessKeyId")
    with pytest.raises(StorageAccessDeniedError, match="rejected the credentials"):
        judge_probe("b", bad_key, tolerate_denied=True)
    with pytest.raises(StorageNotFoundError, match="'b' does not exist"):
        judge_probe("b", StorageNotFoundError("x", code="NoSuchBucket"), tolerate_denied=True)


def test_operation_stats_count_and_time() -> None:
    stats = OperationStats()
    stats.record("put_object", success=False, duration=0.5)
    stats.record("put_object", success=True, duration=1.5)
    counts = stats.get("put_object")
    assert (counts.calls, counts.successes, counts.failures) == (2, 1, 1)
    assert (counts.total_seconds, counts.max_seconds) == (2.0, 1.5)
    assert stats.get("never").calls == 0
    assert set(stats.snapshot()) == {"put_object"}
