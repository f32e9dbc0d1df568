"""The embedder seam: texts in, L2-normalised float32 vectors out."""

from __future__ import annotations

from typing import Protocol

import numpy as np

PROMPTS = {"query": "query: ", "document": "passage: "}


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors."""

    id: str
    dim: int

    def embed_documents(self, texts: list[str]) -> np.ndarray: ...

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...
