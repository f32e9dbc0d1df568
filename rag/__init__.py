"""Retrieval-augmented question answering over Chinese news archives, with verified citations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .pipeline import Assistant
    from .types import Answer, Citation

__all__ = ["Assistant", "Answer", "Citation"]


def __getattr__(name: str) -> Any:
    """Import lazily so ``rag --help`` never loads torch."""
    if name == "Assistant":
        from .pipeline import Assistant

        return Assistant
    if name in ("Answer", "Citation"):
        from . import types

        return getattr(types, name)
    raise AttributeError(name)
