"""The generator seam: turn a question and numbered passages into answer text with [n] markers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from ..query import Query
from ..types import Hit

NOT_FOUND = {"zh": "资料库中没有找到相关信息。", "en": "The archive does not contain this."}


class Generator(Protocol):
    """Streams answer text for ``query`` from ``passages`` (passage i is cited as [i+1])."""

    name: str

    def generate(self, query: Query, passages: list[Hit], history: list[tuple[str, str]] | None = None) -> Iterator[str]: ...
