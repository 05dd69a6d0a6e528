"""``voxpersona storage init|check`` against a real S3 server: idempotent init, drift reported
and repaired, foreign rules left alone. Fresh bucket names per test."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import pytest
from minio.notificationconfig import NotificationConfig, PrefixFilterRule, QueueConfig

from tests.cli import minio_env, run_voxpersona
from tests.stacks import Stack
from voxpersona.cli.storage import run_health
from voxpersona.localstack.ports import free_port
from voxpersona.storage import MinioObjectStore
from voxpersona.storage.bucket_config import NATS_TARGET_ARN
from voxpersona.storage.drift import DriftKind
from voxpersona.storage.provisioning import check, provision

ANONYMOUS_READ = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": ["*"]},
            "Action": ["s3:GetObject"],
            "Resource": ["arn:aws:s3:::BUCKET/*"],
        }
    ],
}


def fresh_store(stack: Stack, **overrides: object) -> MinioObjectStore:
    suffix = uuid.uuid4().hex[:10]
    settings = stack.minio_settings(
        audio_bucket_name=f"vp-init-a-{suffix}", bucket_name=f"vp-init-r-{suffix}", **overrides
    )
    return MinioObjectStore(settings)


async def test_init_is_idempotent_and_check_agrees(stack: Stack) -> None:
    store = fresh_store(stack, cleanup_days=14)
    audio, results = store.audio_bucket, store.results_bucket

    before = await check(store)
    assert {(d.kind, d.bucket) for d in before} >= {
        (DriftKind.MISSING_BUCKET, audio),
        (DriftKind.MISSING_BUCKET, results),
        (DriftKind.LIFECYCLE_RULE, audio),
        (DriftKind.NOTIFICATION_RULE, audio),
    }
    first = await provision(store)
    second = await provision(store)

    assert first == [
        f"created bucket {audio}",
        f"created bucket {results}",
        f"set lifecycle rules on {audio}",
        f"set notification rules on {audio}",
    ]
    assert second == []
    assert await check(store) == []
    lifecycle = await asyncio.to_thread(store.client.get_bucket_lifecycle, audio)
    assert lifecycle is not None
    expiry = {r.rule_id: r.expiration.days for r in lifecycle.rules if r.expiration}
    assert expiry == {"expire-audio": 14}


async def test_drift_is_reported_then_repaired_keeping_foreign_rules(stack: Stack) -> None:
    store = fresh_store(stack)
    await provision(store)
    audio, results = store.audio_bucket, store.results_bucket
    client = store.client
    policy = json.dumps(ANONYMOUS_READ).replace("BUCKET", results)
    await asyncio.to_thread(client.set_bucket_policy, results, policy)
    await asyncio.to_thread(client.delete_bucket_lifecycle, audio)
    foreign = QueueConfig(
        queue=NATS_TARGET_ARN,
        events=["s3:ObjectCreated:*"],
        config_id="someone-elses",
        prefix_filter_rule=PrefixFilterRule("exports/"),
    )
    await asyncio.to_thread(
        client.set_bucket_notification, audio, NotificationConfig(queue_config_list=[foreign])
    )

    drift = await check(store)
    assert sorted({(d.kind, d.bucket) for d in drift}) == sorted(
        {
            (DriftKind.ANONYMOUS_ACCESS, results),
            (DriftKind.LIFECYCLE_RULE, audio),
            (DriftKind.NOTIFICATION_RULE, audio),
        }
    )
    assert len(drift) == 4  # one lifecycle rule, two notification rules, one policy

    changes = await provision(store)

    assert changes == [
        f"removed anonymous access from {results}",
        f"set lifecycle rules on {audio}",
        f"set notification rules on {audio}",
    ]
    assert await check(store) == []
    rules = await asyncio.to_thread(client.get_bucket_notification, audio)
    prefixes = sorted(q.prefix_filter_rule.value for q in rules.queue_config_list)
    assert prefixes == ["audio/", "audio/", "exports/"]


async def run_cli(tmp_path: Path, store: MinioObjectStore, *args: str) -> tuple[int, str]:
    env = {**minio_env(store.settings), "MINIO_MAX_RETRIES": "0"}
    return await run_voxpersona(*args, env=env, drop=("MINIO_",), cwd=tmp_path)


async def test_cli_check_init_check(stack: Stack, tmp_path: Path) -> None:
    # Each run costs a Python start-up; idempotence is covered in-process above.
    store = fresh_store(stack)

    code, output = await run_cli(tmp_path, store, "storage", "check")
    assert code == 1, output
    assert f"drift: {store.audio_bucket}: missing bucket" in output

    code, output = await run_cli(tmp_path, store, "storage", "init")
    assert code == 0, output
    assert f"changed: created bucket {store.audio_bucket}" in output
    assert "4 change(s)" in output

    code, output = await run_cli(tmp_path, store, "storage", "check")
    assert code == 0, output
    assert "in step" in output


async def test_cli_reports_an_unreachable_minio(tmp_path: Path, stack: Stack) -> None:
    store = fresh_store(stack, endpoint=f"127.0.0.1:{free_port()}")
    code, output = await run_cli(tmp_path, store, "storage", "check")
    assert code == 2, output
    assert output.startswith("error: MinIO at 127.0.0.1:")


async def test_health_command_reports_ready(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run_health(stack.minio_settings()) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["ready"] is True
    assert await run_health(stack.minio_settings(endpoint=f"127.0.0.1:{free_port()}")) == 2
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["live"] is False
