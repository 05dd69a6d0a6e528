"""Pure parts of the MinIO notifier stand-in: payloads, request facts, notification rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from minio.notificationconfig import (
    NotificationConfig,
    PrefixFilterRule,
    QueueConfig,
    SuffixFilterRule,
)
from minio.xml import marshal

from voxpersona.localstack.minio_events import (
    Deployment,
    EventSpec,
    ObjectState,
    Operation,
    RequestInfo,
    access_key_from,
    build_log,
    build_record,
    canonical_header_key,
    classify,
    deleted_keys,
    encode_go_json,
    error_message,
    event_specs,
    fault_kind,
    format_event_time,
    modification_time_ns,
    object_state_from_head,
    query_escape,
    request_headers_for_upstream,
    response_headers_for_client,
    s3_error_xml,
    sequencer,
    source_ip,
    split_path,
    succeeded,
    user_metadata,
)
from voxpersona.localstack.minio_notify_rules import (
    NotificationConfigError,
    QueueRule,
    expand_event_name,
    new_pattern,
    parse_notification_config,
    render_notification_config,
    rules_match,
    wildcard_match,
)

SHARED_EVENTS = Path(__file__).resolve().parents[1] / "fixtures" / "minio_events"
ARN = "arn:minio:sqs::PRIMARY:nats"
# 2026-11-24T00:08:12.345Z plus some nanoseconds, as in the shared examples.
EXAMPLE_NS = 1795478892_345_678_901


def _example(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SHARED_EVENTS / name).read_text())
    return loaded


def _request(principal: str = "voxpersona-bot", ip: str = "172.20.0.5") -> RequestInfo:
    return RequestInfo(
        principal_id=principal,
        source_ip=ip,
        user_agent="MinIO (linux; amd64) minio-py/7.2.20",
        request_id="187A9C3F2B1D0E42",
        host_id="dd9025bab4ad464b049177c95eb6ebf374d3b3fd1af9251148b658df7ac2e3e8",
    )


DEPLOYMENT = Deployment("0b1d2c3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e", "http://172.20.0.3:9000")


@pytest.mark.parametrize(
    ("name", "escaped"),
    [
        ("audio/1/a.ogg", "audio%2F1%2Fa.ogg"),
        ("a b+c%d&e=f~g_h-i.j", "a+b%2Bc%25d%26e%3Df~g_h-i.j"),
        ("ю", "%D1%8E"),
        ("$'()*,;:@!", "%24%27%28%29%2A%2C%3B%3A%40%21"),
    ],
)
def test_query_escape_is_go_query_escape(name: str, escaped: str) -> None:
    assert query_escape(name) == escaped


def test_query_escape_matches_the_shared_multipart_example() -> None:
    example = _example("multipart-complete.json")
    bucket, _, name = example["Key"].partition("/")
    assert query_escape(name) == example["Records"][0]["s3"]["object"]["key"]
    assert bucket == example["Records"][0]["s3"]["bucket"]["name"]


@pytest.mark.parametrize(
    ("key", "canonical"),
    [
        ("x-amz-meta-user-id", "X-Amz-Meta-User-Id"),
        ("X-AMZ-META-ORIGINAL-NAME", "X-Amz-Meta-Original-Name"),
        ("x-amz-meta-bad key", "x-amz-meta-bad key"),  # not a token: Go leaves it alone
    ],
)
def test_canonical_header_key(key: str, canonical: str) -> None:
    assert canonical_header_key(key) == canonical


def test_event_time_truncates_to_milliseconds_and_sequencer_is_upper_hex() -> None:
    assert format_event_time(EXAMPLE_NS) == "2026-11-24T00:08:12.345Z"
    assert format_event_time(1_999_999_999) == "1970-01-01T00:00:01.999Z"
    assert sequencer(0x187A9C3F2B1D0E42) == "187A9C3F2B1D0E42"


@pytest.mark.parametrize(
    ("last_modified", "observed", "expected"),
    [
        (100, 100_250_000_000, 100_250_000_000),  # same second: the observed instant
        (100, 101_000_000_005, 100_999_999_999),  # seen after the second rolled over
        (100, 99_999_999_999, 100_000_000_000),  # clock skew: never before Last-Modified
    ],
)
def test_modification_time_is_clamped_into_last_modified_second(
    last_modified: int, observed: int, expected: int
) -> None:
    assert modification_time_ns(last_modified, observed) == expected


def test_object_state_from_head_headers() -> None:
    state = object_state_from_head(
        {
            "Content-Length": "48213",
            "ETag": '"5f1c8e2d9a7b3c4d6e8f0a1b2c3d4e5f"',
            "Content-Type": "audio/ogg",
            "Last-Modified": "Tue, 24 Nov 2026 00:08:12 GMT",
            "x-amz-meta-user-id": "123456789",
            "X-Amz-Meta-Original-Name": "%D0%B8.ogg",
            "x-amz-version-id": "null",
            "Accept-Ranges": "bytes",
        }
    )
    assert state == ObjectState(
        size=48213,
        etag="5f1c8e2d9a7b3c4d6e8f0a1b2c3d4e5f",
        content_type="audio/ogg",
        last_modified_s=1795478892,
        user_metadata={
            "content-type": "audio/ogg",
            "X-Amz-Meta-User-Id": "123456789",
            "X-Amz-Meta-Original-Name": "%D0%B8.ogg",
        },
    )


def test_user_metadata_keeps_stored_standard_headers_only() -> None:
    assert user_metadata(
        {"Cache-Control": "no-cache", "ETag": '"x"', "x-amz-meta-a": "1", "Server": "moto"}
    ) == {"cache-control": "no-cache", "X-Amz-Meta-A": "1"}


@pytest.mark.parametrize(
    ("headers", "query", "key"),
    [
        (
            {
                "Authorization": "AWS4-HMAC-SHA256 Credential=voxpersona-bot/20261124/us-east-1"
                "/s3/aws4_request, SignedHeaders=host, Signature=abc"
            },
            {},
            "voxpersona-bot",
        ),
        ({"authorization": "AWS operator:c2lnbmF0dXJl"}, {}, "operator"),
        ({}, {"X-Amz-Credential": "presigner/20261124/us-east-1/s3/aws4_request"}, "presigner"),
        ({}, {}, ""),
    ],
)
def test_access_key_from_request(headers: dict[str, str], query: dict[str, str], key: str) -> None:
    assert access_key_from(headers, query) == key


@pytest.mark.parametrize(
    ("headers", "peer", "ip"),
    [
        ({}, "172.20.0.5", "172.20.0.5"),
        ({"X-Forwarded-For": "10.0.0.1, 10.0.0.2"}, "172.20.0.5", "10.0.0.1"),
        ({"X-Real-IP": "10.0.0.9"}, "172.20.0.5", "10.0.0.9"),
        ({"Forwarded": 'for="10.1.1.1";proto=http'}, "172.20.0.5", "10.1.1.1"),
        ({}, "::1", "[::1]"),
    ],
)
def test_source_ip_like_minio(headers: dict[str, str], peer: str, ip: str) -> None:
    assert source_ip(headers, peer) == ip


def test_split_path_decodes_bucket_and_object_name() -> None:
    assert split_path("/bkt/audio/a%20b+c%25.ogg?uploadId=1") == ("bkt", "audio/a b+c%.ogg")
    assert split_path("/bkt") == ("bkt", "")
    assert split_path("/") == ("", "")


@pytest.mark.parametrize(
    ("method", "key", "query", "copy", "operation"),
    [
        ("PUT", "k", (), False, Operation.PUT_OBJECT),
        ("PUT", "k", (), True, Operation.COPY_OBJECT),
        ("PUT", "k", ("partNumber", "uploadId"), False, Operation.OTHER),
        ("PUT", "k", ("partNumber", "uploadId"), True, Operation.OTHER),
        ("PUT", "k", ("tagging",), False, Operation.PUT_TAGGING),
        ("PUT", "k", ("retention",), False, Operation.OTHER),
        ("POST", "k", ("uploads",), False, Operation.OTHER),
        ("POST", "k", ("uploadId",), False, Operation.COMPLETE_MULTIPART),
        ("DELETE", "k", (), False, Operation.DELETE_OBJECT),
        ("DELETE", "k", ("uploadId",), False, Operation.OTHER),
        ("DELETE", "k", ("tagging",), False, Operation.DELETE_TAGGING),
        ("GET", "k", (), False, Operation.OTHER),
        ("POST", "", ("delete",), False, Operation.DELETE_OBJECTS),
        ("PUT", "", ("notification",), False, Operation.PUT_NOTIFICATION),
        ("GET", "", ("notification",), False, Operation.GET_NOTIFICATION),
        ("DELETE", "", (), False, Operation.DELETE_BUCKET),
        ("PUT", "", (), False, Operation.OTHER),
    ],
)
def test_classify(
    method: str, key: str, query: tuple[str, ...], copy: bool, operation: Operation
) -> None:
    assert classify(method, "bkt", key, query, copy) is operation


def test_fault_kinds() -> None:
    assert fault_kind("PUT", "k", Operation.PUT_OBJECT) == "put"
    assert fault_kind("HEAD", "k", Operation.OTHER) == "head"
    assert fault_kind("POST", "", Operation.DELETE_OBJECTS) == "delete"
    assert fault_kind("GET", "", Operation.OTHER) is None  # bucket requests: only "any"


STATE = ObjectState(3, "acbd18db4cc2f85cedef654fccc4a4d8", "audio/ogg", 100, {})


@pytest.mark.parametrize(
    ("operation", "content_length"),
    [
        # PutObject sends its event before writing the response; the others after it.
        (Operation.PUT_OBJECT, None),
        (Operation.COPY_OBJECT, "10"),
        (Operation.COMPLETE_MULTIPART, "10"),
        (Operation.PUT_TAGGING, "10"),
    ],
)
def test_created_event_specs(operation: Operation, content_length: str | None) -> None:
    specs = event_specs(
        operation,
        "b",
        "k",
        response_body=b"<xml>ok</>",
        now_ns=7,
        observed_ns=100_250_000_000,
        state=STATE,
    )
    assert specs == [
        EventSpec(operation.value, "b", "k", 7, 100_250_000_000, STATE, content_length)
    ]


def test_created_event_needs_the_object_state() -> None:
    assert event_specs(Operation.PUT_OBJECT, "b", "k", response_body=b"", now_ns=1) == []
    assert event_specs(Operation.OTHER, "b", "k", response_body=b"", now_ns=1, state=STATE) == []


def test_removal_event_specs() -> None:
    [delete] = event_specs(Operation.DELETE_OBJECT, "b", "k", response_body=b"", now_ns=9)
    assert delete == EventSpec("s3:ObjectRemoved:Delete", "b", "k", 9, 9, None, "0")
    [noop] = event_specs(
        Operation.DELETE_OBJECT, "b", "k", response_body=b"", now_ns=9, existed=False
    )
    assert noop == EventSpec("s3:ObjectRemoved:NoOP", "b", "k", 9, 9, None, None)
    request = b"<Delete><Object><Key>x</Key></Object><Object><Key>y</Key></Object></Delete>"
    batch = event_specs(
        Operation.DELETE_OBJECTS,
        "b",
        "",
        response_body=b"<DeleteResult/>",
        now_ns=9,
        request_body=request,
    )
    assert [(s.object_name, s.content_length) for s in batch] == [("x", "15"), ("y", "15")]


def test_success_means_2xx_without_an_error_document() -> None:
    assert succeeded(200, b"<CompleteMultipartUploadResult/>")
    assert not succeeded(200, b"<Error><Code>InternalError</Code></Error>")
    assert not succeeded(404, b"")


def test_proxy_header_filters() -> None:
    incoming = [
        ("Host", "127.0.0.1:9000"),
        ("Connection", "keep-alive, X-Hop"),
        ("X-Hop", "1"),
        ("Transfer-Encoding", "chunked"),
        ("Expect", "100-continue"),
        ("Content-Length", "5"),
        ("X-Amz-Meta-A", "1"),
    ]
    assert request_headers_for_upstream(incoming) == [
        ("Host", "127.0.0.1:9000"),
        ("Content-Length", "5"),
        ("X-Amz-Meta-A", "1"),
    ]
    moto = [("Server", "Werkzeug"), ("ETag", '"x"'), ("Connection", "close"), ("x-amz-id-2", "m")]
    assert response_headers_for_client(moto) == [("ETag", '"x"')]
    assert error_message("SlowDown") == "Please reduce your request rate."


def test_put_record_matches_the_shared_example_exactly() -> None:
    example = _example("put.json")
    meta = example["Records"][0]["s3"]["object"]["userMetadata"]
    spec = EventSpec(
        event_name="s3:ObjectCreated:Put",
        bucket="voxpersona-audio",
        object_name=example["Key"].partition("/")[2],
        event_time_ns=EXAMPLE_NS,
        sequencer_ns=0x187A9C3F2B1D0E42,
        obj=ObjectState(48213, "5f1c8e2d9a7b3c4d6e8f0a1b2c3d4e5f", "audio/ogg", 0, meta),
    )
    payload = build_log(build_record(spec, _request(), DEPLOYMENT))
    assert payload == example


def test_removal_record_carries_key_and_sequencer_only() -> None:
    example = _example("delete.json")
    spec = EventSpec(
        event_name="s3:ObjectRemoved:Delete",
        bucket="voxpersona-audio",
        object_name=example["Key"].partition("/")[2],
        event_time_ns=EXAMPLE_NS,
        sequencer_ns=0x187A9C3F2B1D0E42,
        obj=ObjectState(1, "etag", "audio/ogg", 0, {"content-type": "audio/ogg"}),
        content_length="0",
    )
    record = build_record(spec, _request("operator"), DEPLOYMENT)
    # MinIO's DeleteObject handler writes its 204 (Content-Length: 0) before sending the
    # event, so real payloads carry content-length; the shared example leaves it out.
    assert record["responseElements"].pop("content-length") == "0"
    assert build_log(record) == example


def test_record_field_order_is_go_struct_order() -> None:
    spec = EventSpec("s3:ObjectCreated:Put", "b", "k", 0, 1, ObjectState(0, "e", "t", 0, {}))
    record = build_record(spec, _request(), DEPLOYMENT)
    assert list(record) == [
        "eventVersion",
        "eventSource",
        "awsRegion",
        "eventTime",
        "eventName",
        "userIdentity",
        "requestParameters",
        "responseElements",
        "s3",
        "source",
    ]
    # A zero-byte object has no "size": Go's omitempty drops zero values.
    assert list(record["s3"]["object"]) == ["key", "eTag", "contentType", "sequencer"]


def test_encode_go_json_escapes_like_go() -> None:
    encoded = encode_go_json({"Key": "b/<a>&ю\u2028", "n": 1})
    assert encoded == '{"Key":"b/\\u003ca\\u003e\\u0026ю\\u2028","n":1}'.encode()
    assert json.loads(encoded) == {"Key": "b/<a>&ю\u2028", "n": 1}


def test_deleted_keys_in_quiet_mode() -> None:
    request = (
        b'<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet>'
        b"<Object><Key>a</Key></Object><Object><Key>b c</Key></Object>"
        b"<Object><Key>locked</Key></Object></Delete>"
    )
    response = (
        b"<DeleteResult><Error><Key>locked</Key><Code>AccessDenied</Code></Error></DeleteResult>"
    )
    assert deleted_keys(request, response) == ["a", "b c"]


def test_s3_error_xml() -> None:
    body = s3_error_xml(
        code="SlowDown",
        message="Please reduce your request rate.",
        resource="/b/k",
        request_id="1",
        host_id="h",
        bucket="b",
        key="k",
    )
    assert body == (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code><Message>Please'
        b" reduce your request rate.</Message><Key>k</Key><BucketName>b</BucketName><Resource>"
        b"/b/k</Resource><RequestId>1</RequestId><HostId>h</HostId></Error>"
    )


def _sdk_xml(*rules: QueueConfig) -> bytes:
    """What the minio SDK sends for PutBucketNotification."""
    xml: bytes = marshal(NotificationConfig(queue_config_list=list(rules)))
    return xml


def test_sdk_configuration_parses_and_renders_back() -> None:
    body = _sdk_xml(
        QueueConfig(
            queue=ARN,
            events=["s3:ObjectCreated:*", "s3:ObjectRemoved:Delete"],
            config_id="1",
            prefix_filter_rule=PrefixFilterRule("audio/"),
            suffix_filter_rule=SuffixFilterRule(".ogg"),
        )
    )
    rules = parse_notification_config(body, region="us-east-1")
    assert rules == (
        QueueRule(
            "1",
            ARN,
            ("s3:ObjectCreated:*", "s3:ObjectRemoved:Delete"),
            (("prefix", "audio/"), ("suffix", ".ogg")),
        ),
    )
    assert parse_notification_config(render_notification_config(rules), region="") == rules
    assert render_notification_config(()) == (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<NotificationConfiguration '
        b'xmlns="http://s3.amazonaws.com/doc/2006-03-01/" />'
    )


@pytest.mark.parametrize(
    ("body", "code", "message_start"),
    [
        (b"<NotificationConfiguration", "MalformedXML", "The XML you provided"),
        (b"<Other/>", "MalformedXML", "The XML you provided"),
        (
            _sdk_xml(QueueConfig(queue="arn:minio:sqs::primary", events=["s3:ObjectCreated:Put"])),
            "InvalidArgument",
            "A specified destination ARN does not exist",
        ),
        (
            _sdk_xml(
                QueueConfig(queue="arn:minio:sqs::1:webhook", events=["s3:ObjectCreated:Put"])
            ),
            "InvalidArgument",
            "A specified destination ARN does not exist",
        ),
        (
            _sdk_xml(
                QueueConfig(
                    queue="arn:minio:sqs:eu-west-1:PRIMARY:nats", events=["s3:ObjectCreated:Put"]
                )
            ),
            "InvalidArgument",
            "A specified destination is in a different region",
        ),
        (
            _sdk_xml(QueueConfig(queue=ARN, events=["s3:ObjectCreated:Nope"])),
            "InvalidArgument",
            "A specified event is not supported",
        ),
        (
            _sdk_xml(
                QueueConfig(queue=ARN, events=["s3:ObjectCreated:Put", "s3:ObjectCreated:Put"])
            ),
            "InvalidArgument",
            "Configurations overlap.",
        ),
        (
            _sdk_xml(
                QueueConfig(queue=ARN, events=["s3:ObjectCreated:Put"]),
                QueueConfig(queue=ARN, events=["s3:ObjectCreated:Put"]),
            ),
            "InvalidArgument",
            "An object key name filtering rule defined with overlapping",
        ),
        (
            b"<NotificationConfiguration><QueueConfiguration><Queue>"
            + ARN.encode()
            + b"</Queue></QueueConfiguration></NotificationConfiguration>",
            "MalformedXML",
            "The XML you provided",
        ),
        (
            b"<NotificationConfiguration><QueueConfiguration><Queue>"
            + ARN.encode()
            + b"</Queue><Event>s3:ObjectCreated:Put</Event><Filter><S3Key><FilterRule><Name>Prefix"
            b"</Name><Value>a</Value></FilterRule></S3Key></Filter></QueueConfiguration>"
            b"</NotificationConfiguration>",
            "InvalidArgument",
            "filter rule name must be either prefix or suffix",
        ),
        (
            b"<NotificationConfiguration><TopicConfiguration><Topic>arn:aws:sns:::t</Topic>"
            b"<Event>s3:ObjectCreated:Put</Event></TopicConfiguration></NotificationConfiguration>",
            "UnsupportedNotification",
            "MinIO server does not support Topic",
        ),
    ],
)
def test_bad_configurations_get_minio_errors(body: bytes, code: str, message_start: str) -> None:
    with pytest.raises(NotificationConfigError) as caught:
        parse_notification_config(body, region="us-east-1")
    assert caught.value.code == code
    assert caught.value.message.startswith(message_start)
    assert caught.value.status == 400


def test_arn_region_may_be_empty_or_the_server_region() -> None:
    for arn in (ARN, "arn:minio:sqs:us-east-1:PRIMARY:nats"):
        body = _sdk_xml(QueueConfig(queue=arn, events=["s3:ObjectCreated:Put"]))
        assert parse_notification_config(body, region="us-east-1")[0].arn == arn


def test_event_name_wildcards_expand_like_minio() -> None:
    created = expand_event_name("s3:ObjectCreated:*")
    assert "s3:ObjectCreated:CompleteMultipartUpload" in created
    assert "s3:ObjectCreated:PutTagging" in created  # tagging changes are "created" events
    assert "s3:ObjectRemoved:NoOP" in expand_event_name("s3:ObjectRemoved:*")
    assert expand_event_name("s3:ObjectCreated:Put") == ("s3:ObjectCreated:Put",)


@pytest.mark.parametrize(
    ("prefix", "suffix", "pattern"),
    [("audio/", "", "audio/*"), ("", ".ogg", "*.ogg"), ("a*", "*b", "a*b"), ("", "", "")],
)
def test_new_pattern(prefix: str, suffix: str, pattern: str) -> None:
    assert new_pattern(prefix, suffix) == pattern


@pytest.mark.parametrize(
    ("pattern", "name", "matches"),
    [
        ("audio/*", "audio/1/a.ogg", True),
        ("audio/*.ogg", "audio/1/a.ogg", True),
        ("audio/*.ogg", "audio/1/a.mp3", False),
        ("*.ogg", "video/a.ogg", True),
        ("a.b*", "axb", False),  # regex characters are literal
        ("a?c", "abc", True),
        ("", "", True),
        ("", "x", False),
    ],
)
def test_wildcard_match(pattern: str, name: str, matches: bool) -> None:
    assert wildcard_match(pattern, name) is matches


def test_rules_match_events_and_filters() -> None:
    rules = (
        QueueRule("1", ARN, ("s3:ObjectCreated:*",), (("prefix", "audio/"),)),
        QueueRule("2", ARN, ("s3:ObjectRemoved:Delete",), (("suffix", ".ogg"),)),
    )
    assert rules_match(rules, "s3:ObjectCreated:Copy", "audio/a.mp3")
    assert not rules_match(rules, "s3:ObjectCreated:Put", "video/a.ogg")
    assert rules_match(rules, "s3:ObjectRemoved:Delete", "video/a.ogg")
    assert not rules_match(rules, "s3:ObjectRemoved:NoOP", "video/a.ogg")
    assert not rules_match((), "s3:ObjectCreated:Put", "audio/a.ogg")
