"""Worker: a local index copied into a Milvus Lite file; insert rate, query latency and memory of both stores.

    python -m bench.milvus_worker --index DIR --out FILE.db [--queries 50] [--embedder e5] [--docs 10]

Measured in one run over the same chunks and vectors (no re-embedding: ``rag.stores.copy_index``):

* insert: chunks per second into Milvus Lite (vectors, Milvus BM25 over our tokens, term statistics), in
  writes of ``--batch`` documents (each write upserts the term statistics of every token it touches,
  about half the insert time, so fewer, larger writes insert faster; ``rag ingest`` writes once);
* query: ``HybridRetriever.search`` (our fusion) over the local store and over Milvus, and Milvus's own
  ``hybrid_search`` with RRF (dense + BM25 in one call), p50/p95 over the benchmark questions;
* memory: this process's RSS, which includes Milvus Lite (it serves a ``.db`` from threads in this process);
* incremental writes (``--docs N``, 0 to skip): ``ingest`` of the corpus's last N articles (as new documents,
  ``bench.common.new_articles``) into the Milvus
  file end to end (open, load, clean, chunk, e5-embed, upsert, term statistics, manifest), then
  ``remove`` of the same N: the Milvus rows next to ``bench/incremental_worker.py``'s.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench.common import emit, load_avg, new_articles, pct, queries, rss_mb


def _timed(fn, qs: list[str]) -> dict:  # type: ignore[no-untyped-def]
    fn(qs[0])
    times = []
    for q in qs:
        t = time.perf_counter()
        fn(q)
        times.append((time.perf_counter() - t) * 1000)
    return {"p50_ms": round(pct(times, 50), 2), "p95_ms": round(pct(times, 95), 2), "n": len(times)}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--index", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--queries", type=int, default=50)
    p.add_argument("--embedder", default="e5")
    p.add_argument("--docs", type=int, default=10)
    p.add_argument("--batch", type=int, default=5000, help="documents per write while copying (an ingest writes all in one)")
    a = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    from rag.embed import get_embedder
    from rag.retrieve import HybridRetriever
    from rag.store import IndexStore

    shutil.rmtree(a.out, ignore_errors=True)  # a Milvus Lite "file" is a folder
    out: dict = {"index": str(a.index), "load_before": load_avg()}
    t = time.perf_counter()  # in its own process, as an ingest would run: queries then open the finished file
    copy = f"from rag.stores import copy_index; copy_index({str(a.index)!r}, {str(a.out)!r}, batch={a.batch})"
    subprocess.run([sys.executable, "-c", copy], check=True)
    secs = time.perf_counter() - t
    manifest = IndexStore.open(a.out).manifest
    out["insert"] = {"chunks": manifest.chunks, "seconds": round(secs, 1), "chunks_per_s": round(manifest.chunks / secs, 1),
                     "docs_per_write": a.batch}
    out["db_file_mb"] = round(sum(f.stat().st_size for f in a.out.rglob("*") if f.is_file()) / 2**20 if a.out.is_dir()
                              else a.out.stat().st_size / 2**20, 1)
    embedder = get_embedder(a.embedder)
    qs = queries(a.queries)
    out["rss_after_insert_mb"] = round(rss_mb(), 1)
    rss0 = rss_mb()
    local = IndexStore.open(a.index, embedder.id)
    r = HybridRetriever(local, embedder)
    out["local_search"] = _timed(lambda q: r.search(r.analyze(q), 5), qs)
    out["local_rss_added_mb"] = round(rss_mb() - rss0, 1)
    local.close()
    rss0 = rss_mb()
    milvus = IndexStore.open(a.out, embedder.id)
    rm = HybridRetriever(milvus, embedder)
    out["milvus_search_our_fusion"] = _timed(lambda q: rm.search(rm.analyze(q), 5), qs)

    def native(q: str) -> None:
        query = rm.analyze(q)
        milvus.hybrid_search(embedder.embed_queries([query.dense_texts[0]])[0], query.keyword_text, 5)

    out["milvus_hybrid_search_rrf"] = _timed(native, qs)
    out["milvus_rss_added_mb"] = round(rss_mb() - rss0, 1)
    out["embed_query"] = _timed(lambda q: embedder.embed_queries([q]), qs)
    out["process_rss_mb"] = round(rss_mb(), 1)
    milvus.close()
    if a.docs:
        from rag.ingest import ingest, remove, sync_clusters

        t = time.perf_counter()  # setup, not timed in the add: the reprint clusters beside the copy (as an ingest leaves them)
        sync_clusters(str(a.out))
        out["clusters_initial_s"] = round(time.perf_counter() - t, 1)
        new = new_articles(a.docs, a.out.parent / f"{a.out.name}.new.jsonl")
        embedder.embed_documents(["热身 warm-up"])
        t = time.perf_counter()
        rep = ingest([new], str(a.out), embedder, 300, 1)
        out["add"] = {"seconds": round(time.perf_counter() - t, 2), "embed_seconds": round(rep.embed_seconds, 2),
                      "added": len(rep.added), "chunks_embedded": rep.chunks_embedded, "chunks_after": rep.chunks}
        t = time.perf_counter()
        gone = remove(str(a.out), list(rep.added), embedder.id)
        out["remove"] = {"seconds": round(time.perf_counter() - t, 2), "removed": len(gone)}
    out["load_after"] = load_avg()
    emit(out)


if __name__ == "__main__":
    main()
