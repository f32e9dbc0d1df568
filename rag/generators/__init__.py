"""Generators: turn a question and numbered passages into answer text with [n] markers.

To add one: a module here with a ``build(parts: Parts) -> Generator``, and one line in ``GENERATORS``.
"""

from __future__ import annotations

from ..registry import Plugin, lookup
from .base import NOT_FOUND, DocYears, Generator, Parts

__all__ = ["GENERATORS", "NOT_FOUND", "DocYears", "Generator", "Parts", "build_generator"]

GENERATORS: dict[str, Plugin] = {
    "extractive": Plugin("rag.generators.extractive:build", "抽取式", "离线，无需模型"),
    "openai": Plugin("rag.generators.chat:build", "OpenAI 兼容接口"),
    "local": Plugin("rag.generators.local:build", "本地 GGUF 模型"),
}


def build_generator(name: str, parts: Parts) -> Generator:
    """The generator registered as ``name``, built from ``parts``."""
    generator: Generator = lookup(GENERATORS, name, "generator").load()(parts)
    return generator
