"""Index backends behind one seam (``base.Store``), chosen by what ``--index`` names.

* a folder: the embedded store (FAISS + BM25 + SQLite, ``local``), the default;
* a path ending in ``.db``: a Milvus Lite file (embedded, nothing to start);
* ``http(s)://host:port[/name]``: a Milvus server or cluster (token from ``RAG_MILVUS_TOKEN``);
  ``name`` (default ``rag``) prefixes the collections, so one server holds several indexes.

To add a backend: a module here with a class whose ``open(location, embedder_id, create=False)``
returns a ``Store``, and one line in ``STORES`` saying which locations it takes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..registry import Plugin
from .base import FORMAT_VERSION, DateRange, IndexParams, KeywordStats, Manifest, NewDocument, Ranked, Store

__all__ = [
    "FORMAT_VERSION", "STORES", "Backend", "DateRange", "IndexParams", "KeywordStats", "Manifest", "NewDocument", "Ranked",
    "Store", "copy_index", "describe", "kind_of", "open_store",
]

_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):/+(.*)$", re.I)
_SERVER = re.compile(r"^[\w.-]+(:\d+)?(/[A-Za-z_][A-Za-z0-9_]*)?/?$")  # host[:port][/name]


@dataclass(frozen=True)
class Backend(Plugin):
    """A store class and the locations it takes: URLs with one of ``schemes``, paths ending in ``suffix``,
    or (neither) any other path, a folder."""

    schemes: tuple[str, ...] = ()
    suffix: str = ""


STORES: dict[str, Backend] = {
    "local": Backend("rag.stores.local:LocalStore", "folder"),
    "milvus-lite": Backend("rag.stores.milvus:MilvusStore", "Milvus Lite file", suffix=".db"),
    "milvus": Backend("rag.stores.milvus:MilvusStore", "Milvus at", schemes=("http", "https")),
}


def kind_of(index: str | Path) -> tuple[str, str]:
    """(the ``STORES`` name, the normalised location) for an ``--index`` value."""
    text = str(index).strip()
    kinds = [f"a {b.suffix} file" if b.suffix else f"{'|'.join(b.schemes)}://host:port" if b.schemes else "a folder"
             for b in STORES.values()]
    hint = ", ".join(kinds[:-1]) + " or " + kinds[-1]
    if not text:
        raise InputError(f"index location is empty: give {hint}")
    m = _SCHEME.match(text)
    if m and len(m.group(1)) > 1:  # not a Windows drive letter
        scheme, rest = m.group(1).lower(), m.group(2)
        kind = next((k for k, b in STORES.items() if scheme in b.schemes), None)
        if kind is None:
            raise InputError(f"index {text!r}: unknown scheme {scheme!r}, use {hint}")
        if not _SERVER.match(rest):
            raise InputError(f"index {text!r}: expected {scheme}://host:port or {scheme}://host:port/name")
        return kind, f"{scheme}://{rest.rstrip('/')}"  # a Path of the URI has lost one slash: restored
    for kind, b in STORES.items():
        if b.suffix and text.endswith(b.suffix):
            return kind, str(Path(text).expanduser().resolve())
    return next(k for k, b in STORES.items() if not b.suffix and not b.schemes), text


def open_store(index: str | Path, embedder_id: str | None = None, create: bool = False) -> Store:
    """Open the index named by ``index``; ``create``: an empty one to write into when there is none."""
    kind, where = kind_of(index)
    store: Store = STORES[kind].load().open(where, embedder_id, create=create)
    return store


def copy_index(src: str | Path, dst: str | Path, batch: int = 500) -> Manifest:
    """Copy the embedded index ``src`` into ``dst`` (any backend) without re-embedding; returns ``dst``'s manifest."""
    from .local import LocalStore

    source = open_store(src)
    if not isinstance(source, LocalStore):
        raise InputError(f"copy reads an index folder, got {src}")
    params = source.manifest.params
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
    return f"{STORES[kind].label} {where}"
