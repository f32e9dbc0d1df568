"""Run an evaluation set through each configuration; per-question results and aggregates per config and language."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tqdm import tqdm

from rag.cli import progress_bar
from rag.embed import get_embedder
from rag.errors import InputError
from rag.pipeline import Assistant
from rag.settings import Settings
from rag.store import IndexStore
from rag.stores import describe, kind_of

from . import configs as cfg
from . import metrics as m
from .corpus import IngestInfo, cached_index, source_hash
from .dataset import Question, load_dataset
from .report import write
from .results import Report, Result, summarize

logger = logging.getLogger(__name__)

RANK_DEPTH = 50  # chunks retrieved to rank documents for the retrieval metrics
DOC_DEPTH = 10  # documents kept: hit@k, recall@k, MRR and nDCG are computed over these


def run(
    dataset: str | Path,
    corpus: str | Path | None = None,
    index: str | Path | None = None,
    configs: Sequence[str] = ("hybrid",),
    out: str | Path | None = None,
    limit: int | None = None,
    config: str | Path | None = None,
    progress: bool = False,
) -> Report:
    """Evaluate ``dataset`` over ``corpus`` (ingested into a cached index) or an existing ``index``; write to ``out``.

    ``index`` may name several indexes (a list, or locations joined by commas: a folder, a ``.db``
    Milvus Lite file, ``http(s)://`` Milvus): every config then runs on each, in this one run, and the
    report has a row per config and index (``hybrid@folder``, ``hybrid@milvus-lite``, ...)."""
    names = list(configs)
    cfg.check_names(names)
    started = time.time()
    data = load_dataset(dataset)
    questions = data.questions[:limit] if limit is not None else data.questions
    if not questions:
        raise InputError(f"no usable questions in {dataset} ({len(data.issues)} malformed lines)")
    settings = Settings.load(config)
    embedder = get_embedder(settings.embedder)
    if corpus is not None:
        with progress_bar("ingest (embedding)", "chunk", disable=not progress) as tick:
            info = cached_index(Path(corpus), settings, embedder, tick)
        locations = [info.index_dir]
    else:
        locations = index_locations(index or settings.index_dir)
        info = IngestInfo(index_dir=", ".join(locations), cached=True)
    labels = store_labels(locations)
    stores = []
    for where in locations:  # every index opens before any question: a bad one fails the run at once
        store = IndexStore.open(where, embedder.id)
        stores.append(store)
        if not len(store):
            raise InputError(f"the index at {where} has no chunks")
    results: list[Result] = []
    built: dict[str, Any] = {}
    rows: list[str] = []
    for where, label, store in zip(locations, labels, stores):
        here = settings.with_(index_dir=where)
        for name in names:
            row = f"{name}@{label}" if label else name
            rows.append(row)
            with progress_bar(f"{row}: naive index (embedding)", "chunk", disable=not (progress and name == "naive")) as tick:
                assistant, built[row] = cfg.build(name, here, store, embedder, tick)
            if label:
                built[row] = {**built[row], "description": f"{built[row]['description']}; over the {describe(where)}"}
            assistant.warm()
            bar = tqdm(questions, desc=row, unit="q", file=sys.stderr, disable=not progress)
            results += [evaluate(row, assistant, q) for q in bar]
        store.close()
    settings = settings.with_(index_dir=locations[0])
    report = Report(
        meta={
            "dataset": str(dataset), "corpus": str(corpus) if corpus is not None else None, "index": info.index_dir,
            "configs": rows, "questions": len(questions), "limit": limit, "embedder": embedder.id,
            "rag_source": source_hash(),
            "settings": {k: getattr(settings, k) for k in ("chunk_size", "chunk_overlap", "top_k", "candidates", "fusion",
                                                           "query_expansion", "generator", "dense_index")},
            "rank_depth_chunks": RANK_DEPTH, "rank_depth_docs": DOC_DEPTH,
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
            "seconds": round(time.time() - started, 1),
        },
        ingest={"index": asdict(info), "configs": built},
        issues=data.issues,
        summary=summarize(results, rows),
        results=results,
    )
    if out is not None:
        write(report, Path(out))
    return report


def index_locations(index: str | Path | Sequence[str | Path]) -> list[str]:
    """The indexes to evaluate: one location, a list, or several joined by commas (``--index index,archive.db``).

    A name that exists as it is (a folder with a comma in it) stays one location."""
    if not isinstance(index, (str, Path)):
        return [str(i) for i in index]
    text = str(index)
    if "," not in text or Path(text).exists():
        return [text]
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if len(set(parts)) != len(parts):
        raise InputError(f"an index is named twice: {parts}")
    return parts


def store_labels(locations: list[str]) -> list[str]:
    """Per location the suffix of its result rows (``hybrid@folder``, ``hybrid@milvus-lite``); none for one index."""
    if len(locations) == 1:
        return [""]
    kinds = [kind_of(w)[0].replace("local", "folder") for w in locations]
    return [k if kinds.count(k) == 1 else f"{k}{kinds[:i + 1].count(k)}" for i, k in enumerate(kinds)]


def evaluate(config: str, assistant: Assistant, q: Question) -> Result:
    """Ask ``q`` and score the answer, its citations and the document ranking; errors are recorded, not raised."""
    r = Result(config, q.id, q.line, q.question, q.lang, q.answerable, q.expected)
    try:
        answer = assistant.ask(q.question, as_of=q.as_of)
        retriever = assistant.retriever
        hits = retriever.search(retriever.analyze(q.question), RANK_DEPTH)
    except Exception as e:  # one broken question must not end a long run
        logger.warning("%s: question %s failed: %s", config, q.id, e)
        r.error = f"{type(e).__name__}: {e}"
        r.correct = m.is_correct("", q.answer_parts, q.answers) if q.answerable else None
        return r
    r.answer, r.refused, r.timings, r.warnings = answer.text, answer.refused, answer.timings, answer.warnings
    r.citations = [{"n": c.n, "doc_id": c.doc_id, "chunk_id": c.chunk_id} for c in answer.citations]
    r.retrieved = m.unique_docs((h.chunk.doc_id for h in hits), DOC_DEPTH)
    if not q.answerable:
        return r
    said = "" if answer.refused else answer.text  # a refusal scores as an empty answer
    r.correct = m.is_correct(said, q.answer_parts, q.answers)
    r.short = m.short_answer(said)
    r.short_correct = None if r.correct is None else bool(r.short and m.is_correct(r.short, q.answer_parts, q.answers))
    r.f1 = m.f1(said, m.reference(q.answer_parts, q.answers))
    cited = [(c.doc_id, c.text) for c in answer.citations]
    r.citation_precision = m.citation_precision(cited, q.doc_ids, q.answer_parts, q.answers)
    r.citation_recall = m.citation_recall((c.doc_id for c in answer.citations), q.doc_ids)
    r.retrieval = {
        **{f"hit@{k}": m.hit_at(r.retrieved, q.doc_ids, k) for k in m.KS},
        **{f"recall@{k}": m.recall_at(r.retrieved, q.doc_ids, k) for k in m.KS},
        "mrr": m.reciprocal_rank(r.retrieved, q.doc_ids),
        "ndcg@10": m.ndcg_at(r.retrieved, q.doc_ids, 10),
    }
    return r


