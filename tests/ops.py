"""Helpers for tests of the operators' endpoints: authenticated GETs and /metrics polling."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import aiohttp

from tests.services import STATUS_TEST_TOKEN
from voxpersona.observability.kpis import Samples

AUTH = {"Authorization": f"Bearer {STATUS_TEST_TOKEN}"}


async def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as response:
        return response.status, await response.text()


async def api_status(base: str) -> dict[str, Any]:
    status, text = await get(f"{base}/api/status", AUTH)
    assert status == 200, text
    document: dict[str, Any] = json.loads(text)
    return document


async def scrape(base: str) -> Samples:
    status, text = await get(f"{base}/metrics", AUTH)
    assert status == 200, text
    samples = Samples()
    samples.add_text(text)
    return samples


async def scrape_until(base: str, ready: Callable[[Samples], bool], timeout: float = 30) -> Samples:
    """Poll /metrics until ``ready`` holds (the work it waits for is asynchronous)."""
    async with asyncio.timeout(timeout):
        while True:
            samples = await scrape(base)
            if ready(samples):
                return samples
            await asyncio.sleep(0.2)
