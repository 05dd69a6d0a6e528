"""Production configuration kept in one piece: the names compose, minio-config/init.sh, the SDK
path and the MinIO double use must be the same, and .env.example must be exactly what compose
reads. No Docker engine needed."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from voxpersona.localstack.minio_notify_rules import DEFAULT_NATS_TARGET_ID
from voxpersona.storage.bucket_config import (
    NATS_TARGET_ARN,
    NATS_TARGET_ID,
    desired_lifecycle,
    lifecycle_from_json,
)

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
GPU_COMPOSE = ROOT / "docker-compose.gpu.yml"
INIT = ROOT / "minio-config" / "init.sh"
SCHEMA = ROOT / "tests" / "fixtures" / "compose-spec.json"
_VARIABLE = re.compile(r"\$\{([A-Z][A-Z0-9_]*)")


def _load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(path.read_text())
    return loaded


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return _load(COMPOSE)


def _shell_value(script: str, name: str) -> str:
    match = re.search(rf"^{name}=(\S+)$", script, flags=re.MULTILINE)
    assert match, name
    return match.group(1)


def test_env_example_is_exactly_what_compose_reads() -> None:
    names = re.findall(r"^([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.M)
    assert len(names) == len(set(names)), sorted({n for n in names if names.count(n) > 1})
    read = set(_VARIABLE.findall(COMPOSE.read_text())) | set(
        _VARIABLE.findall(GPU_COMPOSE.read_text())
    )
    assert set(names) == read, {"missing": read - set(names), "unused": set(names) - read}


def test_nats_target_arn_is_one_id_everywhere(compose: dict[str, Any]) -> None:
    minio_env = compose["services"]["minio"]["environment"]
    ids = {
        key.removeprefix("MINIO_NOTIFY_NATS_ENABLE_")
        for key in minio_env
        if key.startswith("MINIO_NOTIFY_NATS_ENABLE_")
    }
    assert ids == {NATS_TARGET_ID}  # MinIO keeps the case: PRIMARY, not primary
    script = INIT.read_text()
    assert _shell_value(script, "NATS_TARGET_ID") == NATS_TARGET_ID
    assert f"arn:minio:sqs::{NATS_TARGET_ID}:nats" == NATS_TARGET_ARN
    assert DEFAULT_NATS_TARGET_ID == NATS_TARGET_ID  # the double plays the same target
    # No other spelling of the ARN anywhere in the configuration or the docs.
    for path in (COMPOSE, INIT, ROOT / "docs" / "troubleshooting.md"):
        assert "sqs::primary" not in path.read_text(), path.name
    assert f"to `{NATS_TARGET_ARN}`" in (ROOT / "README.md").read_text()


def test_lifecycle_rules_are_the_same_and_supported_by_minio(compose: dict[str, Any]) -> None:
    document = json.loads((ROOT / "minio-config" / "lifecycle.json").read_text())
    assert lifecycle_from_json(document) == desired_lifecycle(30)
    assert "AbortIncompleteMultipartUpload" not in json.dumps(document)
    assert all(rule.expire_days for rule in desired_lifecycle(30))
    # init.sh substitutes MINIO_CLEANUP_DAYS for exactly this text.
    assert '"Days": 30' in (ROOT / "minio-config" / "lifecycle.json").read_text()
    assert "'\"Days\": 30'" in INIT.read_text()
    # MinIO's own stale-upload cleanup replaces the rule MinIO does not support.
    assert compose["services"]["minio"]["environment"]["MINIO_API_STALE_UPLOADS_EXPIRY"]


def test_policy_and_user_names_match(compose: dict[str, Any]) -> None:
    script = INIT.read_text()
    loop = re.search(r"for name in ([a-z ]+); do", script)
    assert loop
    names = set(loop.group(1).split())
    policies = {path.stem for path in (ROOT / "minio-config" / "policies").glob("*.json")}
    assert names == policies == {"bot", "library", "reactor", "operator"}
    attached = set(re.findall(r"\bvoxpersona-([a-z]+)$", script, flags=re.MULTILINE))
    assert attached == policies
    init_env = compose["services"]["init-minio"]["environment"]
    for variable in re.findall(r"\$\{([A-Z_]+_MINIO_(?:ACCESS|SECRET)_KEY)", script):
        assert variable in init_env, variable
    services = compose["services"]
    assert "BOT_MINIO_ACCESS_KEY" in services["bot"]["environment"]["MINIO_ACCESS_KEY"]
    assert "REACTOR_MINIO_ACCESS_KEY" in services["reactor"]["environment"]["MINIO_ACCESS_KEY"]


def test_minio_healthcheck_follows_tls(compose: dict[str, Any]) -> None:
    minio = compose["services"]["minio"]
    command = " ".join(minio["healthcheck"]["test"])
    assert "https://localhost:9000" in command
    assert "http://localhost:9000" in command
    assert "$$VOXPERSONA_MINIO_TLS" in command
    assert minio["environment"]["VOXPERSONA_MINIO_TLS"] == "${MINIO_USE_SSL:-false}"


def test_production_transcribes_locally_without_openai(compose: dict[str, Any]) -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "ARG EXTRAS=local" in dockerfile
    assert '".[${EXTRAS}]"' in dockerfile
    reactor = compose["services"]["reactor"]
    env = reactor["environment"]
    assert env["OPENAI_API_KEY"] == "${OPENAI_API_KEY:-}"  # optional
    assert env["VOXPERSONA_TRANSCRIBER"] == "${VOXPERSONA_TRANSCRIBER:-auto}"
    cache = env["VOXPERSONA_WHISPER_DOWNLOAD_ROOT"]
    assert f"whisper_models:{cache}" in reactor["volumes"]
    assert "whisper_models" in compose["volumes"]
    assert f"install -d -o voxpersona /var/lib/voxpersona/spool {cache}" in dockerfile


def test_gpu_variant_reserves_an_nvidia_device() -> None:
    gpu = _load(GPU_COMPOSE)["services"]["reactor"]
    assert gpu["environment"]["VOXPERSONA_WHISPER_DEVICE"] == "cuda"
    assert gpu["build"]["args"]["EXTRAS"] == "local,gpu"
    (device,) = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert device["driver"] == "nvidia"
    assert device["capabilities"] == ["gpu"]


@pytest.mark.parametrize("path", [COMPOSE, GPU_COMPOSE], ids=lambda p: p.name)
def test_compose_files_match_the_specification(path: Path) -> None:
    validator = jsonschema.Draft7Validator(json.loads(SCHEMA.read_text()))
    errors = sorted(validator.iter_errors(_load(path)), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]


def test_public_url_is_used_for_links_only(compose: dict[str, Any]) -> None:
    app = compose["x-app-env"]
    assert app["MINIO_PUBLIC_URL"] == "${MINIO_PUBLIC_URL:-}"
    assert app["MINIO_ENDPOINT"] == "minio:9000"  # the services still talk to MinIO directly
