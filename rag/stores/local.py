"""The embedded store: FAISS + BM25 + SQLite in one folder, written incrementally and atomically.

Layout: ``CURRENT`` names the live version folder ``v-*``, whose ``manifest.json`` lists the
segments (``segments/s-*``: ``chunks.sqlite``, ``vectors.npy``, ``dense.faiss``, ``bm25/``, never
changed once written) and per segment the tombstoned documents. A write adds one small segment with
the new documents and tombstones the replaced or removed ones; a large write (or too many
segments or tombstones) compacts everything into one segment. Either way it ends with one atomic
rename of ``CURRENT``, so a crash at any point leaves the previous version intact. A version
without a ``segments`` list (format 1, and ``bench/synth.py``) is its own single segment.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from functools import cached_property
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from .. import dense
from ..errors import IndexMismatchError
from ..keyword import TOKENIZER_ID, KeywordIndex, SegmentedKeyword, chunk_tokens
from ..types import Chunk, Document
from .base import FORMAT_VERSION, DateRange, IndexParams, Manifest, NewDocument, Ranked, SegmentRef, check_embedder, no_index, summary_row

logger = logging.getLogger(__name__)

COMPACT_SHARE = 0.2  # compact when delta segments and tombstones exceed this share of all chunks
MAX_SEGMENTS = 8  # ... or when a write would make more segments than this
_SCHEMA = """
CREATE TABLE documents (doc_id TEXT PRIMARY KEY, title TEXT, date TEXT, source TEXT, url TEXT,
                        years TEXT NOT NULL, hash TEXT NOT NULL, text TEXT NOT NULL, n_chunks INTEGER NOT NULL);
CREATE TABLE chunks (row INTEGER PRIMARY KEY, chunk_id TEXT NOT NULL UNIQUE, doc_id TEXT NOT NULL,
                     start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL, tokens TEXT NOT NULL);
CREATE INDEX chunks_doc ON chunks(doc_id);
CREATE INDEX documents_date ON documents(date);
CREATE INDEX documents_hash ON documents(doc_id, hash);
"""
_CHUNK_SQL = (
    'SELECT c.row, c.chunk_id, c.doc_id, c.text, c.start, c."end", d.title, d.date, d.source '
    "FROM chunks c JOIN documents d USING (doc_id) WHERE c.{key} IN ({marks})"
)


class Segment:
    """One immutable part of a version: its chunk store, dense and keyword indexes, and tombstones."""

    def __init__(self, path: Path, dead_docs: set[str], size: int | None = None) -> None:
        self.path = path
        self.dead_docs = dead_docs
        self.db = sqlite3.connect(f"file:{path / 'chunks.sqlite'}?mode=ro", uri=True, check_same_thread=False)
        self.size = size if size is not None else self.db.execute("SELECT count(*) FROM chunks").fetchone()[0]

    @cached_property
    def dead_rows(self) -> np.ndarray:
        if not self.dead_docs:
            return np.zeros(0, np.int64)
        marks = ",".join("?" * len(self.dead_docs))
        rows = self.db.execute(f"SELECT row FROM chunks WHERE doc_id IN ({marks})", sorted(self.dead_docs)).fetchall()
        return np.array([r for (r,) in rows], np.int64)

    @cached_property
    def dense(self) -> faiss.Index:
        return dense.load(self.path / "dense.faiss")

    @cached_property
    def keyword(self) -> KeywordIndex:
        return KeywordIndex.load(self.path / "bm25", self.size)

    def ids(self, rows: list[int]) -> dict[int, str]:
        marks = ",".join("?" * len(rows))
        return dict(self.db.execute(f"SELECT row, chunk_id FROM chunks WHERE row IN ({marks})", rows).fetchall())

    def vectors(self) -> np.ndarray:
        return np.load(self.path / "vectors.npy", mmap_mode="r")

    def live_docs(self) -> list[str]:
        return [d for (d,) in self.db.execute("SELECT doc_id FROM documents") if d not in self.dead_docs]


class LocalStore:
    """One loaded index version (read-only) of the embedded store; ``write`` makes the next one."""

    def __init__(self, index_dir: Path, path: Path | None, manifest: Manifest | None) -> None:
        self.index_dir = index_dir
        self.path = path  # the version folder (None: nothing indexed yet)
        self._manifest = manifest
        self.segments: list[Segment] = []
        self._names: list[str] = []
        if path is not None and manifest is not None:
            if manifest.segments is None:  # format 1 (and bench/synth.py): the version folder is the one segment
                self.segments, self._names = [Segment(path, set(), manifest.chunks)], [path.name]
            else:
                dead = manifest.dead or {}
                self.segments = [Segment(index_dir / s.path, set(dead.get(s.path, ())), s.chunks) for s in manifest.segments]
                self._names = [s.path for s in manifest.segments]

    @classmethod
    def open(cls, index_dir: Path | str, embedder_id: str | None = None, create: bool = False) -> LocalStore:
        """Load the live version; refuse a missing index (unless ``create``), a foreign format or another embedder."""
        index_dir = Path(index_dir)
        for attempt in range(3):  # a writer may prune the version read a moment ago: read CURRENT again
            path = current_version(index_dir)
            if path is None:
                if create:
                    return cls(index_dir, None, None)
                raise no_index(str(index_dir))
            try:
                raw = json.loads((path / "manifest.json").read_text())
                if raw.get("format") not in (1, FORMAT_VERSION):
                    raise IndexMismatchError(
                        f"index at {index_dir} has format {raw.get('format')}, this version reads {FORMAT_VERSION}: rebuild it"
                    )
                manifest = Manifest.from_dict(raw)
                check_embedder(str(index_dir), manifest, embedder_id)
                store = cls(index_dir, path, manifest)
                break
            except (FileNotFoundError, sqlite3.OperationalError):
                if attempt == 2:
                    raise
        if store.stale_tokens:
            logger.warning(
                "index at %s has keyword tokens of %s, this version makes %s: keyword search works but misses the "
                "new tokens until `rag ingest` re-tokenizes it (no re-embedding)", index_dir, manifest.tokenizer, TOKENIZER_ID
            )
        return store

    @property
    def manifest(self) -> Manifest:
        if self._manifest is None:
            raise no_index(str(self.index_dir))
        return self._manifest

    @property
    def exists(self) -> bool:
        return self._manifest is not None

    @property
    def stale_tokens(self) -> bool:
        """Whether the keyword tokens were made by another tokenizer than this version's."""
        return self._manifest is not None and self._manifest.tokenizer != TOKENIZER_ID

    def __len__(self) -> int:
        return self._manifest.chunks if self._manifest else 0

    @cached_property
    def keyword(self) -> SegmentedKeyword:
        return SegmentedKeyword([s.keyword for s in self.segments], [s.dead_rows for s in self.segments])

    # --- search
    def dense_search(self, vectors: np.ndarray, k: int, where: DateRange | None = None) -> list[Ranked]:
        """Per query vector the best ``k`` live chunks by inner product, over every segment."""
        per_query: list[list[tuple[float, int, int]]] = [[] for _ in vectors]
        for i, seg in enumerate(self.segments):
            for q, (scores, rows) in enumerate(dense.search(seg.dense, vectors, k, exclude=seg.dead_rows)):
                per_query[q] += [(float(s), i, int(r)) for s, r in zip(scores, rows)]
        return [self._ranked(sorted(found, key=lambda x: -x[0])[:k]) for found in per_query]

    def keyword_search(self, text: str, k: int, where: DateRange | None = None) -> Ranked:
        """The best ``k`` live chunks by BM25 (global statistics over the segments)."""
        found = [(float(s), i, int(r)) for i, scores, rows in self.keyword.search(text, k) for s, r in zip(scores, rows)]
        return self._ranked(sorted(found, key=lambda x: (-x[0], x[1], x[2])))

    def _ranked(self, found: list[tuple[float, int, int]]) -> Ranked:
        ids: dict[tuple[int, int], str] = {}
        for i in {i for _, i, _ in found}:
            ids.update({(i, r): c for r, c in self.segments[i].ids([r for _, j, r in found if j == i]).items()})
        return [(ids[(i, r)], s) for s, i, r in found if (i, r) in ids]

    # --- fetch
    def chunks(self, ids: list[str]) -> list[Chunk]:
        """Live chunks by id, in the order asked (unknown or removed ids are left out)."""
        if not ids:
            return []
        got: dict[str, Chunk] = {}
        for seg in reversed(self.segments):  # newest first
            want = [c for c in dict.fromkeys(ids) if c not in got]
            if not want:
                break
            sql = _CHUNK_SQL.format(key="chunk_id", marks=",".join("?" * len(want)))
            for r in seg.db.execute(sql, want).fetchall():
                if r[2] not in seg.dead_docs:
                    got[r[1]] = Chunk(*r[1:])
        return [got[c] for c in ids if c in got]

    def _doc_rows(self, sql: str, args: tuple = ()) -> list[tuple]:
        out, seen = [], set()
        for seg in reversed(self.segments):
            for r in seg.db.execute(sql, args):
                if r[0] not in seg.dead_docs and r[0] not in seen:
                    seen.add(r[0])
                    out.append(r)
        return out

    def document(self, doc_id: str) -> Document | None:
        rows = self._doc_rows("SELECT doc_id, text, title, date, source, url, years FROM documents WHERE doc_id = ?", (doc_id,))
        if not rows:
            return None
        doc_id, text, title, date, source, url, years = rows[0]
        return Document(doc_id, text, title, date, source, url, years=tuple(json.loads(years)))

    def documents(self) -> list[dict[str, Any]]:
        """A summary row per document, newest first."""
        rows = self._doc_rows("SELECT doc_id, title, date, source, n_chunks, length(text) FROM documents")
        rows.sort(key=lambda r: r[0])
        rows.sort(key=lambda r: r[2] or "", reverse=True)
        return [summary_row(*r) for r in rows]

    def doc_hashes(self) -> dict[str, str]:
        return dict(self._doc_rows("SELECT doc_id, hash FROM documents"))

    def doc_years(self) -> dict[str, tuple[str | None, list[int]]]:
        """Publication date and mentioned years per document (for time-aware retrieval)."""
        return {d: (date, json.loads(y)) for d, date, y in self._doc_rows("SELECT doc_id, date, years FROM documents")}

    def export(self, batch: int = 500) -> Iterator[list[NewDocument]]:
        """Every live document with its chunks, vectors and tokens, in batches (to copy into another store)."""
        out: list[NewDocument] = []
        for seg in self.segments:
            vectors = seg.vectors()
            for doc_id, text, title, date, source, url, years, h in seg.db.execute(
                "SELECT doc_id, text, title, date, source, url, years, hash FROM documents"
            ).fetchall():
                if doc_id in seg.dead_docs:
                    continue
                rows = seg.db.execute(
                    'SELECT row, chunk_id, start, "end", text, tokens FROM chunks WHERE doc_id = ? ORDER BY row', (doc_id,)
                ).fetchall()
                doc = Document(doc_id, text, title, date, source, url, tuple(json.loads(years)))
                chunks = [Chunk(c, doc_id, t, s, e, title, date, source) for _, c, s, e, t, _ in rows]
                vecs = np.asarray(vectors[[r[0] for r in rows]], np.float32) if rows else np.zeros((0, vectors.shape[1]), np.float32)
                out.append(NewDocument(doc, h, chunks, vecs, [tk.split(" ") if tk else [] for *_, tk in rows]))
                if len(out) >= batch:
                    yield out
                    out = []
        if out:
            yield out

    def close(self) -> None:
        self.closer()()

    def closer(self) -> Callable[[], None]:
        dbs = [seg.db for seg in self.segments]

        def close() -> None:
            for db in dbs:
                db.close()

        return close

    # --- write
    def write(self, remove: set[str], added: list[NewDocument], params: IndexParams, rebuild: bool = False) -> Manifest:
        """Remove ``remove``, add (or replace) ``added``; make the result live atomically; return its manifest."""
        self.index_dir.mkdir(parents=True, exist_ok=True)
        with open(self.index_dir / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # one writer at a time; readers never block
            base = None if rebuild else LocalStore.open(self.index_dir, create=True)  # the latest, under the lock
            try:
                return _write_locked(self.index_dir, base, remove | {a.doc.doc_id for a in added}, added, params)
            finally:
                if base is not None:
                    base.close()


def current_version(index_dir: Path) -> Path | None:
    """The live version folder named by ``CURRENT``, or ``None`` if there is no index."""
    pointer = Path(index_dir) / "CURRENT"
    if not pointer.is_file():
        return None
    path = Path(index_dir) / pointer.read_text().strip()
    return path if (path / "manifest.json").is_file() else None


def _write_locked(
    index_dir: Path, base: LocalStore | None, remove: set[str], added: list[NewDocument], params: IndexParams
) -> Manifest:
    _prune(index_dir, keep=None)
    (index_dir / "segments").mkdir(exist_ok=True)
    old = base.manifest if base is not None and base.exists and base.segments else None
    segs = base.segments if base is not None and old is not None else []
    names = base._names if base is not None and old is not None else []
    n_new = sum(len(a.chunks) for a in added)
    dead = {name: set(s.dead_docs) for name, s in zip(names, segs)}
    for name, seg in zip(names, segs):
        marks = ",".join("?" * len(remove))
        gone = {d for (d,) in seg.db.execute(f"SELECT doc_id FROM documents WHERE doc_id IN ({marks})", sorted(remove))}
        dead[name] |= gone
    sizes = [s.size for s in segs]
    dead_chunks = sum(int(seg.db.execute(
        f"SELECT count(*) FROM chunks WHERE doc_id IN ({','.join('?' * len(dead[n]))})", sorted(dead[n])
    ).fetchone()[0]) for n, seg in zip(names, segs) if dead[n])
    total = sum(sizes) + n_new
    small = total - max(sizes, default=0)  # chunks outside the largest segment, after this write
    stale = old is not None and old.tokenizer != TOKENIZER_ID
    compact = (
        old is None
        or stale
        or len(segs) + bool(added) > MAX_SEGMENTS
        or (small + dead_chunks) > COMPACT_SHARE * total
        or old.params.dense_index != params.dense_index
    )
    if compact:
        written = [_write_segment(index_dir, [(seg, dead[n]) for n, seg in zip(names, segs)], added, params, retokenize=stale)]
        tombstones: dict[str, list[str]] = {}
    else:
        empty = {n for n, seg in zip(names, segs)  # a segment whose documents are all gone is dropped
                 if dead[n] and seg.db.execute("SELECT count(*) FROM documents").fetchone()[0] <= len(dead[n])}
        kept = [n for n in names if n not in empty]
        written = [_adopt(index_dir, n) for n in kept]
        tombstones = {a: sorted(dead[n]) for a, n in zip(written, kept) if dead[n]}
        if added:
            written.append(_write_segment(index_dir, [], added, params))
    return _commit(index_dir, written, tombstones, params, old, compacted=compact)


def _adopt(index_dir: Path, name: str) -> str:
    """A format-1 version folder becomes a segment by hard links (its files never change)."""
    if name.startswith("segments/"):
        return name
    target = index_dir / "segments" / f"s-{name.removeprefix('v-')}"
    if not target.exists():
        tmp = index_dir / "segments" / f".tmp-{time.time_ns()}"
        shutil.copytree(index_dir / name, tmp, copy_function=os.link, ignore=shutil.ignore_patterns("manifest.json"))
        os.rename(tmp, target)
    return f"segments/{target.name}"


def _write_segment(
    index_dir: Path, sources: list[tuple[Segment, set[str]]], added: list[NewDocument], params: IndexParams, retokenize: bool = False
) -> str:
    """A new segment: the live chunks of ``sources`` (minus their dead documents) and ``added``."""
    work = index_dir / "segments" / f".tmp-{time.time_ns()}"
    work.mkdir(parents=True)
    db = sqlite3.connect(work / "chunks.sqlite")
    db.executescript(_SCHEMA)
    parts = []
    row = 0
    for seg, dead_docs in sources:
        keep = _copy_segment(db, seg, dead_docs, first_row=row)
        if len(keep):
            parts.append(seg.vectors()[keep])
        row += len(keep)
    if retokenize:
        _retokenize(db)
    _insert(db, added, first_row=row)
    db.commit()
    parts += [a.vectors for a in added if len(a.vectors)]
    vectors = np.ascontiguousarray(np.concatenate(parts) if parts else np.zeros((0, params.dim), np.float32))
    # streamed row by row: a list of every chunk's tokens would not fit at a million chunks
    keyword = KeywordIndex.build(t.split(" ") if t else [] for (t,) in db.execute("SELECT tokens FROM chunks ORDER BY row"))
    n = db.execute("SELECT count(*) FROM chunks").fetchone()[0]
    db.close()
    if n != len(vectors):
        raise RuntimeError(f"index write: {n} chunks but {len(vectors)} vectors")
    np.save(work / "vectors.npy", vectors)
    dense.save(dense.build(vectors, dense.choose(params.dense_index, len(vectors))), work / "dense.faiss")
    keyword.save(work / "bm25")
    _fsync_tree(work)
    final = work.with_name(f"s-{time.time_ns()}")
    os.rename(work, final)
    return f"segments/{final.name}"


def _commit(
    index_dir: Path, names: list[str], dead: dict[str, list[str]], params: IndexParams, old: Manifest | None, compacted: bool
) -> Manifest:
    """Write the version manifest over ``names`` and make it live with one atomic rename."""
    segs = [Segment(index_dir / n, set(dead.get(n, ()))) for n in names]
    try:
        docs = sum(s.db.execute("SELECT count(*) FROM documents").fetchone()[0] - len(s.dead_docs) for s in segs)
        chunks = sum(s.size - len(s.dead_rows) for s in segs)
    finally:
        for s in segs:
            s.db.close()
    biggest = max(range(len(segs)), key=lambda i: segs[i].size) if segs else None
    kind = old.dense_index_type if old is not None and not compacted and biggest == 0 else None
    if kind is None and biggest is not None:  # the largest segment was written now, with this rule
        kind = dense.choose(params.dense_index, segs[biggest].size)
    manifest = Manifest(
        params, docs, chunks, tokenizer=TOKENIZER_ID, dense_index_type=kind,
        segments=tuple(SegmentRef(n, s.size) for n, s in zip(names, segs)), dead=dead, compacted=compacted,
    )
    work = index_dir / f".tmp-{time.time_ns()}"
    work.mkdir()
    (work / "manifest.json").write_text(json.dumps(manifest.to_dict(), indent=2, ensure_ascii=False))
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
    logger.info("index version %s live: %d documents, %d chunks in %d segments", final.name, docs, chunks, len(names))
    return manifest


def _copy_segment(db: sqlite3.Connection, seg: Segment, dead_docs: set[str], first_row: int) -> np.ndarray:
    """Copy a segment's live documents and chunks into ``db``; return the kept chunk rows in order."""
    db.execute("ATTACH DATABASE ? AS old", (f"file:{seg.path / 'chunks.sqlite'}?mode=ro",))
    db.execute("CREATE TEMP TABLE IF NOT EXISTS gone (doc_id TEXT PRIMARY KEY)")
    db.execute("DELETE FROM gone")
    db.executemany("INSERT INTO gone VALUES (?)", [(d,) for d in dead_docs])
    db.execute("INSERT INTO documents SELECT * FROM old.documents WHERE doc_id NOT IN (SELECT doc_id FROM gone)")
    keep = np.array(
        [r for (r,) in db.execute("SELECT row FROM old.chunks WHERE doc_id NOT IN (SELECT doc_id FROM gone) ORDER BY row")],
        dtype=np.int64,
    )
    db.execute(
        f'INSERT INTO chunks SELECT {first_row} + ROW_NUMBER() OVER (ORDER BY row) - 1, chunk_id, doc_id, start, "end", text, tokens '
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
    """Remove unfinished writes, versions other than the live one and segments it does not use."""
    live = current_version(index_dir) if keep is None else index_dir / keep
    used: set[str] = set()
    if live is not None:
        m = json.loads((live / "manifest.json").read_text())
        used = {s["path"] for s in m.get("segments", [])}
    for p in index_dir.iterdir():
        if p.is_dir() and (p.name.startswith(".tmp-") or (p.name.startswith("v-") and (live is None or p.name != live.name))):
            shutil.rmtree(p, ignore_errors=True)
    segments = index_dir / "segments"
    if segments.is_dir():
        for p in segments.iterdir():
            if p.name.startswith(".tmp-") or f"segments/{p.name}" not in used:
                shutil.rmtree(p, ignore_errors=True)
