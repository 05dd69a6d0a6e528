"""The MinIO double refuses what MinIO refuses (pure rules; the live stand-in is tested in
tests/integration/test_minio_standin_refusals.py)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from voxpersona.contracts.metadata_budget import metadata_size
from voxpersona.localstack import minio_events as events
from voxpersona.localstack.minio_lifecycle import (
    ERR_XML_NOT_WELL_FORMED,
    LifecycleConfigError,
    normalise_lifecycle,
)
from voxpersona.localstack.minio_notify_rules import (
    NotificationConfigError,
    QueueRule,
    nats_target,
    parse_notification_config,
    render_notification_config,
)
from voxpersona.localstack.stack import EVENT_DELAY_VARIABLE, event_delay_from_env

S3 = "http://s3.amazonaws.com/doc/2006-03-01/"


def _lifecycle(*rules: str) -> bytes:
    return (
        f'<LifecycleConfiguration xmlns="{S3}">{"".join(rules)}</LifecycleConfiguration>'.encode()
    )


EXPIRE = (
    "<Rule><ID>expire-audio</ID><Status>Enabled</Status><Filter><Prefix>audio/</Prefix></Filter>"
    "<Expiration><Days>30</Days></Expiration>{extra}</Rule>"
)
ABORT = (
    "<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation>"
    "</AbortIncompleteMultipartUpload>"
)


def test_abort_incomplete_beside_expiration_is_silently_dropped() -> None:
    kept = normalise_lifecycle(_lifecycle(EXPIRE.format(extra=ABORT)))
    assert b"AbortIncompleteMultipartUpload" not in kept
    root = ET.fromstring(kept)
    assert root.tag == f"{{{S3}}}LifecycleConfiguration"  # namespace kept, no ns0: prefix
    assert b"<Days>30</Days>" in kept


def test_rule_with_only_abort_incomplete_is_refused() -> None:
    only_abort = (
        "<Rule><ID>abort</ID><Status>Enabled</Status><Filter><Prefix></Prefix></Filter>"
        f"{ABORT}</Rule>"
    )
    with pytest.raises(LifecycleConfigError) as caught:
        normalise_lifecycle(_lifecycle(EXPIRE.format(extra=""), only_abort))
    assert (caught.value.status, caught.value.code) == (400, "InvalidArgument")
    assert caught.value.message == ERR_XML_NOT_WELL_FORMED


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ((), "at least one rule"),
        ((EXPIRE.format(extra=""), EXPIRE.format(extra="")), "Rule ID must be unique"),
        ((EXPIRE.format(extra="").replace("Enabled", "On"),), "Status must be set"),
    ],
)
def test_other_lifecycle_refusals(rules: tuple[str, ...], message: str) -> None:
    with pytest.raises(LifecycleConfigError, match=message):
        normalise_lifecycle(_lifecycle(*rules))


def test_target_arn_is_case_sensitive() -> None:
    def config(arn: str) -> bytes:
        return render_notification_config([QueueRule("", arn, ("s3:ObjectCreated:*",))])

    assert parse_notification_config(config("arn:minio:sqs::PRIMARY:nats"), region="")
    with pytest.raises(NotificationConfigError, match="destination ARN does not exist"):
        parse_notification_config(config("arn:minio:sqs::primary:nats"), region="")
    # A server configured with a lower-case id knows only that spelling.
    lower = (nats_target("primary"),)
    assert parse_notification_config(
        config("arn:minio:sqs::primary:nats"), region="", targets=lower
    )
    with pytest.raises(NotificationConfigError):
        parse_notification_config(config("arn:minio:sqs::PRIMARY:nats"), region="", targets=lower)


def test_identical_rule_added_again_is_refused_as_overlapping() -> None:
    rule = QueueRule(
        "", "arn:minio:sqs::PRIMARY:nats", ("s3:ObjectCreated:*",), (("prefix", "audio/"),)
    )
    with pytest.raises(NotificationConfigError, match="overlapping prefixes") as caught:
        parse_notification_config(render_notification_config([rule, rule]), region="")
    assert caught.value.code == "InvalidArgument"


def test_metadata_over_2_kib_is_too_large_and_2_kib_is_not() -> None:
    name = "X-Amz-Meta-Notes"
    fits = [("Host", "minio"), (name, "a" * (2048 - len(name)))]
    assert metadata_size(dict(fits)) == 2048
    assert not events.header_size_too_large(fits)
    over = [("Host", "minio"), (name, "a" * (2049 - len(name)))]
    assert events.header_size_too_large(over)
    # X-Minio-Meta-* counts as user metadata too; other headers only towards the 8 KiB.
    assert events.header_size_too_large([("X-Minio-Meta-A", "a" * 2040)])
    assert not events.header_size_too_large([("X-Custom", "a" * 8000)])
    assert events.header_size_too_large([("X-Custom", "a" * 8200)])
    assert events.error_message("MetadataTooLarge") == (
        "Your metadata headers exceed the maximum allowed metadata size."
    )


def test_user_metadata_drops_expires_and_tagging() -> None:
    meta = events.user_metadata(
        {
            "Content-Type": "audio/ogg",
            "Expires": "Wed, 21 Oct 2026 07:28:00 GMT",
            "X-Amz-Tagging-Count": "2",
            "x-amz-meta-user-id": "5",
        }
    )
    assert meta == {"content-type": "audio/ogg", "X-Amz-Meta-User-Id": "5"}


def test_removal_keeps_version_id_and_nothing_else() -> None:
    specs = events.event_specs(
        events.Operation.DELETE_OBJECT,
        "b",
        "audio/1/x.ogg",
        response_body=b"",
        now_ns=1_764_000_000_000_000_000,
        version_id="0f1e-v2",
    )
    info = events.RequestInfo("ak", "127.0.0.1", "ua", "RID", "HID")
    record = events.build_record(specs[0], info, events.Deployment("dep", "http://x"))
    assert record["s3"]["object"] == {
        "key": "audio%2F1%2Fx.ogg",
        "versionId": "0f1e-v2",
        "sequencer": events.sequencer(1_764_000_000_000_000_000),
    }
    assert events.version_id_header({"x-amz-version-id": "null"}) == ""


def test_event_delay_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(EVENT_DELAY_VARIABLE, raising=False)
    assert event_delay_from_env() == 0.0
    monkeypatch.setenv(EVENT_DELAY_VARIABLE, "2.5")
    assert event_delay_from_env() == 2.5
    for bad in ("soon", "-1"):
        monkeypatch.setenv(EVENT_DELAY_VARIABLE, bad)
        with pytest.raises(ValueError, match=EVENT_DELAY_VARIABLE):
            event_delay_from_env()
