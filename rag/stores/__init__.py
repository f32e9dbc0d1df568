"""Index backends behind one seam (``base.Store``), chosen by what ``--index`` names.

* a folder: the embedded store (FAISS + BM25 + SQLite, ``local``), the default;
* a path ending in ``.db``: a Milvus Lite file (embedded, nothing to start);
* ``http(s)://host:port[/name]``: a Milvus server or cluster (token from ``RAG_MILVUS_TOKEN``);
  ``name`` (default ``rag``) prefixes the collections, so one server holds several indexes.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..errors import InputError
from .base import FORMAT_VERSION, DateRange, KeywordStats, NewDocument, Ranked, Store

__all__ = ["FORMAT_VERSION", "DateRange", "KeywordStats", "NewDocument", "Ranked", "Store", "copy_index", "describe", "kind_of", "open_store"]

_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):/+(.*)$", re.I)


def kind_of(index: str | Path) -> tuple[str, str]:
    """(``local`` | ``milvus-lite`` | ``milvus``, normalised location) for an ``--index`` value."""
    text = str(index).strip()
    if not text:
        raise InputError("index location is empty: give a folder, a .db file or http(s)://host:port")
    m = _SCHEME.match(text)
    if m and len(m.group(1)) > 1:  # not a Windows drive letter
        scheme, rest = m.group(1).lower(), m.group(2)
        if scheme not in ("http", "https"):
            raise InputError(f"index {text!r}: unknown scheme {scheme!r}, use a folder, a .db file or http(s)://host:port")
        if not re.match(r"^[\w.-]+(:\d+)?(/[A-Za-z_][A-Za-z0-9_]*)?/?$", rest):
            raise InputError(f"index {text!r}: expected http(s)://host:port or http(s)://host:port/name")
        return "milvus", f"{scheme}://{rest.rstrip('/')}"  # a Path of the URI has lost one slash: restored
    if text.endswith(".db"):
        return "milvus-lite", str(Path(text).expanduser().resolve())
    return "local", text


def open_store(index: str | Path, embedder_id: str | None = None, create: bool = False) -> Store:
    """Open the index named by ``index``; ``create``: an empty one to write into when there is none."""
    kind, where = kind_of(index)
    if kind == "local":
        from .local import LocalStore

        return LocalStore.open(Path(where), embedder_id, create=create)
    from .milvus import MilvusStore

    return MilvusStore.open(where, embedder_id, create=create, token=os.environ.get("RAG_MILVUS_TOKEN") or None)


def copy_index(src: str | Path, dst: str | Path, batch: int = 500) -> dict:
    """Copy the embedded index ``src`` into ``dst`` (any backend) without re-embedding; returns ``dst``'s manifest."""
    from .base import MANIFEST_KEYS
    from .local import LocalStore

    source = open_store(src)
    if not isinstance(source, LocalStore):
        raise InputError(f"copy reads an index folder, got {src}")
    params = {k: source.manifest.get(k, "auto") for k in MANIFEST_KEYS}
    target = open_store(dst, create=True)
    try:
        manifest = target.write(set(), [], params, rebuild=True)
        for docs in source.export(batch):
            manifest = target.write(set(), docs, params)
        return manifest
    finally:
        source.close()
        target.close()


def describe(index: str | Path) -> str:
    """A short human description of where ``index`` lives."""
    kind, where = kind_of(index)
    return {"local": f"folder {where}", "milvus-lite": f"Milvus Lite file {where}", "milvus": f"Milvus at {where}"}[kind]
