"""A throwaway index for ``--corpus``, cached by content hash so a second run skips the ingest."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import rag
from rag.embed import Embedder
from rag.ingest import Progress, ingest
from rag.keyword import TOKENIZER_ID, cache_dir
from rag.load import iter_files
from rag.settings import Settings
from rag.store import FORMAT_VERSION

logger = logging.getLogger(__name__)

# The library modules that turn files into an index: a change to any of them must not reuse a cached index.
INDEX_CODE = ("load", "clean", "chunk", "embed", "convert", "keyword", "dense", "store", "ingest")


@dataclass(frozen=True)
class IngestInfo:
    """Where the evaluated index lives and what building it cost."""

    index_dir: str
    cached: bool
    seconds: float | None = None
    embed_seconds: float | None = None
    documents: int | None = None
    chunks: int | None = None
    skipped: int | None = None
    key: str | None = None


def eval_cache() -> Path:
    """``$RAG_CACHE_DIR/eval``, else ``~/.cache/rag/eval``."""
    return cache_dir() / "eval"


def source_hash(names: Iterable[str] | None = None) -> str:
    """Hash of the source of the named ``rag`` modules (all of them by default)."""
    root = Path(rag.__file__).parent
    h = hashlib.sha256()
    for path in sorted(root.glob("*.py")) if names is None else [root / f"{n}.py" for n in names]:
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


def code_hash() -> str:
    """What the index code is: index format, tokenizer and the source of the ``INDEX_CODE`` modules."""
    return f"{FORMAT_VERSION}:{TOKENIZER_ID}:{source_hash(INDEX_CODE)}"


def corpus_key(corpus: Path, embedder_id: str, settings: Settings) -> str:
    """Hash of every corpus file (name and bytes), the embedder, the chunk/index settings and the index code."""
    h = hashlib.sha256()
    params = [embedder_id, settings.chunk_size, settings.chunk_overlap, settings.dense_index, code_hash()]
    h.update(json.dumps(params).encode())
    for path, doc_id in iter_files([corpus]):
        h.update(doc_id.encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()[:24]


def cached_index(corpus: Path, settings: Settings, embedder: Embedder, progress: Progress | None = None) -> IngestInfo:
    """The index of ``corpus`` from the cache, built first when missing (atomically, by rename)."""
    key = corpus_key(Path(corpus), embedder.id, settings)
    root = eval_cache()
    final = root / key
    if (final / "ingest.json").is_file():
        info = IngestInfo(**{**json.loads((final / "ingest.json").read_text()), "cached": True, "index_dir": str(final / "index")})
        logger.info("using cached index %s (built in %.1fs)", final, info.seconds or 0)
        return info
    work = root / f".tmp-{key}-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    logger.info("ingesting %s into %s", corpus, final)
    report = ingest(
        [Path(corpus)], work / "index", embedder, settings.chunk_size, settings.chunk_overlap, settings.dense_index,
        rebuild=True, progress=progress,
    )
    info = IngestInfo(
        index_dir=str(final / "index"),
        cached=False,
        seconds=round(report.seconds, 2),
        embed_seconds=round(report.embed_seconds, 2),
        documents=report.documents,
        chunks=report.chunks,
        skipped=len(report.skipped),
        key=key,
    )
    (work / "ingest.json").write_text(json.dumps(asdict(info), indent=2))
    try:
        os.rename(work, final)
    except OSError:  # another run finished the same index first: use theirs
        shutil.rmtree(work, ignore_errors=True)
    return info
