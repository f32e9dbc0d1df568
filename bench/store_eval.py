"""The same questions through the folder store and a Milvus Lite copy of it, in one run (the eval harness on each).

    python -m bench.store_eval --index DIR --db FILE.db --dataset QA.jsonl [--out bench/store_eval.json]

The Milvus file is a copy of the folder index (``rag.stores.copy_index``: same chunks and vectors),
so the difference is the backends' own: Milvus HNSW vs FAISS, Milvus BM25 (jieba) vs ours (jieba +
stems + bigrams). A third row ranks with Milvus's ``hybrid_search`` (its RRF over dense + BM25)
instead of our fusion.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

from bench.common import ROOT, emit, load_avg


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--index", type=Path, required=True)
    p.add_argument("--db", type=Path, required=True)
    p.add_argument("--dataset", type=Path, required=True)
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "store_eval.json")
    a = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    from rag.embed import get_embedder
    from rag.evaluation import metrics as m
    from rag.evaluation.dataset import load_dataset
    from rag.evaluation.harness import DOC_DEPTH, RANK_DEPTH, run
    from rag.retrieve import HybridRetriever
    from rag.settings import Settings
    from rag.store import IndexStore
    from rag.stores import copy_index

    started = time.strftime("%Y-%m-%d %H:%M:%S %z")
    if not a.db.exists():
        copy_index(a.index, a.db)
    rows = {}
    for name, where in (("folder (FAISS + our BM25)", a.index), ("Milvus Lite (HNSW + Milvus BM25)", a.db)):
        t = time.perf_counter()
        report = run(a.dataset, index=where, configs=("hybrid",), out=a.out.parent / "_work" / f"store_eval_{a.db.stem}_{where.name}")
        s = report.summary["hybrid"]["all"]
        keep = ("hit@1", "hit@5", "mrr", "answer_accuracy", "citation_precision")
        rows[name] = {"summary": {"n": s["answerable"], **{k: s["metrics"].get(k) for k in keep}, "errors": s["errors"]},
                      "seconds": round(time.perf_counter() - t, 1)}
    # Milvus's own fusion: hybrid_search with RRF, documents ranked by their best chunk
    embedder = get_embedder(Settings.load().embedder)
    store = IndexStore.open(a.db, embedder.id)
    r = HybridRetriever(store, embedder)
    hits5, rr = [], []
    for q in load_dataset(a.dataset).questions:
        query = r.analyze(q.question)
        found = store.hybrid_search(embedder.embed_queries([query.dense_texts[0]])[0], query.keyword_text, RANK_DEPTH)
        docs = m.unique_docs((c.doc_id for c in store.chunks([cid for cid, _ in found])), DOC_DEPTH)
        hits5.append(m.hit_at(docs, q.doc_ids, 5))
        rr.append(m.reciprocal_rank(docs, q.doc_ids))
    rows["Milvus Lite, Milvus hybrid_search RRF"] = {"summary": {"hit@5": sum(hits5) / len(hits5), "mrr": sum(rr) / len(rr), "n": len(rr)}}
    result = {"started": started, "load_after": load_avg(), "dataset": str(a.dataset), "index": str(a.index), "rows": rows}
    a.out.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    emit(result)


if __name__ == "__main__":
    main()
