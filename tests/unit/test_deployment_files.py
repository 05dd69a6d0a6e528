"""docker-compose.yml against the Compose Specification schema, and the MinIO policies'
least privilege. No Docker engine needed."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
# The Compose Specification's schema (compose-spec/compose-spec, Apache-2.0; see
# tests/fixtures/README.md), kept in the project: a clone has nothing beside it.
COMPOSE_SCHEMA = ROOT / "tests" / "fixtures" / "compose-spec.json"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def test_compose_matches_the_specification(compose: dict[str, Any]) -> None:
    schema = json.loads(COMPOSE_SCHEMA.read_text())
    # The spec names draft-07 by a URL spelling jsonschema doesn't recognise; say it directly.
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(compose), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]


def test_minio_is_pinned_and_notifies_nats_with_jetstream(compose: dict[str, Any]) -> None:
    minio = compose["services"]["minio"]
    assert re.search(r":RELEASE\.\d{4}-\d{2}-\d{2}T", minio["image"])
    env = minio["environment"]
    assert env["MINIO_NOTIFY_NATS_JETSTREAM_PRIMARY"] == "on"
    assert env["MINIO_API_SYNC_EVENTS"] == "on"
    assert env["MINIO_NOTIFY_NATS_SUBJECT_PRIMARY"] == "voxpersona.minio.events"
    assert "healthcheck" in minio
    # The stream must exist before MinIO takes an upload.
    assert minio["depends_on"]["init-streams"]["condition"] == "service_completed_successfully"


def test_secrets_have_no_defaults() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    for variable in (
        "MINIO_ROOT_PASSWORD",
        "POSTGRES_PASSWORD",
        "TELEGRAM_BOT_TOKEN",
        "BOT_MINIO_SECRET_KEY",
        "REACTOR_MINIO_SECRET_KEY",
    ):
        uses = re.findall(r"\$\{" + variable + r"([^}]*)\}", text)
        assert uses, variable
        assert all(use.startswith(":?") for use in uses), (variable, uses)


def _actions(policy: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for statement in policy["Statement"]:
        actions = statement["Action"]
        found.update([actions] if isinstance(actions, str) else actions)
    return found


def test_bot_policy_can_only_put_audio() -> None:
    """The bot's intake credential: put (and multipart) under the audio prefix, nothing else."""
    policy = json.loads((ROOT / "minio-config" / "policies" / "bot.json").read_text())
    actions = _actions(policy)
    assert "s3:PutObject" in actions
    assert not any(
        a.startswith(("s3:Get", "s3:Delete", "s3:List")) or a == "s3:*"
        for a in actions
        if a != "s3:ListMultipartUploadParts"
    )
    for statement in policy["Statement"]:
        assert all(r.endswith("/audio/*") for r in statement["Resource"])


def test_library_policy_is_scoped_to_users_audio_and_results() -> None:
    """The bot's library credential may read and delete audio, delete result documents and list
    under those prefixes (/delete_all) — never put, nothing elsewhere."""
    policy = json.loads((ROOT / "minio-config" / "policies" / "library.json").read_text())
    actions = _actions(policy)
    assert actions == {"s3:GetObject", "s3:DeleteObject", "s3:ListBucket"}
    for statement in policy["Statement"]:
        for resource in statement["Resource"]:
            if statement["Action"] == ["s3:ListBucket"]:
                prefixes = statement["Condition"]["StringLike"]["s3:prefix"]
                assert set(prefixes) <= {"audio/*", "results/*"}
            elif "s3:GetObject" in statement["Action"]:
                assert resource.endswith("voxpersona-audio/audio/*")  # never the results
            else:
                assert resource.endswith(("/audio/*", "/results/*"))


def test_reactor_policy_reads_audio_and_writes_results_only() -> None:
    policy = json.loads((ROOT / "minio-config" / "policies" / "reactor.json").read_text())
    assert not any(a.startswith("s3:Delete") or a == "s3:*" for a in _actions(policy))
    for statement in policy["Statement"]:
        if "s3:PutObject" in statement["Action"]:
            assert all("voxpersona-storage/results/" in r for r in statement["Resource"])


def test_schema_check_can_fail(compose: dict[str, Any]) -> None:
    if not COMPOSE_SCHEMA.exists():
        pytest.skip(f"{COMPOSE_SCHEMA} not present")
    broken = {**compose, "services": {**compose["services"], "minio": {"imagee": "typo"}}}
    validator = jsonschema.Draft7Validator(json.loads(COMPOSE_SCHEMA.read_text()))
    assert list(validator.iter_errors(broken))


ENV_EXAMPLE = ROOT / ".env.example"
MINIO_CONFIG = ROOT / "minio-config"


def _compose_variables() -> set[str]:
    text = (ROOT / "docker-compose.yml").read_text()
    return set(re.findall(r"\$\{([A-Z0-9_]+)", text))


def test_env_example_documents_every_compose_variable() -> None:
    documented = set(re.findall(r"^([A-Z0-9_]+)=", ENV_EXAMPLE.read_text(), re.MULTILINE))
    missing = _compose_variables() - documented
    assert not missing, f".env.example lacks {sorted(missing)}"


def test_nats_requires_credentials_everywhere(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert "--user=${NATS_USER:?set NATS_USER in .env}" in services["nats"]["command"]
    minio_env = services["minio"]["environment"]
    assert minio_env["MINIO_NOTIFY_NATS_USERNAME_PRIMARY"].startswith("${NATS_USER:?")
    assert minio_env["MINIO_NOTIFY_NATS_PASSWORD_PRIMARY"].startswith("${NATS_PASSWORD:?")
    assert minio_env["MINIO_NOTIFY_NATS_QUEUE_DIR_PRIMARY"] == "/queue"
    assert "minio_queue:/queue" in services["minio"]["volumes"]
    for name in ("bot", "reactor", "init-streams"):
        assert "${NATS_PASSWORD:?" in services[name]["environment"]["NATS_URL"], name


def test_services_start_after_what_they_need(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in ("nats", "postgres", "minio"):
        assert "healthcheck" in services[name], name
    assert "nats_data:/data" in services["nats"]["volumes"]
    assert services["init-minio"]["depends_on"]["minio"]["condition"] == "service_healthy"
    for name in ("bot", "reactor"):
        needs = services[name]["depends_on"]
        assert needs["init-minio"]["condition"] == "service_completed_successfully"
        assert needs["nats"]["condition"] == "service_healthy"
        assert needs["postgres"]["condition"] == "service_healthy"


def test_bot_spool_lives_on_a_volume(compose: dict[str, Any]) -> None:
    bot = compose["services"]["bot"]
    spool = bot["environment"]["VOXPERSONA_SPOOL_DIR"]
    assert f"bot_spool:{spool}" in bot["volumes"]
    assert "bot_spool" in compose["volumes"]
    # The image runs as a non-root user who must own the spool's mount point.
    assert f"install -d -o voxpersona {spool}" in (ROOT / "Dockerfile").read_text()


def test_init_script_closes_anonymous_access_and_uses_the_audio_prefix() -> None:
    script = (MINIO_CONFIG / "init.sh").read_text()
    assert 'mc anonymous set none "vp/$bucket"' in script
    adds = re.findall(r"mc event add .* --event (\w+) --prefix (\S+)", script)
    assert sorted(adds) == [("delete", "audio/"), ("put", "audio/")]
    assert 'ARN="arn:minio:sqs::${NATS_TARGET_ID}:nats"' in script


def test_policies_grant_no_anonymous_principal_and_operator_is_admin() -> None:
    for path in (MINIO_CONFIG / "policies").glob("*.json"):
        policy = json.loads(path.read_text())
        assert all("Principal" not in s for s in policy["Statement"]), path.name
    operator = json.loads((MINIO_CONFIG / "policies" / "operator.json").read_text())
    assert "s3:*" in _actions(operator)
