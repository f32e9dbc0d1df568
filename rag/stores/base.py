"""The storage seam: what retrieval, evidence, ingest and the UI need from an index, keyed by chunk id.

A chunk id (``doc_id#n``, see ``rag.chunk``) never changes when other documents are added or
removed, so every backend can use it as its primary key. One small file per backend implements
``Store`` (reading) and ``write`` (an atomic add/replace/remove of whole documents).
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable, Collection
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar, Protocol

import numpy as np

from ..errors import IndexMismatchError, IndexNotFoundError
from ..types import Chunk, Document

FORMAT_VERSION = 2  # the local layout with segments; format 1 (one folder) is still read
Ranked = list[tuple[str, float]]  # (chunk id, score), best first


@dataclass(frozen=True)
class IndexParams:
    """How an index is built: which embedder (its id and dimension), the chunking and the dense index asked for."""

    embedder: str
    dim: int
    chunk_size: int
    chunk_overlap: int
    dense_index: str = "auto"

    def __post_init__(self) -> None:
        if self.dim < 1:
            raise ValueError(f"dim must be >= 1, got {self.dim}")
        if self.chunk_size < 1:
            raise ValueError(f"chunk_size must be >= 1, got {self.chunk_size}")


@dataclass(frozen=True)
class SegmentRef:
    """One segment of a local index version: its folder (relative to the index) and its chunk count."""

    path: str
    chunks: int | None = None


@dataclass(frozen=True)
class Manifest:
    """What an index says about itself; each store writes its own (``manifest.json``, a Milvus collection property).

    ``segments``, ``dead`` and ``compacted`` belong to the local store (``segments`` is ``None`` for a version
    folder that is its own single segment); ``extra`` keeps the keys this version does not know.
    """

    params: IndexParams
    documents: int
    chunks: int
    tokenizer: str | None = None
    dense_index_type: str | None = None
    backend: str | None = None
    keyword: str | None = None
    created: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    segments: tuple[SegmentRef, ...] | None = None
    dead: dict[str, list[str]] | None = None
    compacted: bool | None = None
    format: int = FORMAT_VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    _ORDER: ClassVar[tuple[str, ...]] = (
        "backend", "dense_index_type", "keyword", "tokenizer", "documents", "chunks", "created", "segments", "dead", "compacted",
    )

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: the format, the parameters flat, then the rest (fields that are ``None`` left out)."""
        out: dict[str, Any] = {"format": self.format, **asdict(self.params)}
        for name in self._ORDER:
            value = getattr(self, name)
            if value is not None:
                out[name] = [asdict(s) for s in value] if name == "segments" else value
        return {**out, **self.extra}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        """Read the JSON form (without ``dense_index`` or ``tokenizer``, as early versions wrote it: the defaults)."""
        params = IndexParams(
            str(data["embedder"]), int(data["dim"]), int(data["chunk_size"]), int(data["chunk_overlap"]),
            str(data.get("dense_index", "auto")),
        )
        segments = data.get("segments")
        known = {"format", *(f.name for f in fields(IndexParams)), *cls._ORDER}
        return cls(
            params=params,
            documents=int(data.get("documents", 0)),
            chunks=int(data.get("chunks", 0)),
            tokenizer=data.get("tokenizer"),
            dense_index_type=data.get("dense_index_type"),
            backend=data.get("backend"),
            keyword=data.get("keyword"),
            created=str(data.get("created", "")),
            segments=None if segments is None else tuple(SegmentRef(s["path"], s.get("chunks")) for s in segments),
            dead=None if data.get("dead") is None else {k: list(v) for k, v in data["dead"].items()},
            compacted=data.get("compacted"),
            format=int(data.get("format", 1)),
            extra={k: v for k, v in data.items() if k not in known},
        )


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

    @property
    def manifest(self) -> Manifest:
        """What the index says about itself (``IndexNotFoundError`` while nothing was written)."""
        ...

    @property
    def keyword(self) -> KeywordStats: ...

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

    def write(self, remove: set[str], added: list[NewDocument], params: IndexParams, rebuild: bool = False) -> Manifest:
        """Remove the documents ``remove``, add ``added``, atomically; write and return the new manifest."""
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


def check_embedder(where: str, manifest: Manifest, embedder_id: str | None) -> None:
    """Refuse an index built with another embedder than ``embedder_id``."""
    if embedder_id and manifest.params.embedder != embedder_id:
        raise IndexMismatchError(
            f"index at {where} was built with embedder {manifest.params.embedder!r}, not {embedder_id!r}: "
            "use the same embedder setting or rebuild with `rag ingest --rebuild`"
        )


def summary_row(doc_id: str, title: str | None, date: str | None, source: str | None, chunks: int, chars: int) -> dict[str, Any]:
    """The per-document summary ``Store.documents`` returns."""
    return {"doc_id": doc_id, "title": title, "date": date, "source": source, "chunks": chunks, "chars": chars}


def no_index(where: str) -> IndexNotFoundError:
    """The error for an index that has nothing written yet."""
    return IndexNotFoundError(f"no index at {where}: build one with `rag ingest PATH --index {where}`")
