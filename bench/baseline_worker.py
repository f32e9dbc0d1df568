"""Worker (fresh process): the same questions the way most projects do it, and the raw FAISS floor.

    python -m bench.baseline_worker --index DIR [--rebuild N] [--cached N] [--prebuilt N] [--floor N]

* ``rebuild``: LangChain ``FAISS`` vector store (built once, from the index's own e5 vectors) plus an
  ``EnsembleRetriever`` (langchain_classic) whose ``BM25Retriever`` (langchain_community, rank_bm25) is
  rebuilt from the vector store's document store for every question, tokenizing with ``jieba.lcut``
  (what Chinese LangChain tutorials pass as ``preprocess_func``); both retrievers k=50 like ours, top 5 kept.
* ``cached``: the same, but ``preprocess_func`` looks tokens up in a dict filled once: the rebuild cost
  without tokenization (a lower bound for any rebuild-per-question design).
* ``prebuilt``: the ensemble with one BM25Retriever built once (rank_bm25 scoring only).
* ``floor``: raw ``faiss.IndexFlatIP.search`` (one OpenMP thread) of a precomputed query vector, k=5 (and
  with the query embedding included).
"""

from __future__ import annotations

import argparse
import logging
import sqlite3
import time
import warnings
from pathlib import Path

import numpy as np

from bench.common import emit, load_avg, peak_rss_mb, queries, rss_mb, summary_ms


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--index", type=Path, required=True)
    p.add_argument("--rebuild", type=int, default=5)
    p.add_argument("--cached", type=int, default=5)
    p.add_argument("--prebuilt", type=int, default=5)
    p.add_argument("--floor", type=int, default=0, help="0: all questions")
    p.add_argument("--embedder", default="e5")
    a = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    warnings.filterwarnings("ignore")
    import faiss
    import jieba
    from langchain_classic.retrievers import EnsembleRetriever
    from langchain_community.docstore.in_memory import InMemoryDocstore
    from langchain_community.retrievers import BM25Retriever
    from langchain_community.vectorstores import FAISS
    from langchain_core.documents import Document
    from langchain_core.embeddings import Embeddings

    from rag.embed import get_embedder
    from rag.keyword import _jieba
    from rag.store import current_version

    _jieba()  # same dictionary cache as rag
    path = current_version(a.index)
    db = sqlite3.connect(f"file:{path / 'chunks.sqlite'}?mode=ro", uri=True)
    rows = db.execute("SELECT c.chunk_id, c.doc_id, c.text, d.title FROM chunks c JOIN documents d USING (doc_id) ORDER BY c.row").fetchall()
    vectors = np.load(path / "vectors.npy")
    embedder = get_embedder(a.embedder)

    class E5(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return embedder.embed_documents(texts).tolist()

        def embed_query(self, text: str) -> list[float]:
            return embedder.embed_queries([text])[0].tolist()

    qs = queries()
    out: dict = {"chunks": len(rows), "load": {"before": load_avg()}}
    t = time.perf_counter()
    docs = [Document(page_content=text, metadata={"chunk_id": cid, "doc_id": did, "title": title}) for cid, did, text, title in rows]
    index = faiss.IndexFlatL2(vectors.shape[1])  # what FAISS.from_embeddings builds by default
    index.add(vectors)
    ids = [str(i) for i in range(len(docs))]
    vs = FAISS(E5(), index, InMemoryDocstore(dict(zip(ids, docs))), dict(enumerate(ids)))
    out["lc_faiss_build_s"] = round(time.perf_counter() - t, 2)
    out["rss_after_lc_store_mb"] = round(rss_mb(), 1)
    dense = vs.as_retriever(search_kwargs={"k": 50})

    def ensemble(bm25: BM25Retriever) -> EnsembleRetriever:
        return EnsembleRetriever(retrievers=[dense, bm25], weights=[0.5, 0.5])

    vs.similarity_search(qs[0], k=5)  # warm
    # 1. rebuild per question, tokenizing
    lat = []
    for q in qs[: a.rebuild]:
        t = time.perf_counter()
        store_docs = list(vs.docstore._dict.values())
        bm25 = BM25Retriever.from_documents(store_docs, k=50, preprocess_func=jieba.lcut)
        ensemble(bm25).invoke(q)[:5]
        lat.append(time.perf_counter() - t)
    out["rebuild_per_query"] = summary_ms(lat)
    # 2. rebuild per question with cached tokens
    if a.cached or a.prebuilt:
        t = time.perf_counter()
        cache = {d.page_content: jieba.lcut(d.page_content) for d in docs}
        out["tokenize_once_s"] = round(time.perf_counter() - t, 2)

        def cached(text: str) -> list[str]:
            got = cache.get(text)
            return got if got is not None else jieba.lcut(text)  # the question itself

        lat = []
        for q in qs[: a.cached]:
            t = time.perf_counter()
            store_docs = list(vs.docstore._dict.values())
            bm25 = BM25Retriever.from_documents(store_docs, k=50, preprocess_func=cached)
            ensemble(bm25).invoke(q)[:5]
            lat.append(time.perf_counter() - t)
        out["rebuild_per_query_cached_tokens"] = summary_ms(lat)
        # 3. built once
        t = time.perf_counter()
        bm25 = BM25Retriever.from_documents(docs, k=50, preprocess_func=cached)
        ens = ensemble(bm25)
        out["bm25_build_once_s"] = round(time.perf_counter() - t, 2)
        lat = []
        for q in qs[: a.prebuilt]:
            t = time.perf_counter()
            ens.invoke(q)[:5]
            lat.append(time.perf_counter() - t)
        out["ensemble_prebuilt_bm25"] = summary_ms(lat)
        del cache
    # 4. LangChain FAISS alone (embedding + L2 flat search + docstore)
    lat = []
    for q in qs[: a.floor or len(qs)]:
        t = time.perf_counter()
        vs.similarity_search(q, k=5)
        lat.append(time.perf_counter() - t)
    out["lc_faiss_only"] = summary_ms(lat)
    # 5. floor: raw IndexFlatIP
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    faiss.omp_set_num_threads(1)  # one question per search: one thread is fastest (see rag/dense.py)
    qv = embedder.embed_queries(qs[: a.floor or len(qs)])
    lat, lat_e = [], []
    for i, q in enumerate(qs[: a.floor or len(qs)]):
        t = time.perf_counter()
        flat.search(qv[i : i + 1], 5)
        lat.append(time.perf_counter() - t)
        t = time.perf_counter()
        flat.search(embedder.embed_queries([q]), 5)
        lat_e.append(time.perf_counter() - t)
    out["faiss_flat_floor"] = summary_ms(lat)
    out["faiss_flat_plus_embedding"] = summary_ms(lat_e)
    out["load"]["after"] = load_avg()
    out["peak_rss_mb"] = round(peak_rss_mb(), 1)
    emit(out)


if __name__ == "__main__":
    main()
