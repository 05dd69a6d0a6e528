"""``voxpersona diarization``: fetch a production speaker model ahead of time, check a model.

The reactor never downloads at run time: an operator fetches the model once (``fetch``), points
``VOXPERSONA_DIARIZATION_MODEL`` at the file, and ``check`` proves it loads and embeds.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import ssl
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import certifi

# Public speaker-embedding exports (no token needed). Their bytes may change upstream: pass
# --sha256 to pin the file you reviewed.
KNOWN_MODELS = {
    "wespeaker-resnet34": (
        "https://huggingface.co/Wespeaker/wespeaker-voxceleb-resnet34/resolve/main/"
        "voxceleb_resnet34.onnx"
    ),
    "campplus-en": (
        "https://huggingface.co/csukuangfj/speaker-embedding-models/resolve/main/"
        "3dspeaker_speech_campplus_sv_en_voxceleb_16k.onnx"
    ),
    "campplus-zh-en": (
        "https://huggingface.co/csukuangfj/speaker-embedding-models/resolve/main/"
        "3dspeaker_speech_campplus_sv_zh_en_16k-common_advanced.onnx"
    ),
}
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
CHUNK = 1 << 20


class FetchError(Exception):
    """The model could not be fetched or did not verify; the message says why."""


def model_url(name: str | None, url: str | None) -> str:
    """The URL to fetch: ``--url``, or a known model's."""
    if url is None:
        if name is None:
            raise FetchError(f"name a model ({', '.join(KNOWN_MODELS)}) or pass --url")
        if name not in KNOWN_MODELS:
            raise FetchError(f"unknown model {name!r}; known: {', '.join(KNOWN_MODELS)}")
        return KNOWN_MODELS[name]
    parsed = urlparse(url)
    # Plain http only from this machine (a local mirror); anything else must be https.
    if parsed.scheme != "https" and not (parsed.scheme == "http" and parsed.hostname in LOOPBACK):
        raise FetchError("--url must be https:// (http:// only for a loopback mirror)")
    if not parsed.path.endswith((".onnx", ".npz")):
        raise FetchError("--url must name a .onnx or .npz file")
    return url


def fetch(url: str, directory: Path, *, sha256: str | None, force: bool) -> Path:
    """Download ``url`` into ``directory`` (atomically), verify, return the file's path."""
    target = directory / Path(urlparse(url).path).name
    if target.exists() and not force:
        if sha256 is not None and _digest(target) != sha256.lower():
            raise FetchError(f"{target} exists with another sha256 (use --force to replace it)")
        return target
    directory.mkdir(parents=True, exist_ok=True)
    context = ssl.create_default_context(cafile=certifi.where())
    digest = hashlib.sha256()
    handle, temporary = tempfile.mkstemp(dir=directory, suffix=".part")
    try:
        with (
            os.fdopen(handle, "wb") as out,
            urllib.request.urlopen(url, timeout=60, context=context) as response,
        ):
            while chunk := response.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
        if sha256 is not None and digest.hexdigest() != sha256.lower():
            raise FetchError(f"sha256 mismatch: got {digest.hexdigest()}")
        os.replace(temporary, target)
    except OSError as exc:
        raise FetchError(f"cannot fetch {url}: {exc}") from exc
    finally:
        Path(temporary).unlink(missing_ok=True)
    return target


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_model(path: Path | None) -> str:
    """Load the model and embed two seconds of noise; returns the model's name."""
    import numpy as np

    from reactor.diarization.models_loading import load_embedder

    embedder = load_embedder(path)
    rate = embedder.sample_rate
    noise = np.random.default_rng(0).normal(scale=0.1, size=2 * rate).astype(np.float32)
    window = round(embedder.window_seconds * rate)
    embeddings = embedder.embed(noise, [(0, window)])
    if embeddings.shape[0] != 1 or not np.isfinite(embeddings).all():
        raise FetchError(f"{embedder.name} returned no usable embedding")
    return f"{embedder.name} ({embeddings.shape[1]} dimensions)"


def register(commands: Any) -> None:
    parser = commands.add_parser("diarization", help="speaker models: fetch, check")
    sub = parser.add_subparsers(dest="diarization_command", required=True)
    get = sub.add_parser("fetch", help="download a speaker-embedding model ahead of time")
    get.add_argument("model", nargs="?", choices=sorted(KNOWN_MODELS), help="a known model")
    get.add_argument("--url", help="any https URL of a .onnx (or GE2E .npz) model instead")
    get.add_argument("--dir", type=Path, default=Path("models"), help="where to put it")
    get.add_argument("--sha256", help="refuse the file unless it has this digest")
    get.add_argument("--force", action="store_true", help="replace an existing file")
    get.set_defaults(handler=_run_fetch)
    check = sub.add_parser("check", help="load a model and compute one embedding")
    check.add_argument("path", nargs="?", type=Path, help="model file (default: the bundled one)")
    check.set_defaults(handler=_run_check)


def _run_fetch(args: argparse.Namespace) -> int:
    try:
        url = model_url(args.model, args.url)
        path = fetch(url, args.dir, sha256=args.sha256, force=args.force)
        described = check_model(path)
    except FetchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{path}: {described}")
    print(f"VOXPERSONA_DIARIZATION_MODEL={path.resolve()}")
    return 0


def _run_check(args: argparse.Namespace) -> int:
    try:
        print(check_model(args.path))
    except FetchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
