"""Worker (fresh process): resident memory of a loaded index and query latency of retrieval and answers.

    python -m bench.query_worker --index DIR [--queries N] [--ask N] [--components]

Memory: RSS after importing rag.store, after ``IndexStore.open`` (index only), after the embedder is
loaded and an ``Assistant`` is built over that store (what ``Assistant.load`` does), and after the runs.
Latency: ``HybridRetriever.search(retriever.analyze(q), 5)`` (query embedding + dense + BM25 + fusion +
chunk fetch) and ``Assistant.ask(q)`` (default settings: extractive answer + citation check), each
question once, the two alternating question by question, after a short warm-up; with ``--components``
each stage of retrieval separately (and the query embedding again on one torch thread).
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from bench.common import emit, load_avg, major_faults, peak_rss_mb, queries, rss_mb, rss_parts_mb, summary_ms


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--index", type=Path, required=True)
    p.add_argument("--queries", type=int, default=0, help="retrieval questions (0: all)")
    p.add_argument("--ask", type=int, default=0, help="Assistant.ask questions (0: all, -1: none)")
    p.add_argument("--components", action="store_true")
    p.add_argument("--components-n", type=int, default=100, help="questions for the per-stage timings")
    p.add_argument("--embedder", default="e5")
    a = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    mem: dict[str, float] = {}
    import rag.store as store_mod

    mem["rss_imports_mb"] = rss_mb()
    t = time.perf_counter()
    store = store_mod.IndexStore.open(a.index)
    open_s = time.perf_counter() - t
    mem["rss_after_store_open_mb"] = rss_mb()
    mem["index_only_mb"] = mem["rss_after_store_open_mb"] - mem["rss_imports_mb"]
    mem_parts = {"after_store_open": rss_parts_mb()}

    from rag.embed import get_embedder
    from rag.pipeline import Assistant
    from rag.settings import Settings

    t = time.perf_counter()
    embedder = get_embedder(a.embedder)
    assistant = Assistant(Settings.load().with_(index_dir=a.index, embedder=a.embedder), store, embedder)
    load_s = time.perf_counter() - t
    mem["rss_after_assistant_load_mb"] = rss_mb()
    mem_parts["after_assistant_load"] = rss_parts_mb()
    retriever = assistant.retriever
    qs = queries()
    n_ret = len(qs) if a.queries <= 0 else min(a.queries, len(qs))
    n_ask = 0 if a.ask < 0 else (len(qs) if a.ask == 0 else min(a.ask, len(qs)))

    t = time.perf_counter()
    assistant.warm()  # jieba dictionary, CC-CEDICT glossary, doc dates, model first call
    for q in qs[-3:]:
        retriever.search(retriever.analyze(q), 5)
    warm_s = time.perf_counter() - t
    mem["rss_after_warm_mb"] = rss_mb()
    mem_parts["after_warm"] = rss_parts_mb()
    load = {"before": load_avg()}
    faults = major_faults()

    # retrieval and answer alternate question by question, so both see the same machine load; which of
    # the two sees a question first (cold BM25 pages, chunk rows) alternates too
    retrieval: list[float] = []
    ask: list[float] = []
    refused = 0
    stage: dict[str, list[float]] = {}

    def run_retrieval(q: str) -> None:
        t = time.perf_counter()
        retriever.search(retriever.analyze(q), 5)
        retrieval.append(time.perf_counter() - t)

    def run_ask(q: str) -> None:
        nonlocal refused
        t = time.perf_counter()
        answer = assistant.ask(q)
        ask.append(time.perf_counter() - t)
        refused += answer.refused
        for k, v in answer.timings.items():
            stage.setdefault(k, []).append(v / 1000)

    for i, q in enumerate(qs[: max(n_ret, n_ask)]):
        steps = [run_retrieval] * (i < n_ret) + [run_ask] * (i < n_ask)
        for step in steps if i % 2 == 0 else steps[::-1]:
            step(q)

    faults = major_faults() - faults
    components: dict[str, dict] = {}
    if a.components:
        parts: dict[str, list[float]] = {k: [] for k in ("analyze", "embed_query", "dense_search", "bm25_search", "rest")}
        n_comp = min(n_ret, a.components_n)
        for q in qs[:n_comp]:
            t0 = time.perf_counter()
            query = retriever.analyze(q)
            t1 = time.perf_counter()
            vecs = embedder.embed_queries(query.dense_texts)
            t2 = time.perf_counter()
            store.dense_search(vecs, retriever.candidates)
            t3 = time.perf_counter()
            store.keyword_search(query.keyword_text, retriever.candidates)
            t4 = time.perf_counter()
            retriever.search(query, 5)
            t5 = time.perf_counter()
            parts["analyze"].append(t1 - t0)
            parts["embed_query"].append(t2 - t1)
            parts["dense_search"].append(t3 - t2)
            parts["bm25_search"].append(t4 - t3)
            parts["rest"].append(max(0.0, (t5 - t4) - (t4 - t1)))  # fusion + chunk fetch + year boost
        components = {k: summary_ms(v) for k, v in parts.items()}
        import torch

        components["torch_threads"] = torch.get_num_threads()  # e5fast embeds a query on one of them
    load["after"] = load_avg()
    mem["rss_after_queries_mb"] = rss_mb()
    mem_parts["after_queries"] = rss_parts_mb()
    mem["peak_rss_mb"] = peak_rss_mb()
    emit(
        {
            "index": str(a.index),
            "chunks": len(store),
            "documents": store.manifest.documents,
            "dense_index_type": store.manifest.dense_index_type,
            "synthetic": store.manifest.extra.get("synthetic"),
            "open_s": round(open_s, 2),
            "assistant_load_s": round(load_s, 2),
            "warm_s": round(warm_s, 2),
            "memory_mb": {k: round(v, 1) for k, v in mem.items()},
            "memory_parts_mb": mem_parts,
            "retrieval": summary_ms(retrieval),
            "ask": summary_ms(ask),
            "ask_refused": refused,
            "major_page_faults_during_runs": faults,
            "ask_stages": {k: summary_ms(v) for k, v in stage.items()},
            "components": components,
            "load": load,
        }
    )


if __name__ == "__main__":
    main()
