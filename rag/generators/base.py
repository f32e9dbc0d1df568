"""The generator seam: turn a question and numbered passages into answer text with [n] markers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..embedders import Embedder
    from ..evidence import Evidence
    from ..query import Query
    from ..settings import Settings
    from ..types import Hit

NOT_FOUND = {"zh": "资料库中没有找到相关信息。", "en": "The archive does not contain this."}
DocYears = dict[str, tuple[str | None, list[int]]]  # doc id -> (publication date, years mentioned)


class Generator(Protocol):
    """Streams answer text for ``query`` from ``passages`` (passage i is cited as [i+1])."""

    name: str

    def generate(self, query: Query, passages: list[Hit], history: list[tuple[str, str]] | None = None) -> Iterator[str]: ...


@dataclass(frozen=True)
class Parts:
    """What a generator is built from: the settings, and what the pipeline built over the open index."""

    settings: Settings
    evidence: Evidence
    embedder: Embedder
    doc_years: Callable[[], DocYears]  # read on first use (the store's per-document dates)
