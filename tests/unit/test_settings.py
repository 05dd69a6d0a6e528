from __future__ import annotations

import pytest

from voxpersona.settings import ConfigError, load_bot_settings, load_reactor_settings

FULL_ENV = {
    "TELEGRAM_BOT_TOKEN": "123:secret-token-value",
    "MINIO_ENDPOINT": "minio:9000",
    "MINIO_ACCESS_KEY": "access",
    "MINIO_SECRET_KEY": "minio-secret-value",
    "NATS_URL": "nats://nats:4222",
    "DATABASE_URL": "postgresql://u:db-password-value@db/voxpersona",
    "OPENAI_API_KEY": "sk-openai-secret-value",
}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: pytest.TempPathFactory) -> pytest.MonkeyPatch:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name, value in FULL_ENV.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_complete_environment_loads_with_defaults(env: pytest.MonkeyPatch) -> None:
    bot = load_bot_settings()
    reactor = load_reactor_settings()
    assert bot.minio.audio_bucket_name == "voxpersona-audio"
    assert bot.minio.bucket_name == "voxpersona-storage"
    assert bot.minio.max_file_size == 2 * 1024**3
    assert bot.telegram.api_url == "https://api.telegram.org"
    assert reactor.openai.base_url is None


@pytest.mark.parametrize("variable", ["TELEGRAM_BOT_TOKEN", "MINIO_ENDPOINT", "DATABASE_URL"])
def test_missing_variable_is_named_in_one_line(env: pytest.MonkeyPatch, variable: str) -> None:
    env.delenv(variable)
    with pytest.raises(ConfigError) as caught:
        load_bot_settings()
    message = str(caught.value)
    assert variable in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MINIO_ENDPOINT", "http://minio:9000"),
        ("MINIO_MAX_FILE_SIZE", "lots"),
        ("NATS_URL", "http://nats"),
        ("DATABASE_URL", "mysql://u:db-password-value@db/x"),
        ("TELEGRAM_API_URL", "api.telegram.org"),
    ],
)
def test_malformed_variable_is_named_without_its_value(
    env: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    env.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        load_bot_settings()
    message = str(caught.value)
    assert variable in message
    assert "db-password-value" not in message
    assert value not in message


def test_secrets_do_not_leak_through_repr(env: pytest.MonkeyPatch) -> None:
    text = repr(load_reactor_settings())
    for secret in (
        "secret-token-value",
        "minio-secret-value",
        "db-password-value",
        "sk-openai-secret-value",
    ):
        assert secret not in text


def test_library_credentials_are_separate_when_set(env: pytest.MonkeyPatch) -> None:
    from voxpersona.settings import library_minio_settings

    assert library_minio_settings(load_bot_settings().minio).access_key.get_secret_value() == (
        "access"
    )
    env.setenv("MINIO_LIBRARY_ACCESS_KEY", "library-user")
    env.setenv("MINIO_LIBRARY_SECRET_KEY", "library-secret-value")
    minio = load_bot_settings().minio
    library = library_minio_settings(minio)
    assert library.access_key.get_secret_value() == "library-user"
    assert library.secret_key.get_secret_value() == "library-secret-value"
    assert minio.access_key.get_secret_value() == "access"  # intake keeps the put-only user
    assert library.endpoint == minio.endpoint
