"""docker compose passes optional variables as empty strings (``${OPENAI_API_KEY:-}``): for the
services an empty value must mean "not set", so the compose defaults select what they say."""

from __future__ import annotations

import pytest

from reactor.app import chosen_engine
from voxpersona.settings import load_reactor_settings

COMPOSE_REACTOR_ENV = {
    "MINIO_ENDPOINT": "minio:9000",
    "MINIO_ACCESS_KEY": "vp-reactor",
    "MINIO_SECRET_KEY": "reactor-secret-123",
    "MINIO_CERT_PATH": "",
    "MINIO_PUBLIC_URL": "",
    "NATS_URL": "nats://u:p@nats:4222",
    "DATABASE_URL": "postgresql://voxpersona:pw@postgres:5432/voxpersona",
    "OPENAI_API_KEY": "",
    "OPENAI_BASE_URL": "",
    "VOXPERSONA_TRANSCRIBER": "auto",
}


def test_no_openai_key_in_compose_means_local_transcription(
    monkeypatch: pytest.MonkeyPatch, tmp_path: pytest.TempPathFactory
) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name, value in COMPOSE_REACTOR_ENV.items():
        monkeypatch.setenv(name, value)
    settings = load_reactor_settings()
    assert settings.openai.api_key is None
    assert settings.openai.base_url is None
    assert settings.minio.public_url is None
    assert settings.minio.cert_path is None
    assert chosen_engine(settings) == "local"
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    assert chosen_engine(load_reactor_settings()) == "openai"
