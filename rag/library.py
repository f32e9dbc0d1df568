"""Changes to a live index: ingest or remove documents, one writer per index, then switch the new version in.

Shared by the UI and the HTTP API so that both serialise their writes on the same lock: two writers that
each started from the same base version would otherwise lose one another's documents.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from .ingest import IngestReport, Progress, ingest, remove
from .pipeline import Assistant

logger = logging.getLogger(__name__)

_LOCKS: dict[Path, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def index_lock(index_dir: Path) -> threading.Lock:
    """The one writer lock of ``index_dir`` in this process."""
    key = Path(index_dir).resolve()
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(key, threading.Lock())


class Library:
    """Writes into the index an ``Assistant`` serves; questions keep the old version until ``reload``."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant

    @property
    def lock(self) -> threading.Lock:
        return index_lock(self.assistant.settings.index_dir)

    def ingest(self, paths: list[Path], progress: Progress | None = None) -> IngestReport:
        """Add or update the articles in ``paths`` with the index's own chunking, then reload."""
        a = self.assistant
        with self.lock:
            built = a.store.manifest.params
            report = ingest(
                paths,
                index_dir=a.settings.index_dir,
                embedder=a.embedder,
                chunk_size=built.chunk_size,
                chunk_overlap=built.chunk_overlap,
                dense_index=built.dense_index,
                progress=progress,
            )
            a.reload()
        logger.info("ingested %d new, %d updated documents", len(report.added), len(report.updated))
        return report

    def remove(self, doc_ids: list[str]) -> list[str]:
        """Remove documents by id, then reload; returns the ids that were present."""
        a = self.assistant
        with self.lock:
            gone = remove(a.settings.index_dir, doc_ids, a.embedder.id)
            if gone:
                a.reload()
        return gone
