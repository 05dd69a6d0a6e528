"""``voxpersona models fetch``: download a Whisper model into the cache before it is needed.

The reactor's local engine loads ``VOXPERSONA_WHISPER_MODEL`` at start-up and downloads it when
it is not cached, which makes a first start slow and needs the internet at that moment. Run this
once (docker compose: ``docker compose run --rm reactor voxpersona models fetch``) to fill the
cache (``VOXPERSONA_WHISPER_DOWNLOAD_ROOT``, the ``whisper_models`` volume) ahead of time.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from voxpersona.settings import VoxSettings, load_settings

EXIT_OK, EXIT_FAILED, EXIT_UNAVAILABLE = 0, 1, 2


def fetch(model: str, cache_dir: str | None) -> int:
    """Download ``model`` (a faster-whisper name) into ``cache_dir``; report where it is."""
    if Path(model).is_dir():
        if not (Path(model) / "model.bin").exists():
            print(f"error: {model} is a directory without model.bin")
            return EXIT_FAILED
        print(f"{model} is a model directory: nothing to fetch")
        return EXIT_OK
    try:
        from faster_whisper.utils import download_model
    except ImportError:
        print("error: the local engine is not installed: pip install 'voxpersona[local]'")
        return EXIT_UNAVAILABLE
    try:
        path = download_model(model, cache_dir=cache_dir)
    except ValueError as exc:  # an unknown model name
        print(f"error: {exc}")
        return EXIT_FAILED
    except Exception as exc:  # huggingface_hub: network, offline mode, disk
        print(f"error: {model!r} could not be fetched ({type(exc).__name__}: {exc})")
        return EXIT_FAILED
    print(f"{model} is ready in {path}")
    return EXIT_OK


def register(commands: Any) -> None:
    parser = commands.add_parser("models", help="Whisper models for the local engine")
    sub = parser.add_subparsers(dest="models_command", required=True)
    fetch_parser = sub.add_parser(
        "fetch", help="download a model into the cache (VOXPERSONA_WHISPER_DOWNLOAD_ROOT)"
    )
    fetch_parser.add_argument(
        "--model", help="model name or directory (default: VOXPERSONA_WHISPER_MODEL)"
    )
    fetch_parser.set_defaults(handler=_fetch)


def _fetch(args: argparse.Namespace) -> int:
    vox = load_settings(VoxSettings)
    return fetch(args.model or vox.whisper_model, vox.whisper_download_root)
