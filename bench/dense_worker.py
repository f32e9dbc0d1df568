"""Worker (fresh process): exact vs approximate dense indexes over one store's vectors.

    python -m bench.dense_worker --index DIR [--kinds flat,hnsw,ivfpq] [--reuse-hnsw]

For each kind: build seconds (``rag.dense.build``), bytes serialized (= memory the loaded index
holds), RSS growth when ``faiss.read_index`` loads it in this process, recall@10 against the flat
index on the real benchmark questions (e5 query vectors), and single-question search latency
at k=50 (what retrieval asks for) and k=10, and how often the gold article of a news_public question
(real rows only) is among the top 50. ``--sweep`` adds efSearch / nprobe variants.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.common import emit, load_avg, peak_rss_mb, queries, rss_mb, summary_ms


def latency(index, qv: np.ndarray, k: int) -> dict:
    """One question per search, through rag.dense.search (one OpenMP thread, as retrieval runs it)."""
    from rag import dense

    lat = []
    for i in range(len(qv)):
        t = time.perf_counter()
        dense.search(index, qv[i : i + 1], k)
        lat.append(time.perf_counter() - t)
    return summary_ms(lat)


def recall(index, qv: np.ndarray, truth: np.ndarray, k: int = 10) -> float:
    _, got = index.search(qv, k)
    return float(np.mean([len(set(g) & set(t)) / k for g, t in zip(got.tolist(), truth.tolist())]))


def gold_hits(index, qv: np.ndarray, gold: list[set[str]], row_doc: dict[int, str], k: int = 50) -> float:
    """Share of the questions with gold documents whose gold document is among the top ``k`` dense rows."""
    _, got = index.search(qv[: len(gold)], k)
    return float(np.mean([any(row_doc.get(r) in g for r in rows) for rows, g in zip(got.tolist(), gold)]))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--index", type=Path, required=True)
    p.add_argument("--kinds", default="flat,hnsw,ivfpq", help="flat first; also hnsw_flat (IndexHNSWFlat)")
    p.add_argument("--reuse-hnsw", action="store_true", help="take the store's dense.faiss as the hnsw index if it is one")
    p.add_argument("--sweep", action="store_true")
    p.add_argument("--embedder", default="e5")
    a = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    import faiss

    from rag import dense
    from rag.embed import get_embedder
    from rag.store import current_version

    path = current_version(a.index)
    import json

    manifest = json.loads((path / "manifest.json").read_text())
    vectors = np.load(path / "vectors.npy")
    qv = get_embedder(a.embedder).embed_queries(queries())
    import sqlite3

    from bench.common import QA_FILES

    gold = [set(json.loads(line)["doc_ids"]) for line in QA_FILES[0].read_text(encoding="utf-8").splitlines() if line.strip()]
    db = sqlite3.connect(f"file:{path / 'chunks.sqlite'}?mode=ro", uri=True)
    n_real = (manifest.get("synthetic") or {}).get("real_chunks", len(vectors))
    row_doc = dict(db.execute("SELECT row, doc_id FROM chunks WHERE row < ?", (n_real,)))
    out: dict = {"chunks": len(vectors), "questions": len(qv), "load": {"before": load_avg()}, "kinds": {}}
    truth = None
    tmp = Path(tempfile.mkdtemp(prefix="dense-", dir=a.index))
    for kind in a.kinds.split(","):
        gc.collect()
        if kind == "hnsw" and a.reuse_hnsw and manifest.get("dense_index_type") == "hnsw":
            file = path / "dense.faiss"
            build_s = None
        else:
            t = time.perf_counter()
            if kind == "hnsw_flat":  # rag's hnsw before this benchmark: float32 vectors in the graph
                index = faiss.IndexHNSWFlat(vectors.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
                index.hnsw.efConstruction = 80
                index.add(vectors)
            else:
                index = dense.build(vectors, kind)
            build_s = time.perf_counter() - t
            file = tmp / f"{kind}.faiss"
            dense.save(index, file)
            del index
            gc.collect()
        before = rss_mb()
        index = dense.load(file)
        grown = rss_mb() - before
        if kind == "hnsw_flat":  # searched as it was: dense.load widens older indexes to EF_SEARCH
            index.hnsw.efSearch = 64
        if truth is None:
            assert kind == "flat", "flat must come first (ground truth)"
            _, truth = index.search(qv, 10)
        row = {
            "build_s": round(build_s, 1) if build_s is not None else None,
            "bytes": os.path.getsize(file),
            "rss_growth_mb": round(grown, 1),
            "type": type(index).__name__,
            "recall_at_10": round(recall(index, qv, truth), 4),
            "gold_doc_in_top50": round(gold_hits(index, qv, gold, row_doc), 4),
            "latency_k50": latency(index, qv, 50),
            "latency_k10": latency(index, qv, 10),
        }
        if kind.startswith("hnsw"):
            row["params"] = {"M": index.hnsw.nb_neighbors(1), "efSearch": index.hnsw.efSearch, "efConstruction": index.hnsw.efConstruction}
            if a.sweep:
                for ef in (32, 64, 128, 512):
                    index.hnsw.efSearch = ef
                    row[f"efSearch={ef}"] = {"recall_at_10": round(recall(index, qv, truth), 4), "gold_doc_in_top50": round(gold_hits(index, qv, gold, row_doc), 4), "latency_k50": latency(index, qv, 50)}
        if kind == "ivfpq":
            row["params"] = {"nlist": index.nlist, "nprobe": index.nprobe, "m": index.pq.M}
            if a.sweep:
                for nprobe in (4, 64):
                    index.nprobe = nprobe
                    row[f"nprobe={nprobe}"] = {"recall_at_10": round(recall(index, qv, truth), 4), "gold_doc_in_top50": round(gold_hits(index, qv, gold, row_doc), 4), "latency_k50": latency(index, qv, 50)}
        out["kinds"][kind] = row
        del index
    for f in tmp.iterdir():
        f.unlink()
    tmp.rmdir()
    out["load"]["after"] = load_avg()
    out["peak_rss_mb"] = round(peak_rss_mb(), 1)
    out["faiss_threads"] = faiss.omp_get_max_threads()
    emit(out)


if __name__ == "__main__":
    main()
