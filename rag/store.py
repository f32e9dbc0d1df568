"""The index directory: versioned, self-describing, written atomically.

``index/CURRENT`` names the live version folder, which holds ``manifest.json``, ``chunks.sqlite``,
``vectors.npy``, ``dense.faiss`` and ``bm25/``. A write builds a complete new folder, then swaps
``CURRENT`` with one atomic rename, so a crash at any point leaves the previous version intact.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import dense
from .errors import IndexMismatchError, IndexNotFoundError
from .keyword import TOKENIZER_ID, KeywordIndex, chunk_tokens
from .types import Chunk, Document

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
_SCHEMA = """
CREATE TABLE documents (doc_id TEXT PRIMARY KEY, title TEXT, date TEXT, source TEXT, url TEXT,
                        years TEXT NOT NULL, hash TEXT NOT NULL, text TEXT NOT NULL, n_chunks INTEGER NOT NULL);
CREATE TABLE chunks (row INTEGER PRIMARY KEY, chunk_id TEXT NOT NULL UNIQUE, doc_id TEXT NOT NULL,
                     start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL, tokens TEXT NOT NULL);
CREATE INDEX chunks_doc ON chunks(doc_id);
CREATE INDEX documents_date ON documents(date);
"""


@dataclass(frozen=True)
class NewDocument:
    """A document to add: its chunks, their embeddings and keyword tokens."""

    doc: Document
    hash: str
    chunks: list[Chunk]
    vectors: np.ndarray
    tokens: list[list[str]]


class IndexStore:
    """One loaded index version (read-only): chunk store, dense and keyword indexes."""

    def __init__(self, path: Path, manifest: dict[str, Any]) -> None:
        self.path = path
        self.manifest = manifest
        self.db = sqlite3.connect(f"file:{path / 'chunks.sqlite'}?mode=ro", uri=True, check_same_thread=False)
        self.dense = dense.load(path / "dense.faiss")
        self.keyword = KeywordIndex.load(path / "bm25", manifest["chunks"])

    @classmethod
    def open(cls, index_dir: Path, embedder_id: str | None = None) -> IndexStore:
        """Load the live version; refuse a missing index, a foreign format or another embedder."""
        path = current_version(index_dir)
        if path is None:
            raise IndexNotFoundError(f"no index at {index_dir}: build one with `rag ingest PATH --index {index_dir}`")
        manifest = json.loads((path / "manifest.json").read_text())
        if manifest.get("format") != FORMAT_VERSION:
            raise IndexMismatchError(
                f"index at {index_dir} has format {manifest.get('format')}, this version reads {FORMAT_VERSION}: rebuild it"
            )
        if embedder_id and manifest["embedder"] != embedder_id:
            raise IndexMismatchError(
                f"index at {index_dir} was built with embedder {manifest['embedder']!r}, not {embedder_id!r}: "
                "use the same embedder setting or rebuild with `rag ingest --rebuild`"
            )
        store = cls(path, manifest)
        if store.stale_tokens:
            logger.warning(
                "index at %s has keyword tokens of %s, this version makes %s: keyword search works but misses the "
                "new tokens until `rag ingest` re-tokenizes it (no re-embedding)", index_dir, manifest.get("tokenizer"), TOKENIZER_ID
            )
        return store

    @property
    def stale_tokens(self) -> bool:
        """Whether the keyword tokens were made by another tokenizer than this version's."""
        return self.manifest.get("tokenizer") != TOKENIZER_ID

    def __len__(self) -> int:
        return int(self.manifest["chunks"])

    def chunks(self, rows: list[int]) -> list[Chunk]:
        """Chunks by row, in the order asked."""
        if not rows:
            return []
        marks = ",".join("?" * len(rows))
        got = self.db.execute(
            f'SELECT c.row, c.chunk_id, c.doc_id, c.text, c.start, c."end", d.title, d.date, d.source '
            f"FROM chunks c JOIN documents d USING (doc_id) WHERE c.row IN ({marks})",
            [int(r) for r in rows],
        ).fetchall()
        by_row = {r[0]: Chunk(*r[1:]) for r in got}
        return [by_row[int(r)] for r in rows if int(r) in by_row]

    def document(self, doc_id: str) -> Document | None:
        row = self.db.execute(
            "SELECT doc_id, text, title, date, source, url, years FROM documents WHERE doc_id = ?", (doc_id,)
        ).fetchone()
        return Document(*row[:6], years=tuple(json.loads(row[6]))) if row else None

    def documents(self) -> list[dict[str, Any]]:
        """A summary row per document, newest first."""
        rows = self.db.execute(
            "SELECT doc_id, title, date, source, n_chunks, length(text) FROM documents ORDER BY date DESC, doc_id"
        ).fetchall()
        keys = ("doc_id", "title", "date", "source", "chunks", "chars")
        return [dict(zip(keys, r)) for r in rows]

    def doc_hashes(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT doc_id, hash FROM documents"))

    def doc_years(self) -> dict[str, tuple[str | None, list[int]]]:
        """Publication date and mentioned years per document (for time-aware retrieval)."""
        return {d: (date, json.loads(y)) for d, date, y in self.db.execute("SELECT doc_id, date, years FROM documents")}

    def row_docs(self) -> list[str]:
        """The document id of every chunk row."""
        return [d for (d,) in self.db.execute("SELECT doc_id FROM chunks ORDER BY row")]

    def vectors(self) -> np.ndarray:
        return np.load(self.path / "vectors.npy", mmap_mode="r")

    def close(self) -> None:
        self.db.close()


def current_version(index_dir: Path) -> Path | None:
    """The live version folder named by ``CURRENT``, or ``None`` if there is no index."""
    pointer = Path(index_dir) / "CURRENT"
    if not pointer.is_file():
        return None
    path = Path(index_dir) / pointer.read_text().strip()
    return path if (path / "manifest.json").is_file() else None


def write_version(
    index_dir: Path,
    base: IndexStore | None,
    remove: set[str],
    added: list[NewDocument],
    params: dict[str, Any],
) -> Path:
    """Write base minus ``remove`` plus ``added`` as a new version and make it live atomically."""
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one writer at a time; readers never block
        return _write_locked(index_dir, base, remove, added, params)


def _write_locked(
    index_dir: Path, base: IndexStore | None, remove: set[str], added: list[NewDocument], params: dict[str, Any]
) -> Path:
    _prune(index_dir, keep=None)
    work = index_dir / f".tmp-{time.time_ns()}"
    work.mkdir()
    db = sqlite3.connect(work / "chunks.sqlite")
    db.executescript(_SCHEMA)
    keep_rows = _copy_base(db, base, remove) if base else np.zeros(0, np.int64)
    if base is not None and base.stale_tokens:
        _retokenize(db)
    _insert(db, added, first_row=len(keep_rows))
    db.commit()
    parts = [base.vectors()[keep_rows]] if base is not None and len(keep_rows) else []
    parts += [a.vectors for a in added if len(a.vectors)]
    vectors = np.ascontiguousarray(np.concatenate(parts) if parts else np.zeros((0, params["dim"]), np.float32))
    # streamed row by row: a list of every chunk's tokens would not fit at a million chunks
    keyword = KeywordIndex.build(t.split(" ") if t else [] for (t,) in db.execute("SELECT tokens FROM chunks ORDER BY row"))
    counts = db.execute("SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM chunks)").fetchone()
    db.close()
    if counts[1] != len(vectors):
        raise RuntimeError(f"index write: {counts[1]} chunks but {len(vectors)} vectors")
    np.save(work / "vectors.npy", vectors)
    kind = dense.choose(params["dense_index"], len(vectors))
    dense.save(dense.build(vectors, kind), work / "dense.faiss")
    keyword.save(work / "bm25")
    manifest = {
        "format": FORMAT_VERSION,
        **params,
        "dense_index_type": kind,
        "tokenizer": TOKENIZER_ID,
        "documents": counts[0],
        "chunks": counts[1],
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    (work / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
    _fsync_tree(work)
    final = index_dir / work.name.replace(".tmp-", "v-")
    os.rename(work, final)
    pointer = index_dir / "CURRENT.tmp"
    with open(pointer, "w") as f:
        f.write(final.name)
        f.flush()
        os.fsync(f.fileno())
    os.replace(pointer, index_dir / "CURRENT")
    _fsync_dir(index_dir)
    _prune(index_dir, keep=final.name)
    logger.info("index version %s live: %d documents, %d chunks", final.name, counts[0], counts[1])
    return final


def _copy_base(db: sqlite3.Connection, base: IndexStore, remove: set[str]) -> np.ndarray:
    """Copy the base's documents and chunks minus ``remove``; return the kept chunk rows in order."""
    db.execute("ATTACH DATABASE ? AS old", (f"file:{base.path / 'chunks.sqlite'}?mode=ro",))
    db.execute("CREATE TEMP TABLE gone (doc_id TEXT PRIMARY KEY)")
    db.executemany("INSERT INTO gone VALUES (?)", [(d,) for d in remove])
    db.execute("INSERT INTO documents SELECT * FROM old.documents WHERE doc_id NOT IN (SELECT doc_id FROM gone)")
    keep = np.array(
        [r for (r,) in db.execute("SELECT row FROM old.chunks WHERE doc_id NOT IN (SELECT doc_id FROM gone) ORDER BY row")],
        dtype=np.int64,
    )
    db.execute(
        'INSERT INTO chunks SELECT ROW_NUMBER() OVER (ORDER BY row) - 1, chunk_id, doc_id, start, "end", text, tokens '
        "FROM old.chunks WHERE doc_id NOT IN (SELECT doc_id FROM gone)"
    )
    db.commit()
    db.execute("DETACH DATABASE old")
    return keep


def _retokenize(db: sqlite3.Connection) -> None:
    """Keyword tokens of every chunk again, with this version's tokenizer (the vectors stay)."""
    got = db.execute("SELECT c.row, c.text, d.title FROM chunks c JOIN documents d USING (doc_id)").fetchall()
    logger.info("re-tokenizing %d chunks for keyword search (%s)", len(got), TOKENIZER_ID)
    db.executemany(
        "UPDATE chunks SET tokens = ? WHERE row = ?", [(" ".join(chunk_tokens(title, text)), row) for row, text, title in got]
    )
    db.commit()


def _insert(db: sqlite3.Connection, added: list[NewDocument], first_row: int) -> None:
    row = first_row
    for a in added:
        d = a.doc
        db.execute(
            "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?)",
            (d.doc_id, d.title, d.date, d.source, d.url, json.dumps(list(d.years)), a.hash, d.text, len(a.chunks)),
        )
        db.executemany(
            "INSERT INTO chunks VALUES (?,?,?,?,?,?,?)",
            [
                (row + i, c.chunk_id, c.doc_id, c.start, c.end, c.text, " ".join(t))
                for i, (c, t) in enumerate(zip(a.chunks, a.tokens))
            ],
        )
        row += len(a.chunks)


def _fsync_tree(path: Path) -> None:
    for p in path.rglob("*"):
        if p.is_file():
            with open(p, "rb") as f:
                os.fsync(f.fileno())
    for p in [path, *[p for p in path.rglob("*") if p.is_dir()]]:
        _fsync_dir(p)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _prune(index_dir: Path, keep: str | None) -> None:
    """Remove unfinished writes and versions other than the live one."""
    live = keep or (current_version(index_dir).name if current_version(index_dir) else None)
    for p in index_dir.iterdir():
        if p.is_dir() and (p.name.startswith(".tmp-") or (p.name.startswith("v-") and p.name != live)):
            shutil.rmtree(p, ignore_errors=True)
