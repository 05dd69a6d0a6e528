"""Speaker models from a configured path: the ONNX embedder (a real onnxruntime session) and
``voxpersona diarization fetch`` / ``check`` against a loopback mirror."""

from __future__ import annotations

import hashlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from reactor.diarization.base import SpeakerBounds
from reactor.diarization.engine import DiarizerOptions, LocalDiarizer
from reactor.diarization.ge2e import bundled_model_path
from reactor.diarization.onnx_embedder import fbank, kaldi_mel_banks
from tests.cli import run_voxpersona
from tests.conversations import conversation


def tiny_speaker_model(path: Path) -> None:
    """A (batch, frames, 80) -> (batch, 16) network: mean over frames, then a projection.
    The shape of WeSpeaker / CAM++ exports, so the loading and batching code is exercised."""
    projection = np.random.default_rng(5).normal(size=(80, 16)).astype(np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("ReduceMean", ["feats"], ["pooled"], axes=[1], keepdims=0),
            helper.make_node("MatMul", ["pooled", "projection"], ["embs"]),
        ],
        "tiny-speaker",
        [helper.make_tensor_value_info("feats", TensorProto.FLOAT, ["B", "T", 80])],
        [helper.make_tensor_value_info("embs", TensorProto.FLOAT, ["B", 16])],
        [numpy_helper.from_array(projection, "projection")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))


def test_kaldi_features_have_the_expected_shape_and_band() -> None:
    assert kaldi_mel_banks().shape == (80, 257)
    tone = 0.3 * np.sin(2 * np.pi * 1000 * np.arange(16_000) / 16_000).astype(np.float32)
    features = fbank(tone)
    assert features.shape == (98, 80)  # (16000 - 400) // 160 + 1 frames, Kaldi's snip_edges
    centre = np.argmax(kaldi_mel_banks()[:, round(1000 * 512 / 16_000)])
    assert int(np.argmax(features[50])) == centre


def test_an_onnx_model_loads_from_its_path_and_diarizes(tmp_path: Path) -> None:
    path = tmp_path / "speaker.onnx"
    tiny_speaker_model(path)
    engine = LocalDiarizer.load(DiarizerOptions(model_path=path))
    try:
        assert engine.model == "onnx:speaker"
        audio, _ = conversation([("a", "en_male_0"), ("b", "en_female_0"), ("a", "en_male_1")])
        result = engine.diarize_samples(audio, SpeakerBounds(exact=2))
        assert result.model == "onnx:speaker"
        assert result.speakers >= 1
        assert result.turns
    finally:
        engine.close()


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A loopback HTTP server over a folder (an operator's local model mirror)."""
    folder = tmp_path / "mirror"
    folder.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(folder), **kwargs)  # type: ignore[arg-type]

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", folder
    finally:
        server.shutdown()
        server.server_close()


async def test_fetch_downloads_verifies_and_checks_the_model(
    mirror: tuple[str, Path], tmp_path: Path
) -> None:
    base, folder = mirror
    tiny_speaker_model(folder / "speaker.onnx")
    digest = hashlib.sha256((folder / "speaker.onnx").read_bytes()).hexdigest()
    target = tmp_path / "models"
    url = f"{base}/speaker.onnx"
    code, output = await run_voxpersona(
        "diarization", "fetch", "--url", url, "--dir", str(target), "--sha256", digest, env={}
    )
    assert code == 0, output
    assert f"VOXPERSONA_DIARIZATION_MODEL={(target / 'speaker.onnx').resolve()}" in output
    assert "onnx:speaker (16 dimensions)" in output
    code, output = await run_voxpersona(
        "diarization",
        "fetch",
        "--url",
        url,
        "--dir",
        str(tmp_path / "other"),
        "--sha256",
        "0" * 64,
        env={},
    )
    assert code == 2
    assert "sha256 mismatch" in output
    assert not (tmp_path / "other" / "speaker.onnx").exists()
    assert not list((tmp_path / "other").glob("*.part"))


async def test_fetch_refuses_bad_arguments(tmp_path: Path) -> None:
    code, output = await run_voxpersona("diarization", "fetch", env={})
    assert (code, "name a model" in output) == (2, True)
    code, output = await run_voxpersona(
        "diarization", "fetch", "--url", "http://example.com/model.onnx", env={}
    )
    assert (code, "must be https://" in output) == (2, True)
    code, output = await run_voxpersona(
        "diarization", "fetch", "--url", "https://example.com/model.bin", env={}
    )
    assert (code, ".onnx or .npz" in output) == (2, True)
    code, output = await run_voxpersona("diarization", "fetch", "no-such-model", env={})
    assert code == 2
    assert "invalid choice" in output


async def test_check_loads_the_bundled_model_from_its_path(tmp_path: Path) -> None:
    code, output = await run_voxpersona("diarization", "check", env={})
    assert (code, output.strip()) == (0, "resemblyzer-ge2e (256 dimensions)")
    copy = tmp_path / "ge2e-copy.npz"
    copy.write_bytes(bundled_model_path().read_bytes())
    code, output = await run_voxpersona("diarization", "check", str(copy), env={})
    assert (code, output.strip()) == (0, "ge2e:ge2e-copy (256 dimensions)")
    code, output = await run_voxpersona("diarization", "check", str(tmp_path / "x.onnx"), env={})
    assert code != 0
    assert "does not exist" in output
