"""Any sentence-transformers model, and the wrapper that runs a non-torch engine as one."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np

from .base import PROMPTS, Embedder


class SentenceTransformerEmbedder:
    """Any ``SentenceTransformer``; documents and queries get the model's own prompts if it has them."""

    def __init__(self, model: Any, model_id: str, batch_size: int = 32) -> None:
        self.model = model
        self.id = model_id
        dim_of = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        self.dim = int(dim_of())
        self.batch_size = batch_size

    @property
    def prompts(self) -> dict[str, str]:
        return {k: v for k, v in getattr(self.model, "prompts", {}).items() if k in PROMPTS and v}

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


def _wrap_engine(
    encode: Callable[[list[str], bool], np.ndarray], dim: int, model_id: str, batch_size: int, prompts: dict[str, str] | None = PROMPTS
) -> Embedder:
    """``encode(texts, is_query)`` as a sentence-transformers model; ``prompts=None``: an engine that has none."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(modules=[_engine_module(encode, dim)], device="cpu", prompts=prompts)
    return SentenceTransformerEmbedder(model, model_id, batch_size=batch_size)


def _load_st(name: str) -> Any:
    """``SentenceTransformer(name)`` on the CPU, offline (from local files) unless ``HF_HUB_OFFLINE=0``."""
    from sentence_transformers import SentenceTransformer

    offline = os.path.isdir(name) or os.environ.get("HF_HUB_OFFLINE", "1") != "0"
    return SentenceTransformer(name, device="cpu", local_files_only=offline)
