"""Health aggregation, judges and the report renderings: pure functions."""

from __future__ import annotations

import json

import pytest
from minio.commonconfig import DISABLED, ENABLED, Filter
from minio.lifecycleconfig import Expiration, LifecycleConfig, Rule
from minio.notificationconfig import NotificationConfig, PrefixFilterRule, QueueConfig

from voxpersona.logging import SecretRedactor
from voxpersona.observability.health import (
    DependencyHealth,
    HealthReport,
    QueueLimits,
    Status,
    degraded,
    down,
    exit_code,
    human_bytes,
    judge_capacity,
    judge_migrations,
    judge_queue,
    ok,
    worst,
)
from voxpersona.observability.probes.minio_rules import (
    capacity_from_metrics,
    judge_lifecycle,
    judge_notifications,
)
from voxpersona.observability.report import render_json, render_table

ARN = "arn:minio:sqs::PRIMARY:nats"


def test_worst_status_wins_and_maps_to_exit_codes() -> None:
    assert worst([]) is Status.OK
    assert worst([Status.OK, Status.DEGRADED]) is Status.DEGRADED
    assert worst([Status.DEGRADED, Status.DOWN, Status.OK]) is Status.DOWN
    assert [exit_code(s) for s in Status] == [0, 1, 2]


def test_report_is_as_healthy_as_its_worst_dependency() -> None:
    healthy = DependencyHealth("nats", (ok("connect", "fine"),))
    shaky = DependencyHealth("minio", (ok("live", "yes"), degraded("lifecycle", "none")))
    assert HealthReport((healthy,)).status is Status.OK
    assert HealthReport((healthy, shaky)).status is Status.DEGRADED
    dead = DependencyHealth("postgres", (down("connect", "refused"),))
    report = HealthReport((healthy, shaky, dead))
    assert report.status is Status.DOWN
    assert report.as_dict()["exit_code"] == 2


def test_queue_backlog_degrades_only_past_its_limits() -> None:
    limits = QueueLimits(pending=10, ack_pending=5, redelivered=2)
    calm = judge_queue(
        "consumer r", pending=10, ack_pending=5, redelivered=2, waiting=1, limits=limits
    )
    assert calm.status is Status.OK
    assert calm.facts == {"pending": 10, "ack_pending": 5, "redelivered": 2, "waiting": 1}
    busy = judge_queue(
        "consumer r", pending=11, ack_pending=0, redelivered=3, waiting=0, limits=limits
    )
    assert busy.status is Status.DEGRADED
    assert "11 events waiting" in busy.detail
    assert "3 redelivered" in busy.detail


@pytest.mark.parametrize(
    ("free", "total", "status"),
    [
        (None, None, Status.OK),
        (50, 100, Status.OK),
        (5, 100, Status.DEGRADED),
        (1, 100, Status.DOWN),
    ],
)
def test_capacity_thresholds(free: float | None, total: float | None, status: Status) -> None:
    assert judge_capacity(free, total).status is status


def test_migration_level() -> None:
    assert judge_migrations(0, 2).status is Status.DOWN
    assert judge_migrations(1, 2).status is Status.DEGRADED
    assert judge_migrations(2, 2).status is Status.OK
    assert judge_migrations(3, 2).status is Status.DEGRADED
    assert "1 migration(s) pending" in judge_migrations(1, 2).detail


def test_human_bytes() -> None:
    assert human_bytes(512) == "512 B"
    assert human_bytes(1536) == "1.5 KiB"
    assert human_bytes(3 * 1024**3) == "3.0 GiB"


def _lifecycle(*rules: Rule) -> LifecycleConfig:
    return LifecycleConfig(list(rules))


def test_lifecycle_needs_an_enabled_expiry_over_audio() -> None:
    expire = Rule(
        ENABLED, rule_filter=Filter(prefix="audio/"), rule_id="x", expiration=Expiration(days=30)
    )
    assert judge_lifecycle(_lifecycle(expire)).status is Status.OK
    assert judge_lifecycle(_lifecycle(expire)).facts["expire_days"] == 30
    assert judge_lifecycle(None).status is Status.DEGRADED
    off = Rule(
        DISABLED, rule_filter=Filter(prefix="audio/"), rule_id="x", expiration=Expiration(days=30)
    )
    assert judge_lifecycle(_lifecycle(off)).status is Status.DEGRADED
    other = Rule(
        ENABLED, rule_filter=Filter(prefix="results/"), rule_id="x", expiration=Expiration(days=3)
    )
    assert judge_lifecycle(_lifecycle(other)).status is Status.DEGRADED


def _queue(events: list[str], prefix: str = "audio/", arn: str = ARN) -> QueueConfig:
    return QueueConfig(
        queue=arn, events=events, config_id="c", prefix_filter_rule=PrefixFilterRule(prefix)
    )


def test_notifications_need_created_events_to_nats() -> None:
    both = NotificationConfig(
        queue_config_list=[_queue(["s3:ObjectCreated:*"]), _queue(["s3:ObjectRemoved:*"])]
    )
    assert judge_notifications(both).status is Status.OK
    put_only = NotificationConfig(queue_config_list=[_queue(["s3:ObjectCreated:*"])])
    assert judge_notifications(put_only).status is Status.DEGRADED
    assert judge_notifications(NotificationConfig()).status is Status.DOWN
    elsewhere = NotificationConfig(
        queue_config_list=[_queue(["s3:ObjectCreated:*"], arn="arn:minio:sqs::primary:webhook")]
    )
    assert judge_notifications(elsewhere).status is Status.DOWN


def test_capacity_is_read_from_minio_cluster_metrics() -> None:
    text = (
        "# HELP minio_cluster_capacity_usable_free_bytes Total free usable capacity\n"
        "# TYPE minio_cluster_capacity_usable_free_bytes gauge\n"
        'minio_cluster_capacity_usable_free_bytes{server="127.0.0.1:9000"} 2.5e+10\n'
        "# TYPE minio_cluster_capacity_usable_total_bytes gauge\n"
        'minio_cluster_capacity_usable_total_bytes{server="127.0.0.1:9000"} 1e+11\n'
    )
    assert capacity_from_metrics(text) == (2.5e10, 1e11)
    assert capacity_from_metrics("<Error><Code>AccessDenied</Code></Error>") == (None, None)
    assert capacity_from_metrics("") == (None, None)


def test_table_and_json_redact_secrets() -> None:
    report = HealthReport(
        (
            DependencyHealth(
                "nats", (down("connect", "nats://user:hunter22@10.0.0.1:4222 unreachable"),)
            ),
            DependencyHealth("transcriber", (ok("credentials", "accepted key sk-abcdef123"),)),
        )
    )
    redactor = SecretRedactor(["sk-abcdef123"])
    table = render_table(report, redactor)
    assert "hunter22" not in table
    assert "sk-abcdef123" not in table
    assert table.splitlines()[-1] == "overall: down"
    assert "nats" in table.splitlines()[2]
    document = json.loads(render_json(report, redactor))
    assert document["status"] == "down"
    assert "hunter22" not in json.dumps(document)
