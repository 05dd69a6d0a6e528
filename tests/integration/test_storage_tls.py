"""TLS: certificates are verified, against the system CAs or ``MINIO_CERT_PATH``.

A local HTTPS server with a certificate from a throwaway CA (trustme) stands in for MinIO's
health endpoints; the storage layer's HTTP client is the one every MinIO call uses."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
import trustme
from aiohttp import web
from pydantic import SecretStr

from voxpersona.localstack.ports import free_port
from voxpersona.settings import MinioSettings
from voxpersona.storage import StorageHealth


async def healthy(request: web.Request) -> web.Response:
    return web.Response()


@pytest_asyncio.fixture(loop_scope="session")
async def tls_server(tmp_path: Path) -> AsyncIterator[tuple[str, Path]]:
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    app = web.Application()
    app.router.add_get("/minio/health/live", healthy)
    app.router.add_get("/minio/health/ready", healthy)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port, ssl_context=context).start()
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    yield f"127.0.0.1:{port}", bundle
    await runner.cleanup()


def settings(endpoint: str, **extra: object) -> MinioSettings:
    return MinioSettings(
        endpoint=endpoint,
        access_key=SecretStr("k"),
        secret_key=SecretStr("s"),
        **extra,  # type: ignore[arg-type]
    )


async def test_tls_is_the_default_and_an_unknown_ca_is_refused(
    tls_server: tuple[str, Path],
) -> None:
    endpoint, _ = tls_server
    status = await StorageHealth(settings(endpoint)).status()  # MINIO_USE_SSL defaults to true
    assert not status.live
    assert status.detail is not None
    assert "CERTIFICATE_VERIFY_FAILED" in status.detail


async def test_ca_bundle_from_cert_path_is_trusted(tls_server: tuple[str, Path]) -> None:
    endpoint, bundle = tls_server
    status = await StorageHealth(settings(endpoint, use_ssl=True, cert_path=bundle)).status()
    assert status.live
    assert status.ready
