"""The storage seam: what retrieval, evidence, ingest and the UI need from an index, keyed by chunk id.

A chunk id (``doc_id#n``, see ``rag.chunk``) never changes when other documents are added or
removed, so every backend can use it as its primary key. One small file per backend implements
``Store`` (reading) and ``write`` (an atomic add/replace/remove of whole documents).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from ..errors import IndexMismatchError
from ..types import Chunk, Document

FORMAT_VERSION = 2  # the local layout with segments; format 1 (one folder) is still read
MANIFEST_KEYS = ("embedder", "dim", "chunk_size", "chunk_overlap", "dense_index")
Ranked = list[tuple[str, float]]  # (chunk id, score), best first


@dataclass(frozen=True)
class NewDocument:
    """A document to add: its chunks, their embeddings and keyword tokens."""

    doc: Document
    hash: str
    chunks: list[Chunk]
    vectors: np.ndarray
    tokens: list[list[str]]


@dataclass(frozen=True)
class DateRange:
    """Article dates to search within (ISO prefixes, either end open); a backend may push it down."""

    date_from: str | None = None
    date_to: str | None = None

    def __bool__(self) -> bool:
        return bool(self.date_from or self.date_to)


class KeywordStats(Protocol):
    """Term statistics of our own tokenizer (``rag.keyword.tokenize``) over the indexed chunks."""

    size: int  # chunks counted in the statistics

    @property
    def vocab(self) -> Collection[str]: ...

    def df(self, token: str) -> int: ...


class Store(Protocol):
    """One open index: search by vector and by keywords, fetch chunks and documents, describe itself."""

    manifest: dict[str, Any]
    keyword: KeywordStats

    def __len__(self) -> int: ...

    @property
    def exists(self) -> bool:
        """Whether anything was ever written (an empty store opened with ``create`` is not)."""
        ...

    def dense_search(self, vectors: np.ndarray, k: int, where: DateRange | None = None) -> list[Ranked]: ...

    def keyword_search(self, text: str, k: int, where: DateRange | None = None) -> Ranked: ...

    def chunks(self, ids: list[str]) -> list[Chunk]: ...

    def document(self, doc_id: str) -> Document | None: ...

    def documents(self) -> list[dict[str, Any]]: ...

    def doc_hashes(self) -> dict[str, str]: ...

    def doc_years(self) -> dict[str, tuple[str | None, list[int]]]: ...

    @property
    def stale_tokens(self) -> bool: ...

    def write(self, remove: set[str], added: list[NewDocument], params: dict[str, Any], rebuild: bool = False) -> dict[str, Any]:
        """Remove the documents ``remove``, add ``added``, atomically; return the new manifest."""
        ...

    def close(self) -> None:
        """Release what the store holds (connections, file handles); idempotent."""
        ...

    def closer(self) -> Callable[[], None]:
        """``close`` as a callable that holds no reference to the store (for ``close_when_unused``)."""
        ...


def close_when_unused(store: Store) -> None:
    """Close ``store`` as soon as nothing refers to it any more (at once if nothing does).

    For the version an index switch leaves behind (``Assistant.reload``): a question still running on
    it holds its retriever, and so the store, until it is done, and an assistant made over it (the
    API's per-generator ones) until it is replaced; only then are its connections released, so
    reloads do not pile connections up on a Milvus server, and nothing in flight sees a closed store.
    """
    weakref.finalize(store, store.closer()).atexit = False


def check_embedder(where: str, manifest: dict[str, Any], embedder_id: str | None) -> None:
    """Refuse an index built with another embedder than ``embedder_id``."""
    if embedder_id and manifest.get("embedder") != embedder_id:
        raise IndexMismatchError(
            f"index at {where} was built with embedder {manifest.get('embedder')!r}, not {embedder_id!r}: "
            "use the same embedder setting or rebuild with `rag ingest --rebuild`"
        )


def summary_row(doc_id: str, title: str | None, date: str | None, source: str | None, chunks: int, chars: int) -> dict[str, Any]:
    """The per-document summary ``Store.documents`` returns."""
    return {"doc_id": doc_id, "title": title, "date": date, "source": source, "chunks": chunks, "chars": chars}
