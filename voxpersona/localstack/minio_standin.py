"""A stand-in for MinIO's bucket-notification path, NOT a stand-in for MinIO.

This is a test double of one part of MinIO only: the notifier that turns a successful S3 write
or delete into an event on NATS JetStream. Everything else, object storage included, is moto's
S3 server, which differs from MinIO in many ways (no erasure coding, no IAM, no signature
checks, different error texts). Code that passes against this stand-in has been tested against
MinIO's *event payloads*, not against MinIO.

How it works: an aiohttp reverse proxy sits in front of moto's ``ThreadedMotoServer`` and
streams every S3 request and response through unchanged (bodies are never held in memory
whole). It keeps bucket notification rules itself (``PUT``/``GET /{bucket}?notification``, as
MinIO does with its NATS target ``arn:minio:sqs::primary:nats``), and after moto answers a
write or delete with success it publishes MinIO's exact payload to JetStream before the client
gets its response, like ``MINIO_API_SYNC_EVENTS=on``. When NATS or the stream is missing, events
wait in an ordered, bounded in-memory queue and are retried, like MinIO's ``queue_dir``.

moto keeps its data in process-global state: two stand-ins in one process see the same
buckets, so tests should use fresh bucket names. Only path-style addressing is understood
(what the ``minio`` SDK uses for IP endpoints). Every response carries
``X-VoxPersona-Double: minio-notifier-standin``.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal
from urllib.parse import quote

import aiohttp
import nats
import nats.errors
from aiohttp import web
from moto.server import ThreadedMotoServer
from multidict import CIMultiDict
from nats.aio.client import Client as NATS
from yarl import URL

from voxpersona.localstack.minio_events import (
    Deployment,
    EventSpec,
    ObjectState,
    Operation,
    RequestInfo,
    access_key_from,
    build_log,
    build_record,
    classify,
    deleted_keys,
    encode_go_json,
    fault_kind,
    modification_time_ns,
    object_state_from_head,
    s3_error_xml,
    source_ip,
    split_path,
)
from voxpersona.localstack.minio_notify_rules import (
    NotificationConfigError,
    QueueRule,
    parse_notification_config,
    render_notification_config,
    rules_match,
)
from voxpersona.localstack.ports import async_wait_for_port, free_port

logger = logging.getLogger(__name__)

DOUBLE_HEADER = "X-VoxPersona-Double"
DOUBLE_VALUE = "minio-notifier-standin"
FaultOperation = Literal["put", "get", "head", "delete", "any"]

_HOST = "127.0.0.1"
_CHUNK = 1 << 20
_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
     "trailer", "trailers", "transfer-encoding", "upgrade"}
)
# Response headers the proxy sets itself rather than copying from moto.
_OWN_RESPONSE_HEADERS = frozenset({"content-length", "date", "server", "x-amz-request-id",
                                   "x-amz-id-2"})
# Operations whose MinIO handler writes the response before calling sendEvent, which puts the
# response's Content-Length into responseElements (PutObject and a NoOP delete send first).
_RESPONSE_BEFORE_EVENT = frozenset(
    {Operation.COPY_OBJECT, Operation.COMPLETE_MULTIPART, Operation.PUT_TAGGING,
     Operation.DELETE_TAGGING, Operation.DELETE_OBJECT, Operation.DELETE_OBJECTS}
)
_EVENT_OPERATIONS = _RESPONSE_BEFORE_EVENT | {Operation.PUT_OBJECT}
_ERROR_MESSAGES = {
    "SlowDown": "Please reduce your request rate.",
    "InternalError": "We encountered an internal error, please try again.",
    "ServiceUnavailable": "The service is unavailable. Please retry.",
    "NoSuchBucket": "The specified bucket does not exist",
}


@dataclass
class _Fault:
    operation: FaultOperation
    status: int
    code: str
    remaining: int
    retry_after: int | None


@dataclass(frozen=True)
class _Call:
    """One incoming S3 request, as the stand-in sees it."""

    bucket: str
    key: str
    operation: Operation
    resource: str
    request_id: str


class _JetStreamTarget:
    """MinIO's NATS target in JetStream mode, fronted by an ordered in-memory queue.

    A publish that cannot be stored (no connection, no stream, timeout) queues the event; one
    background task retries the queue head until it goes through. New events go straight to
    NATS only while the queue is empty, so events reach the stream in the order they happened.
    """

    def __init__(self, url: str, subject: str, *, queue_limit: int) -> None:
        self.url = url
        self.subject = subject
        self.published: list[dict[str, Any]] = []
        self._queue_limit = queue_limit
        self._queue: deque[tuple[dict[str, Any], bytes]] = deque()
        self._lock = asyncio.Lock()
        self._queued = asyncio.Event()
        self._nc: NATS | None = None
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def pending(self) -> int:
        return len(self._queue)

    def start(self) -> None:
        if not self._tasks:
            self._tasks = [asyncio.create_task(self._connect()),
                           asyncio.create_task(self._retry_forever())]

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        if self._nc is not None:
            await self._nc.close()
            self._nc = None

    async def deliver(self, payload: dict[str, Any]) -> None:
        """Store the event in JetStream now, or queue it for the retry task."""
        data = encode_go_json(payload)
        async with self._lock:
            if not self._queue and await self._publish(data):
                self.published.append(payload)
                return
            self._enqueue(payload, data)

    def _enqueue(self, payload: dict[str, Any], data: bytes) -> None:
        if len(self._queue) >= self._queue_limit:
            # MinIO's queue store refuses new events once queue_limit is reached.
            logger.error("event queue is full (%d events); dropping %s for %s",
                         self._queue_limit, payload["EventName"], payload["Key"])
            return
        self._queue.append((payload, data))
        self._queued.set()
        logger.warning("NATS did not store the event; %d event(s) queued for retry",
                       len(self._queue))

    async def _publish(self, data: bytes) -> bool:
        nc = self._nc
        if nc is None or not nc.is_connected:
            return False
        try:
            # No Nats-Msg-Id header: MinIO sets none, so JetStream cannot deduplicate.
            await nc.jetstream().publish(self.subject, data, timeout=2.0)
        except (nats.errors.Error, OSError, asyncio.TimeoutError) as exc:
            logger.debug("JetStream publish to %s failed: %r", self.subject, exc)
            return False
        return True

    async def _retry_forever(self) -> None:
        while True:
            await self._queued.wait()
            if not await self._drain():
                await asyncio.sleep(0.25)

    async def _drain(self) -> bool:
        async with self._lock:
            while self._queue:
                payload, data = self._queue[0]
                if not await self._publish(data):
                    return False
                self._queue.popleft()
                self.published.append(payload)
                logger.info("delivered a queued event; %d still queued", len(self._queue))
            self._queued.clear()
            return True

    async def _connect(self) -> None:
        # Like MinIO (nats.MaxReconnects(-1)): keep trying for ever, even for the first
        # connection. pending_size=0 makes publishing while disconnected fail at once instead
        # of parking the message in the client's buffer, where it could be sent twice.
        self._nc = await nats.connect(
            self.url, name="MinIO notifier stand-in", max_reconnect_attempts=-1,
            reconnect_time_wait=1, connect_timeout=2, pending_size=0,
            error_cb=self._on_error, reconnected_cb=self._on_reconnected,
        )
        self._queued.set()

    async def _on_error(self, exc: Exception) -> None:
        logger.debug("NATS connection error: %r", exc)

    async def _on_reconnected(self) -> None:
        logger.info("reconnected to NATS at %s", self.url)
        self._queued.set()


class MinioStandin:
    """moto's S3 behind a double of MinIO's notifier; see the module docstring."""

    def __init__(
        self,
        *,
        nats_url: str,
        subject: str = "voxpersona.minio.events",
        access_key: str = "minioadmin",
        secret_key: str = "minioadmin",
        region: str = "us-east-1",
        port: int | None = None,
        queue_limit: int = 100_000,
    ) -> None:
        self.access_key = access_key
        self.secret_key = secret_key  # for clients; moto does not check signatures
        self.region = region
        self.port = port or free_port()
        self._target = _JetStreamTarget(nats_url, subject, queue_limit=queue_limit)
        self._deployment = Deployment(str(uuid.uuid4()), f"http://{_HOST}:{self.port}")
        self._host_id = hashlib.sha256(self.endpoint.encode()).hexdigest()
        self._rules: dict[str, tuple[QueueRule, ...]] = {}
        self._faults: list[_Fault] = []
        self._latency = 0.0
        self._moto: ThreadedMotoServer | None = None
        self._moto_url = ""
        self._session: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None

    @property
    def endpoint(self) -> str:
        """``host:port`` as the ``minio`` SDK wants it."""
        return f"{_HOST}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.endpoint}"

    @property
    def published(self) -> list[dict[str, Any]]:
        """Every payload JetStream acknowledged, in publication order."""
        return self._target.published

    @property
    def pending_events(self) -> int:
        """Events waiting for NATS (or for a stream on the subject)."""
        return self._target.pending

    async def start(self) -> None:
        """Start moto (once), the NATS target (once) and the proxy on :attr:`port`."""
        if self._runner is not None:
            return
        if self._moto is None:
            await self._start_moto()
        if self._session is None:
            self._session = aiohttp.ClientSession(auto_decompress=False,
                                                  timeout=aiohttp.ClientTimeout(total=None))
        self._target.start()
        runner = web.AppRunner(self._build_app(), access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        await web.TCPSite(runner, _HOST, self.port).start()
        self._runner = runner
        logger.info(
            "MinIO notifier stand-in (a double of MinIO's bucket notifications only, not of "
            "MinIO; objects live in moto at %s) serving S3 at %s, events to %s subject %r",
            self._moto_url, self.url, self._target.url, self._target.subject,
        )

    async def stop(self) -> None:
        """Take the S3 endpoint away; moto and its objects stay for a later :meth:`start`."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def close(self) -> None:
        """Stop the proxy, the NATS target and moto."""
        await self.stop()
        await self._target.close()
        if self._session is not None:
            await self._session.close()
            self._session = None
        moto, self._moto = self._moto, None
        if moto is not None:
            await asyncio.to_thread(moto.stop)

    async def __aenter__(self) -> MinioStandin:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def inject_fault(
        self,
        operation: FaultOperation,
        status: int = 503,
        code: str = "SlowDown",
        times: int = 1,
        *,
        retry_after: int | None = None,
    ) -> None:
        """Answer the next ``times`` matching requests with an S3 error instead of moto.

        ``put``/``get``/``head``/``delete`` count object requests by HTTP method (a
        multi-object delete counts as ``delete``); ``any`` counts every S3 request. Real MinIO
        adds ``Retry-After: 120`` to SlowDown, which makes urllib3 (under the ``minio`` SDK)
        sleep that long; pass ``retry_after`` to reproduce it.
        """
        self._faults.append(_Fault(operation, status, code, times, retry_after))

    def set_latency(self, seconds: float) -> None:
        """Delay every S3 request (not health checks) by ``seconds``."""
        self._latency = seconds

    async def _start_moto(self) -> None:
        port = free_port()
        moto = ThreadedMotoServer(ip_address=_HOST, port=port, verbose=False)
        await asyncio.to_thread(moto.start)
        await async_wait_for_port(_HOST, port)
        self._moto, self._moto_url = moto, f"http://{_HOST}:{port}"

    def _build_app(self) -> web.Application:
        app = web.Application()
        app.on_response_prepare.append(self._mark_response)
        app.router.add_get("/minio/health/live", self._health_ok)
        app.router.add_get("/minio/health/cluster", self._health_ok)
        app.router.add_get("/minio/health/ready", self._health_ready)
        app.router.add_route("*", "/{tail:.*}", self._handle_s3)
        return app

    async def _mark_response(self, request: web.Request, response: web.StreamResponse) -> None:
        response.headers[DOUBLE_HEADER] = DOUBLE_VALUE

    async def _health_ok(self, request: web.Request) -> web.Response:
        return web.Response(status=200)

    async def _health_ready(self, request: web.Request) -> web.Response:
        return web.Response(status=200 if await self._moto_answers() else 503)

    async def _moto_answers(self) -> bool:
        try:
            async with self._moto_request("GET", "/", timeout=2.0) as response:
                return response.status < 500
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return False

    async def _handle_s3(self, request: web.Request) -> web.StreamResponse:
        if self._latency > 0:
            await asyncio.sleep(self._latency)
        call = self._describe(request)
        fault = self._take_fault(fault_kind(request.method, call.key, call.operation))
        if fault is not None:
            return self._fault_response(call, fault)
        try:
            return await self._dispatch(request, call)
        except aiohttp.ClientError as exc:
            logger.warning("moto did not answer %s %s: %r", request.method, call.resource, exc)
            return self._error_response(call, 503, "ServiceUnavailable")

    async def _dispatch(self, request: web.Request, call: _Call) -> web.StreamResponse:
        if call.operation is Operation.PUT_NOTIFICATION:
            return await self._put_notification(request, call)
        if call.operation is Operation.GET_NOTIFICATION:
            return await self._get_notification(request, call)
        if call.operation is Operation.DELETE_BUCKET:
            return await self._delete_bucket(request, call)
        if call.operation in _EVENT_OPERATIONS:
            return await self._forward_with_events(request, call)
        return await self._stream_through(request, call)

    def _describe(self, request: web.Request) -> _Call:
        bucket, key = split_path(request.raw_path)
        operation = classify(request.method, bucket, key, request.query.keys(),
                             "x-amz-copy-source" in request.headers)
        # MinIO's request ids: %X of the Unix time in nanoseconds.
        return _Call(bucket, key, operation, request.path, f"{time.time_ns():X}")

    def _take_fault(self, kind: str | None) -> _Fault | None:
        for fault in self._faults:
            if fault.operation == "any" or fault.operation == kind:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _fault_response(self, call: _Call, fault: _Fault) -> web.Response:
        response = self._error_response(call, fault.status, fault.code)
        if fault.retry_after is not None:
            response.headers["Retry-After"] = str(fault.retry_after)
        return response

    def _error_response(self, call: _Call, status: int, code: str, message: str = "") -> web.Response:
        body = s3_error_xml(
            code=code, message=message or _ERROR_MESSAGES.get(code, f"{code} (stand-in)"),
            resource=call.resource, request_id=call.request_id, host_id=self._host_id,
            bucket=call.bucket, key=call.key,
        )
        headers = self._s3_headers(call)
        headers["Content-Type"] = "application/xml"
        return web.Response(status=status, body=body, headers=headers)

    def _s3_headers(self, call: _Call) -> CIMultiDict[str]:
        return CIMultiDict({"X-Amz-Request-Id": call.request_id, "X-Amz-Id-2": self._host_id})

    def _relay_headers(self, call: _Call, upstream: Mapping[str, str]) -> CIMultiDict[str]:
        skip = _HOP_BY_HOP | _OWN_RESPONSE_HEADERS
        headers = CIMultiDict((k, v) for k, v in upstream.items() if k.lower() not in skip)
        headers.update(self._s3_headers(call))
        return headers

    @asynccontextmanager
    async def _upstream(
        self, request: web.Request, body: bytes | None = None
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """Send ``request`` on to moto with the same path, query and headers."""
        assert self._session is not None, "start() first"
        named = {name.strip().lower() for name in request.headers.get("Connection", "").split(",")}
        headers = CIMultiDict(
            (k, v) for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP | named
        )
        data: Any = body
        if body is None and request.body_exists:
            data = request.content  # streamed: never read whole into memory
        async with self._session.request(
            request.method, URL(self._moto_url + request.raw_path, encoded=True),
            headers=headers, data=data, allow_redirects=False,
            skip_auto_headers=("Accept", "Accept-Encoding", "Content-Type", "User-Agent"),
        ) as response:
            yield response

    @asynccontextmanager
    async def _moto_request(
        self, method: str, path: str, timeout: float | None = None
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """A request of the stand-in's own; moto picks the service from the credential scope."""
        assert self._session is not None, "start() first"
        auth = (f"AWS4-HMAC-SHA256 Credential={self.access_key}/20000101/{self.region}/s3/"
                "aws4_request, SignedHeaders=host, Signature=0")
        async with self._session.request(
            method, URL(self._moto_url + path, encoded=True), headers={"Authorization": auth},
            timeout=aiohttp.ClientTimeout(total=timeout),
        ) as response:
            yield response

    async def _stream_through(self, request: web.Request, call: _Call) -> web.StreamResponse:
        async with self._upstream(request) as upstream:
            response = web.StreamResponse(status=upstream.status,
                                          headers=self._relay_headers(call, upstream.headers))
            if upstream.content_length is not None and upstream.status not in {204, 304}:
                response.content_length = upstream.content_length
            await response.prepare(request)
            if request.method != "HEAD":
                async for chunk in upstream.content.iter_chunked(_CHUNK):
                    await response.write(chunk)
            await response.write_eof()
            return response

    async def _forward_buffered(
        self, request: web.Request, call: _Call, body: bytes | None = None
    ) -> tuple[web.Response, bytes]:
        """Forward (the request body still streamed) and keep moto's small answer."""
        async with self._upstream(request, body) as upstream:
            payload = await upstream.read()
            headers = self._relay_headers(call, upstream.headers)
            return web.Response(status=upstream.status, body=payload, headers=headers), payload

    async def _forward_with_events(self, request: web.Request, call: _Call) -> web.Response:
        request_body = await request.read() if call.operation is Operation.DELETE_OBJECTS else None
        existed = True
        if call.operation is Operation.DELETE_OBJECT:
            existed = await self._head_object(call.bucket, call.key) is not None
        response, payload = await self._forward_buffered(request, call, request_body)
        observed_ns = time.time_ns()
        if 200 <= response.status < 300 and b"<Error>" not in payload:
            specs = await self._event_specs(call, request_body or b"", payload, existed,
                                            observed_ns)
            await self._publish(specs, self._request_info(request, call))
        return response

    async def _event_specs(
        self, call: _Call, request_body: bytes, response_body: bytes, existed: bool,
        observed_ns: int,
    ) -> list[EventSpec]:
        length = str(len(response_body)) if call.operation in _RESPONSE_BEFORE_EVENT else None
        if call.operation is Operation.DELETE_OBJECTS:
            keys = deleted_keys(request_body, response_body)
            return [_removal(call.bucket, key, "s3:ObjectRemoved:Delete", length) for key in keys]
        if call.operation is Operation.DELETE_OBJECT:
            if existed:
                return [_removal(call.bucket, call.key, "s3:ObjectRemoved:Delete", length)]
            # MinIO sends NoOP before writing its response, so no content-length here.
            return [_removal(call.bucket, call.key, "s3:ObjectRemoved:NoOP", None)]
        state = await self._head_object(call.bucket, call.key)
        if state is None:
            logger.warning("%s/%s vanished before its event was built", call.bucket, call.key)
            return []
        sequencer_ns = modification_time_ns(state.last_modified_s, observed_ns)
        return [EventSpec(call.operation.value, call.bucket, call.key, time.time_ns(),
                          sequencer_ns, state, length)]

    async def _publish(self, specs: list[EventSpec], info: RequestInfo) -> None:
        for spec in specs:
            if rules_match(self._rules.get(spec.bucket, ()), spec.event_name, spec.object_name):
                await self._target.deliver(build_log(build_record(spec, info, self._deployment)))

    def _request_info(self, request: web.Request, call: _Call) -> RequestInfo:
        return RequestInfo(
            principal_id=access_key_from(request.headers, request.query),
            source_ip=source_ip(request.headers, request.remote or ""),
            user_agent=request.headers.get("User-Agent", ""),
            request_id=call.request_id,
            host_id=self._host_id,
        )

    async def _head_object(self, bucket: str, key: str) -> ObjectState | None:
        path = "/" + quote(bucket, safe="") + "/" + _quote_key(key)
        async with self._moto_request("HEAD", path) as response:
            return object_state_from_head(response.headers) if response.status == 200 else None

    async def _bucket_exists(self, bucket: str) -> bool:
        async with self._moto_request("HEAD", "/" + _quote_key(bucket)) as response:
            return response.status == 200

    async def _put_notification(self, request: web.Request, call: _Call) -> web.Response:
        if not await self._bucket_exists(call.bucket):
            return self._error_response(call, 404, "NoSuchBucket")
        try:
            rules = parse_notification_config(await request.read(), region=self.region)
        except NotificationConfigError as exc:
            return self._error_response(call, exc.status, exc.code, exc.message)
        if rules:
            self._rules[call.bucket] = rules
        else:
            self._rules.pop(call.bucket, None)  # an empty configuration removes the rules
        return web.Response(status=200, headers=self._s3_headers(call))

    async def _get_notification(self, request: web.Request, call: _Call) -> web.Response:
        if not await self._bucket_exists(call.bucket):
            return self._error_response(call, 404, "NoSuchBucket")
        headers = self._s3_headers(call)
        headers["Content-Type"] = "application/xml"
        body = render_notification_config(self._rules.get(call.bucket, ()))
        return web.Response(status=200, body=body, headers=headers)

    async def _delete_bucket(self, request: web.Request, call: _Call) -> web.Response:
        response, _ = await self._forward_buffered(request, call)
        if 200 <= response.status < 300:
            self._rules.pop(call.bucket, None)  # MinIO drops a deleted bucket's rules
        return response


def _removal(bucket: str, key: str, event_name: str, content_length: str | None) -> EventSpec:
    # A removed object has no modification time, so MinIO's sequencer is the event time.
    now = time.time_ns()
    return EventSpec(event_name, bucket, key, now, now, None, content_length)


def _quote_key(key: str) -> str:
    return quote(key, safe="/")
