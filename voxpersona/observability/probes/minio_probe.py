"""MinIO: live and ready endpoints, buckets, lifecycle and notification rules, free capacity.

The health endpoints need no credentials; bucket checks use the configured ones through the
SDK with short timeouts and no retries. Capacity comes from MinIO's cluster metrics when the
server exposes them to us (``MINIO_PROMETHEUS_AUTH_TYPE=public``); otherwise it is "not reported".
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from typing import TypeVar

import aiohttp
import certifi
from minio import Minio

from voxpersona.observability.health import (
    Check,
    DependencyHealth,
    Status,
    degraded,
    down,
    judge_capacity,
    ok,
)
from voxpersona.observability.probes.minio_rules import (
    capacity_from_metrics,
    judge_lifecycle,
    judge_notifications,
)
from voxpersona.settings import MinioSettings
from voxpersona.storage.errors import StorageAccessDeniedError, StorageError
from voxpersona.storage.transport import build_http_client, translate_error

T = TypeVar("T")


def ssl_context(settings: MinioSettings) -> ssl.SSLContext | bool:
    """Verification on, with ``MINIO_CERT_PATH`` (file or directory) or the bundled CAs."""
    if not settings.use_ssl:
        return False
    path = settings.cert_path
    if path is None:
        return ssl.create_default_context(cafile=certifi.where())
    if path.is_dir():
        return ssl.create_default_context(capath=str(path))
    return ssl.create_default_context(cafile=str(path))


def base_url(settings: MinioSettings) -> str:
    return f"{'https' if settings.use_ssl else 'http'}://{settings.endpoint}"


def describe_transport_error(exc: BaseException) -> str:
    """One line an operator can act on; certificate problems named as such."""
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return f"TLS certificate rejected: {exc.certificate_error}"
    if isinstance(exc, aiohttp.ClientSSLError):
        return f"TLS handshake failed: {exc}"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"cannot connect: {exc.os_error.strerror or exc.os_error}"
    if isinstance(exc, TimeoutError):
        return "timed out"
    return f"{type(exc).__name__}: {exc}"


async def _get(
    session: aiohttp.ClientSession, url: str, verify: ssl.SSLContext | bool
) -> tuple[int, str]:
    async with session.get(url, ssl=verify) as response:
        body = await response.text() if response.status == 200 else ""
        return response.status, body


def probe_client(settings: MinioSettings, timeout: float) -> Minio:
    """The SDK client with the service's TLS settings but short timeouts."""
    http = build_http_client(settings, connect_timeout=timeout, read_timeout=timeout)
    return Minio(
        settings.endpoint,
        access_key=settings.access_key.get_secret_value(),
        secret_key=settings.secret_key.get_secret_value(),
        secure=settings.use_ssl,
        region=settings.region,
        http_client=http,
    )


async def _sdk(func: Callable[[], T], timeout: float) -> T:
    try:
        return await asyncio.wait_for(asyncio.to_thread(func), timeout + 1)
    except StorageError:
        raise
    except Exception as exc:
        raise translate_error(exc, key=None, upload=False) from exc


async def check_endpoints(
    settings: MinioSettings, timeout: float
) -> tuple[Check, Check | None, Check | None]:
    """``live``, then ``ready`` and ``capacity`` when MinIO is alive at all."""
    verify = ssl_context(settings)
    url = base_url(settings)
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    async with aiohttp.ClientSession(timeout=client_timeout) as session:
        try:
            status, _ = await _get(session, f"{url}/minio/health/live", verify)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return down("live", f"{settings.endpoint}: {describe_transport_error(exc)}"), None, None
        if status != 200:
            return down("live", f"{settings.endpoint} answered HTTP {status}"), None, None
        live = ok("live", f"{settings.endpoint} is alive")
        try:
            status, _ = await _get(session, f"{url}/minio/health/ready", verify)
            ready = (
                ok("ready", "ready to serve requests")
                if status == 200
                else down("ready", f"not ready (HTTP {status}): no quorum or still starting")
            )
            status, text = await _get(session, f"{url}/minio/v2/metrics/cluster", verify)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return live, down("ready", describe_transport_error(exc)), None
        free, total = capacity_from_metrics(text) if status == 200 else (None, None)
        return live, ready, judge_capacity(free, total)


async def check_buckets(settings: MinioSettings, client: Minio, timeout: float) -> list[Check]:
    checks = []
    for bucket in (settings.audio_bucket_name, settings.bucket_name):
        try:
            exists = await _sdk(lambda b=bucket: client.bucket_exists(b), timeout)  # type: ignore[misc]
        except StorageAccessDeniedError as exc:
            checks.append(down(f"bucket {bucket}", f"credentials rejected: {exc}"))
            continue
        except StorageError as exc:
            checks.append(down(f"bucket {bucket}", str(exc)))
            continue
        if exists:
            checks.append(ok(f"bucket {bucket}", "exists"))
        else:
            checks.append(down(f"bucket {bucket}", "does not exist: run the MinIO init"))
    return checks


async def check_rules(settings: MinioSettings, client: Minio, timeout: float) -> list[Check]:
    bucket = settings.audio_bucket_name
    checks = []
    try:
        lifecycle = await _sdk(lambda: client.get_bucket_lifecycle(bucket), timeout)
        checks.append(judge_lifecycle(lifecycle))
    except StorageError as exc:
        checks.append(degraded("lifecycle", f"cannot read the lifecycle rules: {exc}"))
    try:
        notifications = await _sdk(lambda: client.get_bucket_notification(bucket), timeout)
        checks.append(judge_notifications(notifications))
    except StorageError as exc:
        checks.append(degraded("notifications", f"cannot read the notification rules: {exc}"))
    return checks


async def probe_minio(settings: MinioSettings, *, timeout: float = 5.0) -> DependencyHealth:
    """Every MinIO check; once MinIO is found dead the rest are skipped."""
    live, ready, capacity = await check_endpoints(settings, timeout)
    if ready is None:
        return DependencyHealth("minio", (live,))
    client = probe_client(settings, timeout)
    buckets = await check_buckets(settings, client, timeout)
    usable = all(c.status is Status.OK for c in buckets)
    rules = await check_rules(settings, client, timeout) if usable else []
    extra = [capacity] if capacity is not None else []
    return DependencyHealth("minio", (live, ready, *buckets, *rules, *extra))
