"""Collections another program made (a RAG application's store: no EmbedLab metadata, any
dimension, documents or not): listed, mapped, clustered, searched with a catalogue model of the
same dimension or by a stored row's vector, and what is missing said; embedded and server."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from embedlab.errors import InputError
from embedlab.store import close_all_stores, open_store

pytestmark = pytest.mark.both_stores

RNG = np.random.default_rng(7)
RAG_TEXTS = [f"handbook chunk {i}: {['refunds and returns', 'shipping times', 'account passwords', 'gift cards'][i % 4]}"
             for i in range(48)]
BARE = RNG.normal(size=(30, 96)).astype(np.float32)


def client() -> object:
    """A plain chromadb client on the same store EmbedLab uses, as another program would open it."""
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False)
    url = os.environ.get("EMBEDLAB_CHROMA_URL")
    if url:
        host, port = url.rsplit("//", 1)[1].split(":")
        return chromadb.HttpClient(host=host, port=int(port), settings=settings)
    path = Path(os.environ["EMBEDLAB_HOME"]) / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=settings)


@pytest.fixture
def foreign() -> np.ndarray:
    """A RAG store's collection (MiniLM vectors, documents, its own metadata) and a bare one
    (96-d random vectors, no documents); returns the RAG vectors."""
    from embedlab.backends import get_text_encoder

    close_all_stores()
    rag_vectors = get_text_encoder("minilm").encode(RAG_TEXTS)
    other = client()
    rag = other.create_collection("rag_docs", metadata={"hnsw:space": "cosine"})  # type: ignore[attr-defined]
    rag.add(ids=[f"doc{i}" for i in range(48)], embeddings=rag_vectors.tolist(), documents=RAG_TEXTS,
            metadatas=[{"source": f"file{i % 3}.pdf", "page": i} for i in range(48)])
    bare = other.create_collection("bare_vectors")  # type: ignore[attr-defined]
    bare.add(ids=[f"v{i}" for i in range(30)], embeddings=BARE.tolist())
    del other
    return rag_vectors


def test_foreign_collections_are_listed_with_their_dimension(foreign: np.ndarray) -> None:
    infos = {i.dataset: i for i in open_store().collections()}
    assert infos["rag_docs"].foreign and infos["rag_docs"].dim == 384 and infos["rag_docs"].count == 48
    assert infos["bare_vectors"].foreign and infos["bare_vectors"].dim == 96 and infos["bare_vectors"].backend == ""


@pytest.mark.slow
def test_a_text_search_needs_a_model_of_the_same_dimension_and_equals_numpy(foreign: np.ndarray) -> None:
    from embedlab.analysis.search import search_collection, search_like
    from embedlab.backends import get_text_encoder

    with pytest.raises(InputError, match="made by another program.*384-d vectors.*minilm has 384 dimensions"):
        search_collection("rag_docs", "how do I return an item")
    with pytest.raises(InputError, match="'minilm' makes 384-d vectors; collection 'bare_vectors' holds 96-d"):
        search_collection("bare_vectors", "anything", model="minilm")
    found = search_collection("rag_docs", "how do I return an item", 5, model="minilm")
    query = get_text_encoder("minilm").encode(["how do I return an item"])[0]
    truth = np.argsort(-(foreign @ query))[:5]
    assert [hit.id for hit in found.hits] == [f"doc{i}" for i in truth]
    assert "refunds" in found.hits[0].text

    like = search_like("bare_vectors", "v3", 4)
    unit = BARE / np.linalg.norm(BARE, axis=1, keepdims=True)
    scores = unit @ unit[3]
    scores[3] = -np.inf
    assert [hit.id for hit in like.hits] == [f"v{i}" for i in np.argsort(-scores)[:4]]
    assert np.allclose([hit.score for hit in like.hits], np.sort(scores)[::-1][:4], atol=1e-5)


@pytest.mark.slow
def test_foreign_collections_map_cluster_and_export(foreign: np.ndarray, tmp_path: Path) -> None:
    from embedlab.cli import main

    assert main(["project", "bare_vectors", "--method", "pca", "--out", str(tmp_path / "map.csv")]) == 0
    lines = (tmp_path / "map.csv").read_text().splitlines()
    assert lines[0].startswith("id,") and len(lines) == 31
    assert main(["cluster", "rag_docs", "--k", "4", "--json"]) == 0


@pytest.mark.slow
def test_the_cli_lists_and_searches_foreign_collections(foreign: np.ndarray, capsys: pytest.CaptureFixture[str]) -> None:
    from embedlab.cli import main

    assert main(["collections"]) == 0
    out = capsys.readouterr().out
    assert "? (96-d)" in out and "? (384-d)" in out and "made by another program" in out
    assert main(["collections", "--json"]) == 0
    rows = {c["dataset"]: c for c in json.loads(capsys.readouterr().out)["collections"]}
    assert rows["bare_vectors"]["foreign"] is True and rows["bare_vectors"]["model"] is None
    assert main(["search", "rag_docs", "forgot my password", "--model", "minilm", "-k", "1", "--json"]) == 0
    assert "account passwords" in json.loads(capsys.readouterr().out)["results"][0]["text"]
    assert main(["search", "bare_vectors", "--like", "v0", "-k", "2"]) == 0
    assert "[v" in capsys.readouterr().out
    assert main(["search", "rag_docs", "refunds"]) == 2
    assert "name a text model of the same dimension" in capsys.readouterr().err


@pytest.mark.slow
def test_the_explore_page_maps_a_foreign_collection_and_says_what_is_missing(foreign: np.ndarray) -> None:
    from streamlit.testing.v1 import AppTest

    close_all_stores()
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "pages" / "explore.py"), default_timeout=240)
    at.query_params["explore_collection"] = "rag_docs"
    at.query_params["explore_method"] = "pca"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("was made by another program" in i.value for i in at.info)
    model = next(s for s in at.selectbox if s.label.startswith("Text model for search (384-d"))
    assert model.value == "minilm"
    at.text_input(key="explore_query").input("forgot my password").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Top 10 for" in m.value for m in at.markdown)
