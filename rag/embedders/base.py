"""The embedder seam: texts in, L2-normalised float32 vectors out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np

PROMPTS = {"query": "query: ", "document": "passage: "}


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors (``[]`` -> shape ``(0, dim)``).

    ``id`` names the model (an index records it and refuses another); ``prompts`` holds the text put
    before a ``query`` and a ``document`` (``{}``: both sides embed alike).
    """

    id: str
    dim: int

    @property
    def prompts(self) -> Mapping[str, str]: ...

    def embed_documents(self, texts: list[str]) -> np.ndarray: ...

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...
