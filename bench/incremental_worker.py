"""Worker: add N new articles to a large local index end to end, remove them, and the full rewrite for comparison.

    python -m bench.incremental_worker --index DIR [--docs 10] [--embedder e5] [--queries 30]

The N articles are the last N lines of the news corpus, added as new documents (ids prefixed
``bench-new-``: the index may hold the whole corpus plus synthetic filler). Measured in one run, on the same index:

1. ``ingest`` of the N articles (open, load, clean, chunk, embed, write a delta segment, swap):
   the incremental path;
2. ``remove`` of the same N (tombstones);
3. ``ingest`` of the N again with compaction forced (``COMPACT_SHARE = -1``): every chunk's
   FAISS and BM25 rebuilt, which is what every write cost before segments (the baseline);
4. search latency (dense + BM25 store calls) with the delta segment and tombstones present vs after
   the compaction, over the first ``--queries`` benchmark questions.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from bench.common import emit, load_avg, new_articles, pct, peak_rss_mb, queries


def _latency(index: Path, embedder, qs: list[str]) -> dict:  # type: ignore[no-untyped-def]
    from rag.retrieve import HybridRetriever
    from rag.store import IndexStore

    store = IndexStore.open(index, embedder.id)
    r = HybridRetriever(store, embedder)
    r.search(r.analyze(qs[0]), 5)  # loads the lazy parts
    times = []
    for q in qs:
        t = time.perf_counter()
        r.search(r.analyze(q), 5)
        times.append((time.perf_counter() - t) * 1000)
    segments = len(store.manifest.segments or [None])
    store.close()
    return {"p50_ms": round(pct(times, 50), 2), "p95_ms": round(pct(times, 95), 2), "segments": segments, "n": len(times)}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--index", type=Path, required=True)
    p.add_argument("--docs", type=int, default=10)
    p.add_argument("--embedder", default="e5")
    p.add_argument("--queries", type=int, default=30)
    a = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    from rag.embed import get_embedder
    from rag.ingest import ingest, remove, sync_clusters
    from rag.store import IndexStore
    from rag.stores import local

    new = new_articles(a.docs, a.index.parent / f"{a.index.name}.new.jsonl")
    embedder = get_embedder(a.embedder)
    embedder.embed_documents(["热身 warm-up"])
    qs = queries(a.queries)
    before = IndexStore.open(a.index, embedder.id).manifest
    clusters_initial_s = round(sync_clusters(a.index), 1)  # setup, not in the add: the clusters an ingest leaves beside the index
    out: dict = {"chunks_before": before.chunks, "documents_before": before.documents, "load_before": load_avg(),
                 "clusters_initial_s": clusters_initial_s}

    t = time.perf_counter()
    rep = ingest([new], a.index, embedder, 300, 1)
    out["add"] = {"seconds": round(time.perf_counter() - t, 2), "embed_seconds": round(rep.embed_seconds, 2),
                  "added": len(rep.added), "chunks_embedded": rep.chunks_embedded}
    m = IndexStore.open(a.index).manifest
    out["add"].update(segments=len(m.segments or ()), compacted=m.compacted, chunks_after=m.chunks)
    out["latency_with_delta"] = _latency(a.index, embedder, qs)

    ids = [d for d in rep.added]
    t = time.perf_counter()
    gone = remove(a.index, ids, embedder.id)
    out["remove"] = {"seconds": round(time.perf_counter() - t, 2), "removed": len(gone)}
    m = IndexStore.open(a.index).manifest
    out["remove"].update(segments=len(m.segments or ()), compacted=m.compacted, chunks_after=m.chunks)
    out["latency_with_tombstones"] = _latency(a.index, embedder, qs)

    local.COMPACT_SHARE = -1.0  # force the full rewrite: the cost of every write before segments
    t = time.perf_counter()
    rep = ingest([new], a.index, embedder, 300, 1)
    out["full_rewrite"] = {"seconds": round(time.perf_counter() - t, 2), "embed_seconds": round(rep.embed_seconds, 2),
                           "added": len(rep.added), "chunks_after": rep.chunks}
    m = IndexStore.open(a.index).manifest
    out["full_rewrite"].update(segments=len(m.segments or ()), compacted=m.compacted)
    out["latency_compacted"] = _latency(a.index, embedder, qs)
    out["speedup"] = round(out["full_rewrite"]["seconds"] / out["add"]["seconds"], 1)
    out.update(peak_rss_mb=round(peak_rss_mb(), 1), load_after=load_avg(), index=str(a.index), embedder_id=embedder.id)
    emit(out)


if __name__ == "__main__":
    main()
