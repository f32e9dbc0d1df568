"""Document size checks at ingest, before any embedding: documents over ``max_doc_chars`` are truncated
(at a sentence end) or refused, with a warning; large ones are reported with their chunk count and an
estimate of the embedding time measured on this machine. Nothing happens silently."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from .embedders import Embedder
from .load import Skipped
from .types import Chunk, Document

logger = logging.getLogger(__name__)

OVERSIZE = ("truncate", "refuse")
_PROBE = 8  # chunks embedded to measure the rate for the estimate
Todo = dict[str, tuple[Document, str, list[Chunk]]]


@dataclass(frozen=True)
class SizeReport:
    """What the size check found: documents truncated or refused, large ones, and the time estimate."""

    truncated: list[str]
    refused: list[str]
    large: list[tuple[str, int, int]]  # doc_id, characters, chunks
    chunks: int
    estimate_s: float | None


def truncate(doc: Document, max_chars: int) -> Document:
    """``doc`` cut to at most ``max_chars`` characters, at the last sentence end if there is one late enough."""
    head = doc.text[:max_chars]
    ends = [m.end() for m in re.finditer(r"[。！？!?\n]", head)]
    cut = ends[-1] if ends and ends[-1] > max_chars * 0.9 else max_chars
    return replace(doc, text=head[:cut])


def check(
    todo: Todo,
    embedder: Embedder,
    rechunk: Callable[[Document], list[Chunk]],
    skipped: list[Skipped],
    max_doc_chars: int,
    large_doc_chars: int,
    oversize: str = "truncate",
    embedding_text: Callable[[Chunk], str] = lambda c: c.text,
) -> tuple[Todo, SizeReport]:
    """``todo`` with oversized documents truncated (re-chunked, same content hash, so an unchanged
    source stays unchanged) or refused (moved to ``skipped``); warns about each, and about large
    documents with their chunk count and an embedding-time estimate, before embedding starts."""
    if oversize not in OVERSIZE:
        raise ValueError(f"oversize must be one of {OVERSIZE}, got {oversize!r}")
    out: Todo = {}
    truncated, refused = [], []
    for doc_id, (doc, h, chunks) in todo.items():
        if max_doc_chars and len(doc.text) > max_doc_chars:
            if oversize == "refuse":
                reason = f"{len(doc.text):,} characters, over max_doc_chars {max_doc_chars:,} (raise it with --max-doc-chars)"
                logger.warning("refused %s: %s", doc_id, reason)
                skipped.append(Skipped(doc_id, f"too large: {reason}"))
                refused.append(doc_id)
                continue
            short = truncate(doc, max_doc_chars)
            logger.warning(
                "truncated %s: %s of %s characters kept (max_doc_chars; raise it with --max-doc-chars)",
                doc_id, f"{len(short.text):,}", f"{len(doc.text):,}",
            )
            doc, chunks = short, rechunk(short)
            truncated.append(doc_id)
        out[doc_id] = (doc, h, chunks)
    large = [(d, len(doc.text), len(cs)) for d, (doc, _, cs) in out.items() if len(doc.text) > large_doc_chars]
    total = sum(len(cs) for _, _, cs in out.values())
    estimate = None
    if large:
        estimate = _estimate(out, embedder, embedding_text, total)
        for d, chars, n in large:
            logger.warning("large document %s: %s characters, %d chunks", d, f"{chars:,}", n)
        logger.warning(
            "about to embed %d chunks; estimated %s of embedding on this machine (measured on %d chunks)",
            total, _duration(estimate), min(_PROBE, total),
        )
    return out, SizeReport(truncated, refused, large, total, estimate)


def _estimate(todo: Todo, embedder: Embedder, text: Callable[[Chunk], str], total: int) -> float:
    """Seconds to embed ``total`` chunks, from the time to embed a few of them now."""
    probe = [text(c) for _, _, cs in todo.values() for c in cs][:_PROBE]
    t = time.perf_counter()
    embedder.embed_documents(probe)
    per = (time.perf_counter() - t) / max(len(probe), 1)
    return per * total


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
