"""A stand-in for MinIO's bucket-notification path, NOT a stand-in for MinIO.

This is a test double of one part of MinIO only: the notifier that turns a successful S3 write
or delete into an event on NATS JetStream. Everything else, object storage included, is moto's
S3 server, which differs from MinIO in many ways (no erasure coding, no IAM, no signature
checks, different error texts). Code that passes against this stand-in has been tested against
MinIO's *event payloads*, not against MinIO.

How it works: an aiohttp reverse proxy sits in front of moto's ``ThreadedMotoServer`` and
streams every S3 request and response through unchanged (bodies are never held in memory
whole). It keeps bucket notification rules itself (``PUT``/``GET /{bucket}?notification``, as
MinIO does with its NATS target ``arn:minio:sqs::PRIMARY:nats``), and after moto answers a
write or delete with success it publishes MinIO's exact payload to JetStream before the client
gets its response, like ``MINIO_API_SYNC_EVENTS=on``. When NATS or the stream is missing, events
wait in an ordered, bounded in-memory queue and are retried, like MinIO's ``queue_dir``. With
``event_delay`` (or ``VOXPERSONA_STANDIN_EVENT_DELAY`` through the local stack) it answers
first and publishes seconds later, in order, the way MinIO does with ``queue_dir`` and
synchronous events off.

It refuses what MinIO refuses, with MinIO's codes and messages (each rule names its source):
user metadata over 2 KiB (``cmd/generic-handlers.go``), a notification ARN that is not a
configured target, case-sensitively (``internal/event/config.go``), duplicate notification
rules (same file), a lifecycle rule with no supported action, and it drops
``AbortIncompleteMultipartUpload`` as MinIO does (``internal/bucket/lifecycle/rule.go``).

Not modelled: ``s3:ObjectAccessed:*`` (GET/HEAD) events, browser POST uploads, versioned
deletes (``DeleteMarkerCreated``), retention/legal-hold events and ILM expiry.

moto keeps its data in process-global state: two stand-ins in one process see the same
buckets, so tests should use fresh bucket names. Only path-style addressing is understood
(what the ``minio`` SDK uses for IP endpoints). Every response carries
``X-VoxPersona-Double: minio-notifier-standin``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import logging
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Iterable
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

from voxpersona.localstack import minio_events as events
from voxpersona.localstack import minio_notify_rules as notify_rules
from voxpersona.localstack.minio_lifecycle import LifecycleConfigError, normalise_lifecycle
from voxpersona.localstack.ports import async_wait_for_port, free_port

logger = logging.getLogger(__name__)

DOUBLE_HEADER = "X-VoxPersona-Double"
DOUBLE_VALUE = "minio-notifier-standin"
FaultOperation = Literal["put", "get", "head", "delete", "any"]

_HOST = "127.0.0.1"
_CHUNK = 1 << 20
_SKIP_AUTO_HEADERS = ("Accept", "Accept-Encoding", "Content-Type", "User-Agent")


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
    operation: events.Operation
    resource: str
    request_id: str


class _JetStreamTarget:
    """MinIO's NATS target in JetStream mode, fronted by an ordered in-memory queue.

    A publish that cannot be stored (no connection, no stream, timeout) queues the event; a
    background task retries the queue head until it goes through. New events go straight to
    NATS only while the queue is empty, so the stream gets them in the order they happened.
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

    async def start(self) -> None:
        """Connect in the background; wait a moment so the first events need no retry."""
        if self._tasks:
            return
        self._tasks = [asyncio.create_task(self._connect()), asyncio.create_task(self._retry())]
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(2.0):
                await asyncio.shield(self._tasks[0])  # NATS may be down: start anyway

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
        data = events.encode_go_json(payload)
        async with self._lock:
            if not self._queue and await self._publish(data):
                self.published.append(payload)
                return
            if len(self._queue) >= self._queue_limit:
                # MinIO's queue store refuses new events once queue_limit is reached.
                logger.error(
                    "event queue is full (%d events); dropping %s for %s",
                    self._queue_limit,
                    payload["EventName"],
                    payload["Key"],
                )
                return
            self._queue.append((payload, data))
            self._queued.set()
            logger.warning("NATS did not store an event; %d queued for retry", len(self._queue))

    async def _publish(self, data: bytes) -> bool:
        nc = self._nc
        if nc is None or not nc.is_connected:
            return False
        try:
            # No Nats-Msg-Id header: MinIO sets none, so JetStream cannot deduplicate.
            await nc.jetstream().publish(self.subject, data, timeout=2.0)
        except (TimeoutError, nats.errors.Error, OSError) as exc:
            logger.debug("JetStream publish to %s failed: %r", self.subject, exc)
            return False
        return True

    async def _retry(self) -> None:
        while True:
            await self._queued.wait()
            async with self._lock:
                while self._queue and await self._publish(self._queue[0][1]):
                    self.published.append(self._queue.popleft()[0])
                    logger.info("delivered a queued event; %d still queued", len(self._queue))
                if not self._queue:
                    self._queued.clear()
                    continue
            await asyncio.sleep(0.25)

    async def _connect(self) -> None:
        # Like MinIO (nats.MaxReconnects(-1)): keep trying for ever, the first connection
        # included. pending_size=0 makes a publish while disconnected fail at once instead of
        # parking it in the client's buffer, from where it could arrive twice.
        self._nc = await nats.connect(
            self.url,
            name="MinIO notifier stand-in",
            max_reconnect_attempts=-1,
            reconnect_time_wait=1,
            connect_timeout=2,
            pending_size=0,
            error_cb=self._on_error,
            reconnected_cb=self._on_reconnected,
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
        nats_target_id: str = notify_rules.DEFAULT_NATS_TARGET_ID,
        event_delay: float = 0.0,
    ) -> None:
        self.access_key = access_key
        self.secret_key = secret_key  # for clients to sign with; moto checks no signatures
        self.region = region
        self.port = port or free_port()
        self._target = _JetStreamTarget(nats_url, subject, queue_limit=queue_limit)
        self._deployment = events.Deployment(str(uuid.uuid4()), self.url)
        self._host_id = hashlib.sha256(self.endpoint.encode()).hexdigest()  # like MinIO's
        self._rules: dict[str, tuple[notify_rules.QueueRule, ...]] = {}
        self.nats_target_id = nats_target_id
        # > 0: answer uploads first, publish their events this many seconds later (queue_dir
        # with MINIO_API_SYNC_EVENTS off); 0: publish before answering (sync events on).
        self.event_delay = event_delay
        self._delayed: asyncio.Queue[tuple[float, dict[str, Any]]] = asyncio.Queue()
        self._delay_task: asyncio.Task[None] | None = None
        self._waiting_delay = 0  # events answered for, not yet handed to the NATS target
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
        """Events waiting for NATS (or for a stream on the subject), or for their delay."""
        return self._target.pending + self._waiting_delay

    @property
    def nats_target_arn(self) -> str:
        """The ARN MinIO gives the NATS target this stand-in plays."""
        return f"arn:minio:sqs::{self.nats_target_id}:{notify_rules.NATS_TARGET_TYPE}"

    async def start(self) -> None:
        """Start moto and the NATS target (once each) and the S3 endpoint on :attr:`port`."""
        if self._runner is not None:
            return
        if self._moto is None:
            moto_port = free_port()
            self._moto = ThreadedMotoServer(ip_address=_HOST, port=moto_port, verbose=False)
            await asyncio.to_thread(self._moto.start)
            await async_wait_for_port(_HOST, moto_port)
            self._moto_url = f"http://{_HOST}:{moto_port}"
        if self._session is None:
            timeout = aiohttp.ClientTimeout(total=None)
            self._session = aiohttp.ClientSession(auto_decompress=False, timeout=timeout)
        await self._target.start()
        if self._delay_task is None:
            self._delay_task = asyncio.create_task(self._deliver_delayed())
        runner = web.AppRunner(self._build_app(), access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        await web.TCPSite(runner, _HOST, self.port).start()
        self._runner = runner
        logger.info(
            "MinIO notifier stand-in (a double of MinIO's bucket notifications only, not of "
            "MinIO; objects live in moto at %s) serving S3 at %s, events to %s subject %r",
            self._moto_url,
            self.url,
            self._target.url,
            self._target.subject,
        )

    async def stop(self) -> None:
        """Take the S3 endpoint away; moto keeps the objects for a later :meth:`start`."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def close(self) -> None:
        """Stop the S3 endpoint, the NATS target and moto."""
        await self.stop()
        if self._delay_task is not None:
            self._delay_task.cancel()
            await asyncio.gather(self._delay_task, return_exceptions=True)
            self._delay_task = None
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
        wait that long; pass ``retry_after`` to reproduce it.
        """
        self._faults.append(_Fault(operation, status, code, times, retry_after))

    def set_latency(self, seconds: float) -> None:
        """Delay every S3 request (not health checks) by ``seconds``."""
        self._latency = seconds

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
        return web.Response()

    async def _health_ready(self, request: web.Request) -> web.Response:
        try:
            async with asyncio.timeout(2.0), self._own_request("GET", "/") as moto:
                ready = moto.status < 500
        except (TimeoutError, aiohttp.ClientError):
            ready = False
        return web.Response(status=200 if ready else 503)

    async def _handle_s3(self, request: web.Request) -> web.StreamResponse:
        if self._latency > 0:
            await asyncio.sleep(self._latency)
        bucket, key = events.split_path(request.raw_path)
        copy = "x-amz-copy-source" in request.headers
        operation = events.classify(request.method, bucket, key, request.query.keys(), copy)
        # MinIO's request ids: %X of the Unix time in nanoseconds.
        call = _Call(bucket, key, operation, request.path, f"{time.time_ns():X}")
        if events.header_size_too_large(request.headers.items()):
            # cmd/generic-handlers.go: user metadata over 2 KiB, or headers over 8 KiB.
            return self._error(call, 400, "MetadataTooLarge")
        fault = self._take_fault(events.fault_kind(request.method, key, operation))
        if fault is not None:
            response = self._error(call, fault.status, fault.code)
            if fault.retry_after is not None:
                response.headers["Retry-After"] = str(fault.retry_after)
            return response
        try:
            return await self._dispatch(request, call)
        except aiohttp.ClientError as exc:
            logger.warning("moto did not answer %s %s: %r", request.method, call.resource, exc)
            return self._error(call, 503, "ServiceUnavailable")

    def _take_fault(self, kind: str | None) -> _Fault | None:
        for fault in self._faults:
            if fault.operation in {"any", kind}:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    async def _dispatch(self, request: web.Request, call: _Call) -> web.StreamResponse:
        if call.operation in {events.Operation.PUT_NOTIFICATION, events.Operation.GET_NOTIFICATION}:
            return await self._notification(request, call)
        if call.operation is events.Operation.PUT_LIFECYCLE:
            return await self._put_lifecycle(request, call)
        if call.operation in events.EVENT_OPERATIONS:
            return await self._forward_with_events(request, call)
        if call.operation is events.Operation.DELETE_BUCKET:
            response, _ = await self._forward_buffered(request, call)
            if 200 <= response.status < 300:
                self._rules.pop(call.bucket, None)  # MinIO drops a deleted bucket's rules
            return response
        return await self._stream_through(request, call)

    def _error(self, call: _Call, status: int, code: str, message: str = "") -> web.Response:
        body = events.s3_error_xml(
            code=code,
            message=message or events.error_message(code),
            resource=call.resource,
            request_id=call.request_id,
            host_id=self._host_id,
            bucket=call.bucket,
            key=call.key,
        )
        headers = self._s3_headers(call)
        headers["Content-Type"] = "application/xml"
        return web.Response(status=status, body=body, headers=headers)

    def _s3_headers(
        self, call: _Call, upstream: Iterable[tuple[str, str]] = ()
    ) -> CIMultiDict[str]:
        """moto's headers worth relaying plus MinIO's request ids (which events repeat)."""
        headers = CIMultiDict(events.response_headers_for_client(upstream))
        headers.update({"X-Amz-Request-Id": call.request_id, "X-Amz-Id-2": self._host_id})
        return headers

    @asynccontextmanager
    async def _upstream(
        self, request: web.Request, body: bytes | None = None
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """The same request (path, query, headers, body) sent on to moto."""
        assert self._session is not None, "start() first"
        data: Any = body
        if body is None and request.body_exists:
            data = request.content  # streamed through, never read whole into memory
        async with self._session.request(
            request.method,
            URL(self._moto_url + request.raw_path, encoded=True),
            headers=events.request_headers_for_upstream(request.headers.items()),
            data=data,
            allow_redirects=False,
            skip_auto_headers=_SKIP_AUTO_HEADERS,
        ) as response:
            yield response

    @asynccontextmanager
    async def _own_request(self, method: str, path: str) -> AsyncIterator[aiohttp.ClientResponse]:
        """A request of the stand-in's own; moto picks the service from the credential scope."""
        assert self._session is not None, "start() first"
        auth = (
            f"AWS4-HMAC-SHA256 Credential={self.access_key}/20000101/{self.region}/s3/"
            "aws4_request, SignedHeaders=host, Signature=0"
        )
        url = URL(self._moto_url + quote(path, safe="/"), encoded=True)
        async with self._session.request(method, url, headers={"Authorization": auth}) as response:
            yield response

    async def _stream_through(self, request: web.Request, call: _Call) -> web.StreamResponse:
        async with self._upstream(request) as upstream:
            headers = self._s3_headers(call, upstream.headers.items())
            response = web.StreamResponse(status=upstream.status, headers=headers)
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
        """Forward (a request body not given is still streamed); keep moto's small answer."""
        async with self._upstream(request, body) as upstream:
            payload = await upstream.read()
            headers = self._s3_headers(call, upstream.headers.items())
            return web.Response(status=upstream.status, body=payload, headers=headers), payload

    async def _forward_with_events(self, request: web.Request, call: _Call) -> web.StreamResponse:
        """Forward a write or delete and, once moto agreed, publish before answering."""
        if not self._rules.get(call.bucket):
            return await self._stream_through(request, call)  # nothing to notify about
        is_batch = call.operation is events.Operation.DELETE_OBJECTS
        request_body = await request.read() if is_batch else None
        existed = True
        if call.operation is events.Operation.DELETE_OBJECT:
            existed = await self._head_object(call) is not None
        response, payload = await self._forward_buffered(request, call, request_body)
        observed_ns = time.time_ns()
        if not events.succeeded(response.status, payload):
            return response
        state = None
        if call.operation in events.CREATED_OPERATIONS:
            state = await self._head_object(call)
            if state is None:
                logger.warning("%s/%s vanished before its event was built", call.bucket, call.key)
        specs = events.event_specs(
            call.operation,
            call.bucket,
            call.key,
            response_body=payload,
            now_ns=time.time_ns(),
            observed_ns=observed_ns,
            state=state,
            request_body=request_body or b"",
            existed=existed,
            version_id=events.version_id_header(response.headers),
        )
        await self._publish(specs, self._request_info(request, call))
        return response

    async def _publish(self, specs: list[events.EventSpec], info: events.RequestInfo) -> None:
        for spec in specs:
            rules = self._rules.get(spec.bucket, ())
            if notify_rules.rules_match(rules, spec.event_name, spec.object_name):
                record = events.build_record(spec, info, self._deployment)
                payload = events.build_log(record)
                if self.event_delay > 0:
                    due = asyncio.get_running_loop().time() + self.event_delay
                    self._waiting_delay += 1
                    self._delayed.put_nowait((due, payload))
                else:
                    await self._target.deliver(payload)

    async def _deliver_delayed(self) -> None:
        """Events of the asynchronous mode, in order, each ``event_delay`` after its request."""
        loop = asyncio.get_running_loop()
        while True:
            due, payload = await self._delayed.get()
            await asyncio.sleep(max(0.0, due - loop.time()))
            try:
                await self._target.deliver(payload)
            finally:
                self._waiting_delay -= 1

    async def _put_lifecycle(self, request: web.Request, call: _Call) -> web.StreamResponse:
        """Validate as MinIO does and hand moto only what MinIO would keep."""
        try:
            body = normalise_lifecycle(await request.read())
        except LifecycleConfigError as exc:
            return self._error(call, exc.status, exc.code, exc.message)
        # The body changed, so its checksum headers would no longer match.
        headers = [
            (key, value)
            for key, value in events.request_headers_for_upstream(request.headers.items())
            if key.lower() not in {"content-md5", "content-length", "x-amz-content-sha256"}
            and not key.lower().startswith("x-amz-checksum-")
        ]
        headers.append(
            (
                "Content-MD5",
                base64.b64encode(hashlib.md5(body, usedforsecurity=False).digest()).decode(),
            )
        )
        assert self._session is not None, "start() first"
        async with self._session.request(
            "PUT",
            URL(self._moto_url + request.raw_path, encoded=True),
            headers=headers,
            data=body,
            skip_auto_headers=_SKIP_AUTO_HEADERS,
        ) as upstream:
            payload = await upstream.read()
            response_headers = self._s3_headers(call, upstream.headers.items())
            return web.Response(status=upstream.status, body=payload, headers=response_headers)

    def _request_info(self, request: web.Request, call: _Call) -> events.RequestInfo:
        return events.RequestInfo(
            principal_id=events.access_key_from(request.headers, request.query),
            source_ip=events.source_ip(request.headers, request.remote or ""),
            user_agent=request.headers.get("User-Agent", ""),
            request_id=call.request_id,
            host_id=self._host_id,
        )

    async def _head_object(self, call: _Call) -> events.ObjectState | None:
        async with self._own_request("HEAD", f"/{call.bucket}/{call.key}") as response:
            return (
                events.object_state_from_head(response.headers) if response.status == 200 else None
            )

    async def _notification(self, request: web.Request, call: _Call) -> web.Response:
        """Get or Put a bucket's notification rules, kept here rather than in moto."""
        async with self._own_request("HEAD", f"/{call.bucket}") as bucket:
            if bucket.status != 200:
                return self._error(call, 404, "NoSuchBucket")
        headers = self._s3_headers(call)
        if call.operation is events.Operation.GET_NOTIFICATION:
            headers["Content-Type"] = "application/xml"
            body = notify_rules.render_notification_config(self._rules.get(call.bucket, ()))
            return web.Response(body=body, headers=headers)
        try:
            rules = notify_rules.parse_notification_config(
                await request.read(),
                region=self.region,
                targets=(notify_rules.nats_target(self.nats_target_id),),
            )
        except notify_rules.NotificationConfigError as exc:
            return self._error(call, exc.status, exc.code, exc.message)
        self._rules[call.bucket] = rules
        if not rules:
            del self._rules[call.bucket]  # an empty configuration removes the rules
        return web.Response(headers=headers)
