"""The configurations compared side by side: Assistants over one index that differ only in how they retrieve.

Every configuration answers with the same extractive generator and citation check; only the passages differ.
The Assistant's ``retriever`` attribute is swapped for an object with the same ``analyze``/``search``/
``doc_dates`` surface (a constructor argument in ``rag.pipeline`` would make this official).
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
import warnings
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from rag.embed import Embedder
from rag.errors import InputError
from rag.ingest import Progress, embed_batches
from rag.pipeline import Assistant
from rag.query import Query
from rag.retrieve import HybridRetriever
from rag.settings import Settings
from rag.store import IndexStore
from rag.types import Chunk, Hit

from .corpus import code_hash, eval_cache

logger = logging.getLogger(__name__)

CONFIGS = {
    "naive": "LangChain RecursiveCharacterTextSplitter (500/50, default separators) + FAISS vector store, top-k similarity",
    "bm25": "keyword search only (BM25 over jieba words, English stems, CJK bigrams)",
    "dense": "dense search only (FAISS over the index's chunks)",
    "hybrid": "the default Assistant: dense + BM25, reciprocal-rank fusion",
    "hybrid-weighted": "hybrid with weighted score fusion (fusion=weighted)",
    "hybrid-noexpand": "hybrid without English->Chinese query expansion (query_expansion=False)",
}
NAIVE_CHUNK_SIZE = 500
NAIVE_CHUNK_OVERLAP = 50
_OVERRIDES: dict[str, dict[str, Any]] = {"hybrid-weighted": {"fusion": "weighted"}, "hybrid-noexpand": {"query_expansion": False}}
_MODES = {"bm25": ("bm25",), "dense": ("dense",)}


def check_names(names: list[str]) -> None:
    """Refuse unknown or repeated configuration names before any work is done."""
    unknown = [n for n in names if n not in CONFIGS]
    if unknown or not names:
        raise InputError(f"unknown configs {unknown}; choose from {', '.join(CONFIGS)}")
    if len(set(names)) != len(names):
        raise InputError(f"a config is named twice: {names}")


def build(
    name: str, settings: Settings, store: IndexStore, embedder: Embedder, progress: Progress | None = None
) -> tuple[Assistant, dict[str, Any]]:
    """An Assistant for configuration ``name`` and what building it cost (the naive vector store's ingest)."""
    assistant = Assistant(settings.with_(**_OVERRIDES.get(name, {})), store, embedder)
    info: dict[str, Any] = {"description": CONFIGS[name]}
    if name in _MODES:
        assistant.retriever = ModeRetriever(assistant.retriever, _MODES[name])  # type: ignore[assignment]
    elif name == "naive":
        vectorstore, built = naive_vectorstore(store, embedder, progress)
        info.update(built)
        assistant.retriever = NaiveRetriever(assistant.retriever, vectorstore)  # type: ignore[assignment]
    return assistant, info


class _Wrapped:
    """Question analysis and article dates come from the index's own retriever."""

    def __init__(self, base: HybridRetriever) -> None:
        self.base = base

    @property
    def doc_dates(self) -> dict[str, tuple[str | None, list[int]]]:
        return self.base.doc_dates

    def analyze(self, question: str) -> Query:
        return self.base.analyze(question)


class ModeRetriever(_Wrapped):
    """The hybrid retriever restricted to some of its retrievers, e.g. ``("bm25",)``."""

    def __init__(self, base: HybridRetriever, modes: tuple[str, ...]) -> None:
        super().__init__(base)
        self.modes = modes

    def search(self, query: Query, k: int, date_from: str | None = None, date_to: str | None = None) -> list[Hit]:
        return self.base.search(query, k, date_from, date_to, modes=self.modes)


class NaiveRetriever(_Wrapped):
    """Top-k similarity search of a LangChain FAISS store, as ``Hit``s (no keywords, dates or fusion)."""

    def __init__(self, base: HybridRetriever, vectorstore: Any) -> None:
        super().__init__(base)
        self.vectorstore = vectorstore

    def search(self, query: Query, k: int, date_from: str | None = None, date_to: str | None = None) -> list[Hit]:
        if date_from or date_to:
            raise InputError("the naive config has no date filter")
        found = self.vectorstore.similarity_search_with_score(query.text, k=k)
        return [Hit(_chunk(doc.page_content, doc.metadata), 1.0 - float(dist) / 2, ("naive",)) for doc, dist in found]


def _chunk(text: str, meta: dict[str, Any]) -> Chunk:
    start = int(meta["start_index"])
    return Chunk(f"{meta['doc_id']}#naive{start}", meta["doc_id"], text, start, start + len(text),
                 meta.get("title"), meta.get("date"), meta.get("source"))


class LangChainEmbeddings(Embeddings):
    """A ``rag`` embedder as a LangChain ``Embeddings``."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.embed_documents(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.embed_queries([text])[0].tolist()


def naive_vectorstore(store: IndexStore, embedder: Embedder, progress: Progress | None = None) -> tuple[Any, dict[str, Any]]:
    """The tutorial pipeline over the index's cleaned articles: split, embed (cached as .npy), FAISS in memory."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    with warnings.catch_warnings():  # langchain-community announces its sunset on import
        warnings.simplefilter("ignore", DeprecationWarning)
        from langchain_community.vectorstores import FAISS

    t = time.perf_counter()
    docs = [d for row in store.documents() if (d := store.document(row["doc_id"]))]
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=NAIVE_CHUNK_SIZE, chunk_overlap=NAIVE_CHUNK_OVERLAP, add_start_index=True
    )
    pieces = splitter.create_documents(
        [d.text for d in docs], [{"doc_id": d.doc_id, "title": d.title, "date": d.date, "source": d.source} for d in docs]
    )
    texts = [p.page_content for p in pieces]
    lc = LangChainEmbeddings(embedder)
    vectors, cached, embed_seconds = _vectors(texts, embedder, progress)
    vectorstore = FAISS.from_embeddings(list(zip(texts, vectors)), lc, metadatas=[p.metadata for p in pieces])
    info = {
        "chunks": len(texts), "cached": cached, "embed_seconds": round(embed_seconds, 2),
        "seconds": round(time.perf_counter() - t, 2), "chunk_size": NAIVE_CHUNK_SIZE, "chunk_overlap": NAIVE_CHUNK_OVERLAP,
    }
    logger.info("naive vector store: %d chunks (%s)", len(texts), "cached vectors" if cached else "embedded")
    return vectorstore, info


def _vectors(texts: list[str], embedder: Embedder, progress: Progress | None) -> tuple[np.ndarray, bool, float]:
    """Chunk vectors from the cache (keyed by embedder, its code and the texts), else embedded in batches and saved."""
    key = hashlib.sha256("\0".join([embedder.id, code_hash(), *texts]).encode()).hexdigest()[:24]
    path = eval_cache() / "naive" / f"{key}.npy"
    if path.is_file():
        return np.load(path, allow_pickle=False), True, 0.0
    out, seconds = embed_batches(texts, embedder, progress)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{key}-{os.getpid()}.npy")
    np.save(tmp, out, allow_pickle=False)
    os.replace(tmp, path)
    return out, False, seconds
