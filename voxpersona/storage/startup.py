"""Start-up validation: MinIO reachable, credentials accepted, buckets present.

A service built with least-privilege credentials may not be allowed to look at a bucket (the
bot may only put objects). Such a service validates with ``tolerate_denied=True``: a policy
refusal (``AccessDenied``) proves the credentials were accepted, and the bucket's presence is
left unverified; rejected credentials (``InvalidAccessKeyId``, ``SignatureDoesNotMatch``)
still stop start-up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from voxpersona.storage.errors import (
    StorageAccessDeniedError,
    StorageConnectionError,
    StorageError,
    StorageNotFoundError,
)
from voxpersona.storage.health import HealthStatus
from voxpersona.storage.transport import BAD_CREDENTIAL_CODES

if TYPE_CHECKING:
    from voxpersona.storage.minio_store import MinioObjectStore


class BucketState(StrEnum):
    PRESENT = "present"
    UNVERIFIED = "unverified: the policy forbids looking at the bucket"
    UNREACHABLE = "unverified: MinIO unreachable"


@dataclass(frozen=True, slots=True)
class StartupReport:
    """What validation found; ``usable`` is False only when tolerated as unreachable."""

    health: HealthStatus
    buckets: dict[str, BucketState] = field(default_factory=dict)

    @property
    def usable(self) -> bool:
        return self.health.live and BucketState.UNREACHABLE not in self.buckets.values()


def judge_probe(bucket: str, error: StorageError | None, *, tolerate_denied: bool) -> BucketState:
    """Turn one bucket probe's outcome into a state, or raise the start-up failure."""
    if error is None:
        return BucketState.PRESENT
    if isinstance(error, StorageNotFoundError):
        raise StorageNotFoundError(f"bucket {bucket!r} does not exist", code="NoSuchBucket")
    if isinstance(error, StorageAccessDeniedError):
        if error.code in BAD_CREDENTIAL_CODES:
            raise StorageAccessDeniedError(
                f"MinIO rejected the credentials ({error.code})", code=error.code
            )
        if tolerate_denied:
            return BucketState.UNVERIFIED
    raise error


async def validate_startup(
    store: MinioObjectStore,
    *,
    tolerate_denied: bool = False,
    require_reachable: bool = True,
) -> StartupReport:
    """Check health, then probe each bucket with one signed request.

    ``require_reachable=False`` (the bot, which spools while MinIO is away) reports an
    unreachable MinIO instead of raising; bad credentials and missing buckets always raise.
    """
    health = await store.health.status(fresh=True)
    buckets = (store.audio_bucket, store.results_bucket)
    if not health.live:
        if require_reachable:
            raise StorageConnectionError(
                f"MinIO at {store.settings.endpoint} not reachable: {health.detail}",
                code="Connection",
            )
        return StartupReport(health, {b: BucketState.UNREACHABLE for b in buckets})
    states: dict[str, BucketState] = {}
    for bucket in buckets:
        try:
            await store.probe_bucket(bucket)
        except StorageConnectionError:
            if require_reachable:
                raise
            states[bucket] = BucketState.UNREACHABLE
        except StorageError as exc:
            states[bucket] = judge_probe(bucket, exc, tolerate_denied=tolerate_denied)
        else:
            states[bucket] = BucketState.PRESENT
    return StartupReport(health, states)
