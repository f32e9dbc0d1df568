"""Chinese-aware chunking: whole sentences packed up to a size, with a small overlap of whole sentences."""

from __future__ import annotations

import re
from collections.abc import Iterator

from .types import Chunk, Document

# A sentence ends at 。！？；!?; or an English full stop before a space (plus closing quotes/brackets), or at a newline.
_SENTENCE = re.compile(r"(?:[^。！？；!?;.\n]|\.(?!\s|$))*(?:(?:[。！？；!?;]+|\.+(?=\s|$))[”’」』）)】》\"']*|\n|$)")
_CLAUSE = re.compile(r"[^，,、：:]*[，,、：:]?")


def sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of ``text`` (whitespace-only spans dropped)."""
    spans = []
    for m in _SENTENCE.finditer(text):
        start, end = m.start(), m.end()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            spans.append((start, end))
    return spans


def _split_long(text: str, start: int, end: int, size: int) -> Iterator[tuple[int, int]]:
    """A sentence longer than ``size``: split at clause marks, else hard at ``size``."""
    pos = start
    for m in _CLAUSE.finditer(text, start, end):
        if m.end() - pos > size and m.start() > pos:
            yield from _hard(pos, m.start(), size)
            pos = m.start()
    yield from _hard(pos, end, size)


def _hard(start: int, end: int, size: int) -> Iterator[tuple[int, int]]:
    for s in range(start, end, size):
        yield s, min(s + size, end)


def split(text: str, size: int, overlap: int) -> list[tuple[int, int]]:
    """Spans of chunks: whole sentences up to ``size`` characters; ``overlap`` sentences repeated."""
    units: list[tuple[int, int]] = []
    for s, e in sentences(text):
        units.extend(_split_long(text, s, e, size) if e - s > size else [(s, e)])
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(units):
        j = i + 1
        while j < len(units) and units[j][1] - units[i][0] <= size:
            j += 1
        spans.append((units[i][0], units[j - 1][1]))
        if j >= len(units):
            break
        i = max(i + 1, j - overlap)
    return spans


def chunk(doc: Document, size: int, overlap: int) -> list[Chunk]:
    """The chunks of one document; ``chunk.text == doc.text[chunk.start:chunk.end]``."""
    return [
        Chunk(f"{doc.doc_id}#{n}", doc.doc_id, doc.text[s:e], s, e, doc.title, doc.date, doc.source)
        for n, (s, e) in enumerate(split(doc.text, size, overlap))
    ]
