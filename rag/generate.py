"""Kept as an import point: the generators live in ``rag.generators`` (one module each)."""

from __future__ import annotations

from .generators.base import NOT_FOUND, Generator
from .generators.chat import SYSTEM_PROMPT, USER_PROMPT, ChatGenerator, chat_model, format_passages
from .generators.extractive import _ENDS_SENTENCE, EN_LEAD, LIST_BONUS, ExtractiveGenerator, Scored, embed_with

__all__ = [
    "EN_LEAD", "LIST_BONUS", "NOT_FOUND", "SYSTEM_PROMPT", "USER_PROMPT", "ChatGenerator", "ExtractiveGenerator", "Generator",
    "Scored", "_ENDS_SENTENCE", "chat_model", "embed_with", "format_passages",
]
