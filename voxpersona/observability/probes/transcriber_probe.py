"""The transcription engine, checked without spending a transcription.

OpenAI (or compatible): ``GET /v1/models/{model}`` proves the server is reachable, the key is
accepted and the model is offered. Local Whisper: the engine is installed and the model is on
disk (a directory, or already in the download cache); the model is not loaded.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import openai

from voxpersona.observability.health import Check, DependencyHealth, degraded, down, ok
from voxpersona.settings import OpenAISettings, VoxSettings


def judge_openai_error(exc: openai.OpenAIError, model: str) -> Check:
    """Unreachable or rejected credentials: down. Throttled or model unknown: degraded."""
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return down("credentials", f"rejected (HTTP {exc.status_code}): check OPENAI_API_KEY")
    if isinstance(exc, openai.NotFoundError):
        return degraded("model", f"{model!r} not offered by the server")
    if isinstance(exc, openai.RateLimitError):
        return degraded("reachable", "rate limited (HTTP 429)")
    if isinstance(exc, openai.APITimeoutError):
        return down("reachable", "timed out")
    if isinstance(exc, openai.APIConnectionError):
        return down("reachable", "cannot connect to the transcription API")
    if isinstance(exc, openai.APIStatusError):
        return down("reachable", f"server error (HTTP {exc.status_code})")
    return down("reachable", type(exc).__name__)


async def probe_openai(
    settings: OpenAISettings, model: str, *, timeout: float = 5.0
) -> DependencyHealth:
    if settings.api_key is None:
        return DependencyHealth("transcriber", (down("credentials", "OPENAI_API_KEY is not set"),))
    client = openai.AsyncOpenAI(
        api_key=settings.api_key.get_secret_value(),
        base_url=settings.base_url,
        timeout=timeout,
        max_retries=0,
    )
    try:
        await client.models.retrieve(model)
    except openai.OpenAIError as exc:
        return DependencyHealth("transcriber", (judge_openai_error(exc, model),))
    finally:
        await client.close()
    where = settings.base_url or "OpenAI"
    return DependencyHealth(
        "transcriber",
        (
            ok("reachable", f"{where} answers", engine="openai"),
            ok("credentials", "accepted"),
            ok("model", f"{model} offered", model=model),
        ),
    )


def _device(requested: str) -> str:
    """The device the reactor will pick (``auto``: CUDA when CTranslate2 sees a GPU)."""
    if requested != "auto":
        return requested
    import ctranslate2

    return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"


def _find_local_model(vox: VoxSettings) -> Check:
    try:
        from faster_whisper.utils import download_model
    except ImportError:
        return down("engine", "faster-whisper is not installed: pip install 'voxpersona[local]'")
    name = vox.whisper_model
    device = _device(vox.whisper_device)
    if Path(name).is_dir():
        found = (Path(name) / "model.bin").exists()
        if found:
            return ok(
                "model",
                f"model directory {name} on {device}",
                model=name,
                engine="local",
                device=device,
            )
        return down("model", f"{name} has no model.bin", model=name)
    try:
        download_model(name, local_files_only=True, cache_dir=vox.whisper_download_root)
    except Exception:
        return degraded("model", f"{name!r} not downloaded yet: the reactor fetches it at start")
    return ok(
        "model",
        f"{name} in the local cache, on {device}",
        model=name,
        engine="local",
        device=device,
    )


async def probe_local(vox: VoxSettings) -> DependencyHealth:
    return DependencyHealth("transcriber", (await asyncio.to_thread(_find_local_model, vox),))


async def probe_transcriber(
    engine: str, openai_settings: OpenAISettings, vox: VoxSettings, *, timeout: float = 5.0
) -> DependencyHealth:
    """``engine``: ``openai`` or ``local``, as the reactor would choose it."""
    if engine == "local":
        return await probe_local(vox)
    return await probe_openai(openai_settings, vox.transcription_model, timeout=timeout)
