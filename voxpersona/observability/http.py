"""The operators' HTTP endpoints of one service (aiohttp).

``/healthz``  the process is alive (always 200 while the event loop turns).
``/readyz``   every dependency usable: 200, else 503; JSON body with the checks.
``/metrics``  Prometheus text format.
``/status``   the status page (reactor), ``/api/status`` the JSON it renders.

Bound to 127.0.0.1 by default. With ``VOXPERSONA_STATUS_TOKEN`` set, ``/metrics``, ``/status``
and ``/api/status`` need it (``Authorization: Bearer …`` or ``?token=…``); binding to any other
address without a token is refused at start-up. ``/healthz`` and ``/readyz`` stay open: they
reveal nothing but up/down, and container healthchecks call them.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client import CONTENT_TYPE_LATEST

from voxpersona.logging import get_logger
from voxpersona.observability.health import Status
from voxpersona.observability.metrics import Metrics
from voxpersona.observability.readiness import Readiness

log = get_logger(__name__)

StatusProvider = Callable[[], Awaitable[dict[str, Any]]]
Refresh = Callable[[], Awaitable[None]]
_PROTECTED = ("/metrics", "/status", "/api/status")


class ExposureError(ValueError):
    """The HTTP server would be reachable from other hosts without a token."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, token: str | None) -> None:
    """Refuse to serve metrics and the status page beyond this machine without a token."""
    if not token and not is_loopback(host):
        raise ExposureError(
            f"VOXPERSONA_HTTP_HOST={host} is reachable from other hosts: "
            "set VOXPERSONA_STATUS_TOKEN or bind to 127.0.0.1"
        )


def token_matches(request: web.Request, token: str) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not given:
        given = request.query.get("token", "")
    return hmac.compare_digest(given.strip().encode(), token.encode())


def status_page() -> bytes:
    """The page, shipped as package data."""
    return (resources.files("voxpersona.observability") / "static" / "status.html").read_bytes()


class ObservabilityServer:
    """One aiohttp server; ``start()`` binds, ``stop()`` releases. Port 0 means disabled."""

    def __init__(
        self,
        *,
        service: str,
        metrics: Metrics,
        readiness: Readiness,
        host: str = "127.0.0.1",
        port: int,
        token: str | None = None,
        refresh: Refresh | None = None,
        status: StatusProvider | None = None,
    ) -> None:
        check_exposure(host, token)
        self.service = service
        self.host = host
        self.port = port
        self._metrics = metrics
        self._readiness = readiness
        self._token = token or None
        self._refresh = refresh
        self._status = status
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._guard])
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics_handler)
        if self._status is not None:
            app.router.add_get("/status", self._status_page)
            app.router.add_get("/api/status", self._api_status)
        return app

    async def start(self) -> None:
        if self.port == 0 or self._runner is not None:
            return
        runner = web.AppRunner(self.build_app(), access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.port).start()
        except OSError as exc:
            await runner.cleanup()
            # The service itself can work without it; say loudly that operators can't see it.
            log.error("http.unavailable", host=self.host, port=self.port, reason=str(exc))
            return
        self._runner = runner
        log.info("http.listening", service=self.service, url=self.url)

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if self._token and request.path in _PROTECTED and not token_matches(request, self._token):
            return web.json_response(
                {"error": "a valid token is required (VOXPERSONA_STATUS_TOKEN)"},
                status=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        return await handler(request)

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "alive", "service": self.service})

    async def _readyz(self, request: web.Request) -> web.Response:
        report = await self._readiness.current()
        ready = report.status is not Status.DOWN
        body = {"ready": ready, "service": self.service, **report.as_dict()}
        return web.json_response(body, status=200 if ready else 503)

    async def _metrics_handler(self, request: web.Request) -> web.Response:
        if self._refresh is not None:
            await self._refresh()
        response = web.Response(body=self._metrics.exposition())
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    async def _status_page(self, request: web.Request) -> web.Response:
        return web.Response(
            body=status_page(),
            content_type="text/html",
            charset="utf-8",
            headers={"Cache-Control": "no-store", "Content-Security-Policy": _CSP},
        )

    async def _api_status(self, request: web.Request) -> web.Response:
        assert self._status is not None
        if self._refresh is not None:
            await self._refresh()
        document = await self._status()
        return web.json_response(
            document, dumps=lambda d: json.dumps(d, ensure_ascii=False), headers=_NO_STORE
        )


# The page loads nothing from anywhere else: inline script and style, same-origin fetches only.
_CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'"
)
_NO_STORE = {"Cache-Control": "no-store"}
