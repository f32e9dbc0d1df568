"""The local generator: the GGUF model (``rag model fetch``) served by llama.cpp in this process, as a chat model."""

from __future__ import annotations

from .base import Parts
from .chat import ChatGenerator, chat_model


def build(parts: Parts) -> ChatGenerator:
    """The registry's constructor: starts the llama.cpp server for the model once, then chats with it."""
    from ..local_llm import ensure_server

    s = parts.settings
    return ChatGenerator(chat_model(ensure_server(s.local_model_path), s.llm_model, s.llm_api_key, s.llm_timeout), "local")
