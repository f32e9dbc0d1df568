"""The local generator: the GGUF model (``rag model fetch``) served by llama.cpp in this process, as a chat model.

It reads the extractive selector's sentences and their neighbours rather than five whole passages (``llm_context``
auto): on a 2-core CPU the prompt's length is most of the latency (eval/reports/llm)."""

from __future__ import annotations

from .base import Parts
from .chat import ChatGenerator, chat_generator, chat_model


def build(parts: Parts) -> ChatGenerator:
    """The registry's constructor: starts the llama.cpp server for the model once, then chats with it."""
    from ..local_llm import ensure_server

    s = parts.settings
    model = chat_model(ensure_server(s.local_model_path), s.llm_model, s.llm_api_key, s.llm_timeout, s.llm_max_tokens)
    return chat_generator(model, "local", parts, "sentences")
