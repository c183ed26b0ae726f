"""Explore benchmark on the full health-tweets corpus (63,326 texts), ours versus the bare
libraries in the same run, on the same machine.

1. Ingest: ``ingest_dataset`` (parse, ids, skip-existing check, encode overlapped with Chroma
   writes, manifest) versus bare ``SentenceTransformer.encode`` of the same texts with the same
   model object + ``collection.add`` in max-size batches.   Goal: ours >= 0.9x bare throughput.
2. Re-ingest of the same data (encodes nothing).
3. UMAP 2-D: ``embedlab.maps.projection.project`` (cache off) versus bare
   ``umap.UMAP(...).fit_transform`` with the same parameters and seed, both after numba warm-up;
   and bare ``umap.UMAP().fit_transform`` with the library defaults (euclidean, unseeded, so
   parallel) versus ours with the same settings (``parallel=True``, euclidean).
   Goal: ours >= 0.95x bare, in both pairings.
4. k-means (k=16) and HDBSCAN on the full corpus (HDBSCAN via the 16-d PCA beyond 10k points).
5. Re-open of the mapped corpus in a fresh process: snapshot + cached map + cached clusters +
   hover text + the plotly figure serialised.   Goal: < 2 s.
6. Peak memory (max RSS) of this process and of the re-open process.

Usage: ``python bench/explore.py [--limit N] [--home DIR]``. Prints one line per figure and a
JSON summary at the end. It takes several minutes on 2 cores (two full encodes of 63k texts).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from report import figure  # bench/report.py (scripts run from bench/)

REOPEN = r"""
import json, sys, time
def peak_mb():
    # VmHWM: this process's own peak (ru_maxrss would carry the parent's over fork + exec)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
started_imports = time.perf_counter()
import embedlab
from embedlab.maps.clustering import ClusterParams, cluster
from embedlab.corpus import load_corpus
from embedlab.maps.projection import ProjectionParams, project
from embedlab.corpus import corpus_hover
from embedlab.maps.view import colours_for
import chromadb  # a running app has imported it at start-up
imports = time.perf_counter() - started_imports
started = time.perf_counter()
corpus = load_corpus(sys.argv[1])
loaded = time.perf_counter() - started
projection = project(corpus.vectors, ProjectionParams(), digest=corpus.digest)
clusters = cluster(corpus.vectors, corpus.texts, ClusterParams(k=16), corpus.labels, digest=corpus.digest)
hover, _ = corpus_hover(corpus, clusters, "label")
colours = colours_for(corpus.metadata["label"].tolist())
# what the point map sends the browser on a first visit: coordinates, colour codes, hover text
payload = json.dumps({"coords": projection.coords.astype("float32").tobytes().hex(), "codes": colours.codes.tobytes().hex(),
                      "hover": hover})
total = time.perf_counter() - started
print(json.dumps({"reopen_s": total, "snapshot_s": loaded, "imports_s": imports, "from_snapshot": corpus.from_snapshot,
                  "map_cached": projection.cached, "clusters_cached": clusters.cached, "payload_mb": len(payload) / 1e6,
                  "points": len(corpus), "max_rss_mb": peak_mb()}))
"""


def line(name: str, ours: float, bare: float, unit: str = "s", goal: float | None = None, bare_name: str = "") -> float:
    figure("explore", name, ours, unit, bare=bare, bare_name=bare_name, goal=goal, goal_on="ratio")
    ratio = bare / ours if ours else float("nan")
    print(f"{name:<34} ours {ours:8.2f} {unit}   bare {bare:8.2f} {unit}   ratio (bare/ours, higher is better) {ratio:5.3f}", flush=True)
    return ratio


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="first N tweets only (default: all 63,326)")
    parser.add_argument("--home", type=Path, default=None, help="EMBEDLAB_HOME to use (default: a fresh temporary folder)")
    parser.add_argument("--skip-hdbscan", action="store_true")
    parser.add_argument("--ingest-only", action="store_true", help="stop after the ingest comparison and the re-ingest")
    parser.add_argument("--ab-size", type=int, default=5000, help="rows of the interleaved ingest A/B (default 5,000)")
    parser.add_argument("--ab-rounds", type=int, default=2, help="rounds of the interleaved ingest A/B (default 2, 0 = off)")
    parser.add_argument("--umap-rounds", type=int, default=2, help="alternating bare/ours UMAP rounds (default 2)")
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="embedlab-bench-"))
    os.environ["EMBEDLAB_HOME"] = str(home)
    os.environ.pop("EMBEDLAB_CHROMA_URL", None)

    import chromadb
    import numpy as np
    import umap
    from chromadb.config import Settings

    from embedlab.backends import get_text_encoder
    from embedlab.corpus import load_corpus
    from embedlab.ingest import ingest_dataset, load_dataset
    from embedlab.maps.clustering import ClusterParams, cluster
    from embedlab.maps.projection import (
        ProjectionParams,
        project,
        umap_model,
        wait_for_warm_up,
        warm_up_umap,
    )

    summary: dict[str, object] = {"home": str(home)}
    table = load_dataset("healthtweets", args.limit)
    texts = table.frame["text"].tolist()
    labels = table.frame["label"].tolist()
    n = len(texts)
    print(f"health tweets: {n:,} texts; EMBEDLAB_HOME={home}", flush=True)
    warm_up_umap()  # compiles in the background while we encode, as the app does at start-up

    encoder = get_text_encoder("minilm")
    encoder.encode(texts[:64])  # load and warm the model once for both runs
    model = encoder._model  # the same SentenceTransformer object for the bare baseline

    # -- 1. bare encode + Chroma add --------------------------------------------------------------
    started = time.perf_counter()
    vectors = model.encode(texts, batch_size=64, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False)
    client = chromadb.PersistentClient(path=str(home / "bare-chroma"), settings=Settings(anonymized_telemetry=False))
    collection = client.create_collection("bare", configuration={"hnsw": {"space": "cosine"}}, embedding_function=None)
    step = client.get_max_batch_size()
    for start in range(0, n, step):
        collection.add(ids=[str(i) for i in range(start, min(n, start + step))], embeddings=vectors[start : start + step],
                       documents=texts[start : start + step], metadatas=[{"label": x} for x in labels[start : start + step]])
    bare_ingest = time.perf_counter() - started
    del client, collection

    # -- 1b. ours ---------------------------------------------------------------------------------
    started = time.perf_counter()
    report = ingest_dataset("healthtweets", "healthtweets", "minilm", limit=args.limit)
    ours_ingest = time.perf_counter() - started
    assert report.added == n, report
    summary["ingest"] = {"ours_s": ours_ingest, "bare_s": bare_ingest, "ours_rows_per_s": n / ours_ingest,
                         "bare_rows_per_s": n / bare_ingest, "ratio": line(f"ingest {n:,} texts (encode + store)", ours_ingest, bare_ingest, goal=0.9,
                                                                bare_name="SentenceTransformer.encode + collection.add")}

    # -- 1c. the same comparison interleaved on a subset, to see through load changes -------------
    if args.ab_rounds and n > args.ab_size:
        subset = texts[: args.ab_size]  # a fresh collection per round: nothing is skipped
        bare_times, ours_times = [], []
        for round_number in range(args.ab_rounds):
            started = time.perf_counter()
            sub_vectors = model.encode(subset, batch_size=64, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False)
            client = chromadb.PersistentClient(path=str(home / f"bare-ab-{round_number}"), settings=Settings(anonymized_telemetry=False))
            sub = client.create_collection("bare", configuration={"hnsw": {"space": "cosine"}}, embedding_function=None)
            for start in range(0, len(subset), step):
                sub.add(ids=[str(i) for i in range(start, min(len(subset), start + step))], embeddings=sub_vectors[start : start + step],
                        documents=subset[start : start + step], metadatas=[{"label": x} for x in labels[start : min(len(subset), start + step)]])
            bare_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            ingest_dataset("healthtweets", f"ab-{round_number}", "minilm", limit=args.ab_size)
            ours_times.append(time.perf_counter() - started)
        summary["ingest_ab"] = {"rows": args.ab_size, "ours_s": ours_times, "bare_s": bare_times,
                                "ratio_of_best": line(f"ingest A/B {args.ab_size:,} rows, best of {args.ab_rounds}", min(ours_times), min(bare_times))}

    # -- 2. re-ingest -------------------------------------------------------------------------------
    started = time.perf_counter()
    again = ingest_dataset("healthtweets", "healthtweets", "minilm", limit=args.limit)
    summary["reingest_s"] = time.perf_counter() - started
    print(f"{'re-ingest (nothing to encode)':<34} {summary['reingest_s']:.2f} s, {again.added} encoded, {again.skipped:,} skipped", flush=True)
    if args.ingest_only:
        print(json.dumps(summary, default=float))
        return 0

    # -- 3. UMAP ------------------------------------------------------------------------------------
    corpus = load_corpus("healthtweets")
    ours_vectors = corpus.vectors
    wait_for_warm_up()  # the warm-up compiles the exact (< 4,096 points) and the NN-descent paths
    params = ProjectionParams()  # n_neighbors 15, min_dist 0.1, cosine, seed 42
    bare_runs, ours_runs = [], []
    for _ in range(max(1, args.umap_rounds)):  # alternate, so load changes hit both sides
        started = time.perf_counter()
        bare_coords = umap_model(params.validate(n)).fit_transform(ours_vectors)
        bare_runs.append(time.perf_counter() - started)
        started = time.perf_counter()
        ours = project(ours_vectors, params, use_cache=False)
        ours_runs.append(time.perf_counter() - started)
    ours_umap, bare_umap = min(ours_runs), min(bare_runs)
    # The baseline, bare umap.UMAP() with the library defaults (euclidean, unseeded, so
    # parallel), against ours with the same settings (--parallel, metric euclidean), alternating.
    like_defaults = ProjectionParams(metric="euclidean", parallel=True)
    default_runs, parallel_runs = [], []
    for _ in range(max(1, args.umap_rounds)):
        started = time.perf_counter()
        umap.UMAP().fit_transform(ours_vectors)
        default_runs.append(time.perf_counter() - started)
        started = time.perf_counter()
        project(ours_vectors, like_defaults, use_cache=False)
        parallel_runs.append(time.perf_counter() - started)
    default_umap = min(default_runs)
    summary["umap_parallel"] = {"ours_s": min(parallel_runs), "bare_defaults_s": default_umap, "ours_runs_s": parallel_runs,
                                "bare_runs_s": default_runs,
                                "ratio": line(f"UMAP 2-D --parallel vs bare UMAP() (best of {len(parallel_runs)})", min(parallel_runs), default_umap,
                                              goal=0.95, bare_name="umap.UMAP() library defaults")}
    project(ours_vectors, params, digest=corpus.digest)  # fill the cache for the re-open
    summary["umap"] = {"ours_s": ours_umap, "bare_same_params_s": bare_umap, "bare_defaults_unseeded_s": default_umap,
                       "ours_runs_s": ours_runs, "bare_runs_s": bare_runs,
                       "ratio": line(f"UMAP 2-D (same params, seed 42; best of {len(ours_runs)})", ours_umap, bare_umap, goal=0.95,
                                     bare_name="umap.UMAP(same params).fit_transform"),
                       "ratio_vs_defaults": default_umap / ours_umap, "same_coords_as_bare": bool(np.allclose(ours.coords, bare_coords, atol=1e-3))}
    print(f"{'UMAP bare defaults vs ours seeded':<34} {default_umap:.2f} s (ratio {default_umap / ours_umap:.3f}); ours == bare seeded"
          f" (atol 1e-3): {summary['umap']['same_coords_as_bare']}; runs ours {[round(x, 1) for x in ours_runs]},"
          f" bare {[round(x, 1) for x in bare_runs]}", flush=True)

    # -- 4. clustering ------------------------------------------------------------------------------
    started = time.perf_counter()
    kmeans = cluster(ours_vectors, corpus.texts, ClusterParams(k=16), corpus.labels, digest=corpus.digest)
    summary["kmeans"] = {"s": time.perf_counter() - started, "silhouette": kmeans.silhouette, "ari": kmeans.ari, "nmi": kmeans.nmi}
    def fmt(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.3f}"

    print(f"{'k-means k=16 + c-TF-IDF + metrics':<34} {summary['kmeans']['s']:.2f} s; silhouette {fmt(kmeans.silhouette)} (sample "
          f"{kmeans.silhouette_sample}), ARI {fmt(kmeans.ari)}, NMI {fmt(kmeans.nmi)} vs accounts", flush=True)
    if not args.skip_hdbscan:
        started = time.perf_counter()
        hdb = cluster(ours_vectors, corpus.texts, ClusterParams("hdbscan", min_cluster_size=50), corpus.labels, digest=corpus.digest)
        summary["hdbscan"] = {"s": time.perf_counter() - started, "clusters": len(hdb.clusters), "noise": hdb.noise, "space": hdb.space}
        print(f"{'HDBSCAN min_cluster_size=50':<34} {summary['hdbscan']['s']:.2f} s; {len(hdb.clusters)} clusters, {hdb.noise:,} noise, space {hdb.space}", flush=True)

    # -- 5. re-open in a fresh process --------------------------------------------------------------
    from embedlab.store import close_all_stores

    close_all_stores()  # the embedded store admits one process at a time: hand it over
    done = subprocess.run([sys.executable, "-c", REOPEN, corpus.info.name], capture_output=True, text=True, env=os.environ.copy())
    if done.returncode != 0:
        print(done.stderr[-3000:])
        return 1
    reopen = json.loads(done.stdout.strip().splitlines()[-1])
    summary["reopen"] = reopen
    figure("explore", "re-open a mapped corpus in a new process", reopen["reopen_s"], "s", goal=2.0)
    print(f"{'re-open mapped corpus (new process)':<34} {reopen['reopen_s']:.2f} s (goal < 2 s; snapshot {reopen['snapshot_s']:.2f} s,"
          f" map payload {reopen['payload_mb']:.1f} MB, imports {reopen['imports_s']:.1f} s not counted); cached map {reopen['map_cached']},"
          f" cached clusters {reopen['clusters_cached']}", flush=True)

    # -- 6. memory ----------------------------------------------------------------------------------
    summary["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'peak memory':<34} bench process {summary['max_rss_mb']:.0f} MB, re-open process {reopen['max_rss_mb']:.0f} MB", flush=True)
    print(json.dumps(summary, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
