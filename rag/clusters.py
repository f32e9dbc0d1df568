"""Reprint clusters kept beside any index: which stored documents are copies of one story.

The clusters are a cache of the index, not part of it: a ``ReprintIndex`` (``rag.reprints``) saved next to
the index location (``INDEX/reprints`` for a folder, ``FILE.reprints`` for a Milvus Lite file, the user's
cache for a server), with the content hash of every document it holds. ``sync`` reconciles it with the
store (adds new and changed documents, drops removed ones), so it is never wrong for long whatever backend
or crash came between: ingest syncs after each write, and loading syncs what is missing.
``dedupe`` is the retrieval side: one article per story among the hits, with the other copies' ids.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
from dataclasses import replace
from pathlib import Path

from .keyword import cache_dir
from .reprints import ReprintIndex
from .stores import STORES, Store, kind_of
from .types import Hit

logger = logging.getLogger(__name__)


def sidecar(index: str | Path, name: str = "reprints") -> Path:
    """Where what is kept beside the index at ``index`` (``name``: reprints, provenance.json) lives."""
    kind, where = kind_of(index)
    backend = STORES[kind]
    if backend.schemes:  # a server: kept in this machine's cache, one folder per location
        return cache_dir() / "beside-index" / hashlib.sha256(where.encode()).hexdigest()[:16] / name
    return Path(f"{where}.{name}") if backend.suffix else Path(where) / name


def provenance(index: str | Path) -> dict[str, dict[str, str]]:
    """How each document's fields were found at ingest (doc_id -> {"title": "trafilatura", ...})."""
    try:
        return json.loads(sidecar(index, "provenance.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def record_provenance(index: str | Path, found: dict[str, dict[str, str]], keep: set[str]) -> None:
    """Merge ``found`` into the provenance beside ``index``, keeping only documents in ``keep``; atomic."""
    path = sidecar(index, "provenance.json")
    merged = {d: f for d, f in {**provenance(index), **found}.items() if d in keep}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(merged, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


class Clusters:
    """The reprint clusters of one index, kept in step with its store."""

    def __init__(self, index: ReprintIndex, hashes: dict[str, str]) -> None:
        self.index = index
        self.hashes = hashes  # doc_id -> content hash when it was added
        self._refresh()

    def _refresh(self) -> None:
        self.cluster_of = self.index.cluster_map()
        self.members: dict[str, list[str]] = {}
        for doc_id, key in self.cluster_of.items():
            self.members.setdefault(key, []).append(doc_id)

    @classmethod
    def load(cls, index: str | Path) -> Clusters:
        """The saved clusters of ``index`` (empty when none were saved or they cannot be read)."""
        folder = sidecar(index)
        try:
            hashes = json.loads((folder / "hashes.json").read_text(encoding="utf-8"))
            return cls(ReprintIndex.load(folder), hashes)
        except (OSError, ValueError, KeyError) as e:
            if folder.exists():
                logger.warning("reprint clusters at %s unreadable (%s): rebuilding them", folder, e)
            return cls(ReprintIndex(), {})

    def sync(self, store: Store, index: str | Path) -> bool:
        """Bring the clusters in line with ``store``; save them if anything changed. Returns whether it did."""
        current = store.doc_hashes()
        gone = [d for d, h in self.hashes.items() if current.get(d) != h]
        todo = [d for d, h in current.items() if self.hashes.get(d) != h]
        if not gone and not todo:
            return False
        t = time.perf_counter()
        for doc_id in gone:
            self.index.remove(doc_id)
            self.hashes.pop(doc_id, None)
        for doc_id in todo:
            doc = store.document(doc_id)
            if doc is not None:
                self.index.add(doc_id, doc.text)
                self.hashes[doc_id] = current[doc_id]
        self._refresh()
        self._save(sidecar(index))
        logger.info("reprint clusters: %d removed, %d added in %.1fs; %d clusters", len(gone), len(todo),
                    time.perf_counter() - t, len(self.members))
        return True

    def _save(self, folder: Path) -> None:
        """Write beside the index: a complete new folder, then one rename (the old one removed after)."""
        work = folder.with_name(f".{folder.name}.tmp-{os.getpid()}")
        shutil.rmtree(work, ignore_errors=True)
        self.index.save(work)
        (work / "hashes.json").write_text(json.dumps(self.hashes, ensure_ascii=False), encoding="utf-8")
        old = folder.with_name(f".{folder.name}.old-{os.getpid()}")
        if folder.exists():
            os.rename(folder, old)
        os.rename(work, folder)
        shutil.rmtree(old, ignore_errors=True)

    def duplicates(self, doc_id: str) -> list[str]:
        """The other documents of ``doc_id``'s story."""
        key = self.cluster_of.get(doc_id)
        return sorted(d for d in self.members.get(key, []) if d != doc_id) if key else []

    def dedupe(self, hits: list[Hit], k: int | None = None) -> list[Hit]:
        """Hits with one article per story: a copy of a story already present is dropped (its id goes to the
        kept article's ``also``); several passages of the kept article stay. At most ``k``."""
        if not self.cluster_of:
            return hits[:k] if k else hits
        chosen: dict[str, str] = {}  # cluster key -> the doc shown for it
        out: list[Hit] = []
        for h in hits:
            doc = h.chunk.doc_id
            key = self.cluster_of.get(doc)
            if key is None:
                out.append(h)
                continue
            shown = chosen.setdefault(key, doc)
            if shown == doc:
                also = tuple(d for d in self.members[key] if d != doc)
                out.append(replace(h, also=also))
            if k and len(out) == k:
                break
        return out[:k] if k else out
