"""The index: ``IndexStore.open(index)`` opens whichever backend ``index`` names (see ``rag.stores``).

Kept as the import point the rest of the code uses: ``IndexStore`` is the ``Store`` seam and its
``open`` dispatches on the location (folder, ``.db`` Milvus Lite file, ``http(s)://`` Milvus server).
"""

from __future__ import annotations

from pathlib import Path

from .stores import FORMAT_VERSION, DateRange, NewDocument, Store, open_store
from .stores.local import _SCHEMA, LocalStore, _retokenize, current_version

__all__ = ["FORMAT_VERSION", "DateRange", "IndexStore", "LocalStore", "NewDocument", "Store", "current_version", "open_store"]
__all__ += ["_SCHEMA", "_retokenize"]  # bench/synth.py writes a one-segment folder by hand


class IndexStore(Store):
    """The store seam (a ``Protocol``); ``IndexStore.open`` opens any backend."""

    @staticmethod
    def open(index_dir: str | Path, embedder_id: str | None = None, create: bool = False) -> Store:  # type: ignore[override]
        return open_store(index_dir, embedder_id, create=create)
