"""Ingest: load -> clean -> chunk -> embed -> store, incrementally (unchanged documents cost nothing)."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from . import sizes
from .chunk import chunk
from .clean import clean
from .clusters import Clusters, record_provenance
from .embedders import Embedder
from .errors import IndexMismatchError
from .keyword import chunk_tokens
from .load import RawArticle, Skipped, load
from .stores import IndexParams, NewDocument, Store, open_store
from .types import Chunk, Document

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (chunks embedded so far, chunks to embed)


@dataclass
class IngestReport:
    """What an ingest did."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    chunks_embedded: int = 0
    documents: int = 0
    chunks: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0
    cluster_seconds: float = 0.0  # reprint clustering of the changed documents


def doc_hash(doc: Document) -> str:
    """Content hash of a cleaned document and its metadata."""
    return hashlib.sha256(json.dumps(asdict(doc), ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:32]


def embedding_text(c: Chunk) -> str:
    """What the embedder sees: the article title (if the chunk lacks it) and the chunk."""
    return c.text if not c.title or c.title in c.text else f"{c.title}\n{c.text}"


def _open_base(index_dir: Path | str, params: IndexParams, rebuild: bool) -> Store:
    """The index to write into (empty when there is none); its embedder and chunking must match unless ``rebuild``."""
    base = open_store(index_dir, None if rebuild else params.embedder, create=True)
    if rebuild or not base.exists:
        return base
    have = base.manifest.params
    built = {"chunk_size": have.chunk_size, "chunk_overlap": have.chunk_overlap}
    wanted = {"chunk_size": params.chunk_size, "chunk_overlap": params.chunk_overlap}
    if built != wanted:
        raise IndexMismatchError(f"index at {index_dir} was chunked with {built}, settings ask {wanted}: use --rebuild")
    return base


def ingest(
    paths: list[Path],
    index_dir: Path | str,
    embedder: Embedder,
    chunk_size: int,
    chunk_overlap: int,
    dense_index: str = "auto",
    rebuild: bool = False,
    prune: bool = False,
    progress: Progress | None = None,
    batch_size: int = 64,
    max_doc_chars: int = 1_000_000,
    large_doc_chars: int = 100_000,
    oversize: str = "truncate",
) -> IngestReport:
    """Add or update the articles under ``paths``; with ``prune``, drop indexed documents not seen.

    ``index_dir`` is any index location (folder, ``.db`` Milvus Lite file, ``http(s)://`` Milvus);
    only the changed documents are embedded and written (see ``rag.stores``).
    """
    t0 = time.perf_counter()
    params = IndexParams(embedder.id, embedder.dim, chunk_size, chunk_overlap, dense_index)
    base = _open_base(index_dir, params, rebuild)
    known = base.doc_hashes() if base.exists and not rebuild else {}
    report = IngestReport()
    todo: dict[str, tuple[Document, str, list[Chunk]]] = {}
    found: dict[str, dict[str, str]] = {}
    seen: set[str] = set()
    for item in load(paths):
        if isinstance(item, Skipped):
            logger.warning("skipped %s: %s", item.path, item.reason)
            report.skipped.append(item)
            continue
        doc = clean(item)
        if not doc.text.strip():  # only when there was no text, title or date at all (see rag.clean.clean)
            reason = ("nothing to index: no text, title or date" if not item.text.strip()
                      else "nothing but page chrome, and no title or date")
            logger.warning("skipped %s: %s", item.doc_id, reason)
            report.skipped.append(Skipped(item.doc_id, reason))
            continue
        if doc.doc_id in seen:
            logger.warning("document id %s appears twice; the later one wins", doc.doc_id)
        seen.add(doc.doc_id)
        h = doc_hash(doc)
        if known.get(doc.doc_id) == h:
            todo.pop(doc.doc_id, None)
            report.unchanged += 1
            continue
        todo[doc.doc_id] = (doc, h, chunk(doc, chunk_size, chunk_overlap))
        found[doc.doc_id] = _found(item, doc)
    # issue 14: oversized documents truncated or refused, large ones reported with an estimate, before embedding
    todo, _ = sizes.check(
        todo, embedder, lambda d: chunk(d, chunk_size, chunk_overlap), report.skipped,
        max_doc_chars, large_doc_chars, oversize, embedding_text,
    )
    report.added = [d for d in todo if d not in known]
    report.updated = [d for d in todo if d in known]
    report.removed = sorted(set(known) - seen) if prune else []
    added, report.embed_seconds = _embed_all(list(todo.values()), embedder, progress, batch_size)
    report.chunks_embedded = sum(len(a.chunks) for a in added)
    written = bool(added or report.removed or rebuild or not base.exists or base.stale_tokens)
    try:
        if written:
            manifest = base.write(set(report.updated) | set(report.removed), added, params, rebuild=rebuild)
        else:
            manifest = base.manifest
    finally:
        base.close()
    if written:
        report.cluster_seconds = sync_clusters(index_dir, {d: f for d, f in found.items() if d in todo})
    report.documents, report.chunks = manifest.documents, manifest.chunks
    report.seconds = time.perf_counter() - t0
    return report


def sync_clusters(index_dir: Path | str, found: dict[str, dict[str, str]] | None = None) -> float:
    """Bring what is kept beside the index (reprint clusters, how fields were found) in line with what it
    now holds; the seconds it took."""
    t = time.perf_counter()
    store = open_store(index_dir)
    try:
        Clusters.load(index_dir).sync(store, index_dir)
        record_provenance(index_dir, found or {}, set(store.doc_hashes()))
    finally:
        store.close()
    return time.perf_counter() - t


def _found(item: RawArticle, doc: Document) -> dict[str, str]:
    """How the loader and cleaner found each field of ``doc`` (read from ``item``)."""
    found = {k.removeprefix("found."): v for k, v in item.meta.items() if k.startswith("found.")}
    found.setdefault("text", "text file, cleaned (rag.clean)")
    for key in ("title", "date", "source", "url"):
        if key not in found:
            given = item.meta.get(key)
            found[key] = ("given in the record" if given else "rag.clean (headline, dateline)") if getattr(doc, key) else "not found"
    return found


def embed_batches(
    texts: list[str], embedder: Embedder, progress: Progress | None = None, batch_size: int = 64
) -> tuple[np.ndarray, float]:
    """``texts`` embedded in batches (float32 rows), calling ``progress`` after each; and the seconds spent embedding."""
    vectors = np.zeros((len(texts), embedder.dim), np.float32)
    spent = 0.0
    for i in range(0, len(texts), batch_size):
        t = time.perf_counter()
        vectors[i : i + batch_size] = embedder.embed_documents(texts[i : i + batch_size])
        spent += time.perf_counter() - t
        if progress:
            progress(min(i + batch_size, len(texts)), len(texts))
    return vectors, spent


def _embed_all(
    items: list[tuple[Document, str, list[Chunk]]], embedder: Embedder, progress: Progress | None, batch_size: int
) -> tuple[list[NewDocument], float]:
    """Embed every chunk in batches across documents; returns the documents and seconds spent embedding."""
    chunks = [c for _, _, cs in items for c in cs]
    vectors, spent = embed_batches([embedding_text(c) for c in chunks], embedder, progress, batch_size)
    out, at = [], 0
    for doc, h, cs in items:
        out.append(NewDocument(doc, h, cs, vectors[at : at + len(cs)], [chunk_tokens(c.title, c.text) for c in cs]))
        at += len(cs)
    return out, spent


def remove(index_dir: Path | str, doc_ids: list[str], embedder_id: str | None = None) -> list[str]:
    """Remove documents from every index (a tombstone, not a rebuild); returns the ids that were present."""
    base = open_store(index_dir, embedder_id)
    try:
        known = base.doc_hashes()
        present = [d for d in doc_ids if d in known]
        if present:
            base.write(set(present), [], base.manifest.params)
    finally:
        base.close()
    if present:
        sync_clusters(index_dir)
    return present
