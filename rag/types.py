"""The small data types that flow through the pipeline."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Document:
    """A cleaned article with its metadata."""

    doc_id: str
    text: str
    title: str | None = None
    date: str | None = None
    source: str | None = None
    url: str | None = None
    years: tuple[int, ...] = ()


@dataclass(frozen=True)
class Chunk:
    """A span ``text == document.text[start:end]`` of one document."""

    chunk_id: str
    doc_id: str
    text: str
    start: int
    end: int
    title: str | None = None
    date: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk, its fused score and which retrievers found it."""

    chunk: Chunk
    score: float
    found_by: tuple[str, ...] = ()
    also: tuple[str, ...] = ()  # other documents reporting the same story (reprints), not shown

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self.chunk), "score": self.score, "found_by": list(self.found_by)}


@dataclass(frozen=True)
class Citation:
    """Passage ``n`` of an answer; ``quote_start``/``quote_end`` mark the supporting span in the article."""

    n: int
    doc_id: str
    chunk_id: str
    title: str | None
    date: str | None
    source: str | None
    text: str
    start: int
    end: int
    score: float
    quote_start: int
    quote_end: int
    also: tuple[str, ...] = ()  # other documents reporting the same story ("also reported by N outlets")


@dataclass(frozen=True)
class Dated:
    """One dated line of a timeline, comparison or count answer: the event or topic, its date (ISO, ``None`` when
    unknown), the citation ``n`` it rests on and the sentence quoted."""

    event: str
    date: str | None
    n: int
    text: str


@dataclass
class Answer:
    """What the assistant says, with the passages it cites."""

    question: str
    text: str
    citations: list[Citation] = field(default_factory=list)
    refused: bool = False
    see_also: list[Citation] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    generator: str = "extractive"
    kind: str | None = None  # a time question answered from dated evidence: compare, same, each, timeline, count
    dated: list[Dated] = field(default_factory=list)  # its dated lines, as the evidence holds them

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
