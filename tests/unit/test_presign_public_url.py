"""Download links are signed for the host users reach (MINIO_PUBLIC_URL), never minio:9000.

Presigning is local computation (the region is set), so no server is involved."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from pydantic import SecretStr, ValidationError

from voxpersona.settings import MinioSettings
from voxpersona.storage import MinioObjectStore

KEY = "audio/5/2026/11/24/5b0f6a1e-0000-4000-8000-000000000001.ogg"


def settings(**values: object) -> MinioSettings:
    return MinioSettings(
        endpoint="minio:9000",
        access_key=SecretStr("vp-library"),
        secret_key=SecretStr("library-secret"),
        use_ssl=False,
        **values,  # type: ignore[arg-type]
    )


async def test_links_name_the_public_host_and_scheme() -> None:
    store = MinioObjectStore(settings(public_url="https://files.example.com/"))
    url = urlsplit(await store.presigned_get("voxpersona-audio", KEY, ttl=timedelta(minutes=15)))
    assert (url.scheme, url.netloc) == ("https", "files.example.com")
    assert url.path == f"/voxpersona-audio/{KEY}"
    assert "X-Amz-Signature=" in url.query
    assert store.client._base_url.host == "minio:9000"  # everything else still goes to MinIO


async def test_without_a_public_url_links_name_the_endpoint() -> None:
    url = urlsplit(await MinioObjectStore(settings()).presigned_get("voxpersona-audio", KEY))
    assert (url.scheme, url.netloc) == ("http", "minio:9000")


@pytest.mark.parametrize("bad", ["files.example.com", "ftp://files", "https://files/x"])
def test_public_url_must_be_scheme_and_host(bad: str) -> None:
    with pytest.raises(ValidationError, match="without a path"):
        settings(public_url=bad)


def test_empty_public_url_means_unset() -> None:
    assert settings(public_url="").public_url is None
