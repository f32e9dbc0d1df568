"""Generators: turn a question and numbered passages into answer text with [n] markers."""

from __future__ import annotations

from .base import NOT_FOUND, Generator
from .chat import ChatGenerator, chat_model, format_passages
from .extractive import ExtractiveGenerator, Scored, embed_with

__all__ = ["NOT_FOUND", "ChatGenerator", "ExtractiveGenerator", "Generator", "Scored", "chat_model", "embed_with", "format_passages"]
