"""The HTTP API: OpenAI-compatible chat with references, search and documents under ``/v1`` (FastAPI).

``create_app(Service(assistant), api_key)`` builds it; ``rag serve`` mounts the Gradio UI on the same app,
``rag api`` serves it alone. ``/docs`` is the OpenAPI page.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from ..pipeline import Assistant
from ..settings import Settings
from .guard import Guard, install_errors
from .routes import router
from .service import Service

logger = logging.getLogger(__name__)

__all__ = ["Service", "create_app", "load_assistant", "run", "serve_api"]


def create_app(service: Service, api_key: str | None = None) -> FastAPI:
    """The API over ``service``; with ``api_key`` every ``/v1`` call needs ``Authorization: Bearer KEY``."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        service.close()

    app = FastAPI(
        title="rag-news API",
        version="1",
        description="Answers from a Chinese news archive with verified citations (OpenAI-compatible chat), "
        "search and document management. Token counts in `usage` are estimates.",
        lifespan=lifespan,
    )
    app.state.service = service
    install_errors(app)
    app.include_router(router(service))
    app.add_middleware(Guard, api_key=api_key)
    return app


def run(app: FastAPI, host: str = "127.0.0.1", port: int = 8000, api_key: str | None = None) -> None:
    """Serve ``app`` with uvicorn until interrupted."""
    import uvicorn

    if not api_key and host not in ("127.0.0.1", "localhost", "::1"):
        logger.warning("serving the API on %s without --api-key: anyone who can reach it can change the index", host)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


def load_assistant(settings: Settings) -> Assistant:
    """The ``Assistant`` over ``settings.index_dir``, warmed up so the first caller does not wait for models."""
    from ..embedders import get_embedder
    from ..store import IndexStore

    embedder = get_embedder(settings.embedder)
    assistant = Assistant(settings, IndexStore.open(settings.index_dir, embedder.id), embedder)
    logger.info("warming up the assistant")
    assistant.warm()
    return assistant


def serve_api(settings: Settings, host: str = "127.0.0.1", port: int = 8000, api_key: str | None = None) -> None:
    """``rag api``: the HTTP API alone."""
    app = create_app(Service(load_assistant(settings)), api_key)
    logger.info("API for %s on http://%s:%d/v1 (docs at /docs)%s", settings.index_dir, host, port, " (key)" if api_key else "")
    run(app, host, port, api_key)
