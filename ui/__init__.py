"""The chat UI (Gradio): ``serve(settings)`` for the CLI, ``build_app(assistant)`` for tests and embedding."""

from __future__ import annotations

from .app import build_app, launch, serve

__all__ = ["build_app", "launch", "serve"]
