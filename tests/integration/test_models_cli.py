"""``voxpersona models fetch``, run as an operator would (no network: a model directory, an
unknown name, and an uncached model in offline mode)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.cli import SERVICE_PREFIXES, run_voxpersona


async def test_a_model_directory_needs_no_fetch(tmp_path: Path) -> None:
    (tmp_path / "model.bin").write_bytes(b"\0")
    code, out = await run_voxpersona("models", "fetch", "--model", str(tmp_path), env={})
    assert code == 0, out
    assert "nothing to fetch" in out
    empty = tmp_path / "empty"
    empty.mkdir()
    code, out = await run_voxpersona("models", "fetch", "--model", str(empty), env={})
    assert code == 1
    assert "without model.bin" in out


async def test_unknown_name_and_offline_failures_are_clear(tmp_path: Path) -> None:
    env = {"VOXPERSONA_WHISPER_DOWNLOAD_ROOT": str(tmp_path), "HF_HUB_OFFLINE": "1"}
    code, out = await run_voxpersona(
        "models", "fetch", "--model", "no-such-size", env=env, drop=SERVICE_PREFIXES
    )
    assert code == 1
    assert "no-such-size" in out
    # The default model from the settings, not cached here and no network allowed.
    env["VOXPERSONA_WHISPER_MODEL"] = "tiny"
    code, out = await run_voxpersona("models", "fetch", env=env, drop=SERVICE_PREFIXES)
    assert code == 1
    assert "'tiny' could not be fetched" in out
    assert not list(await asyncio.to_thread(lambda: list(tmp_path.rglob("model.bin"))))
