"""What the HTTP API runs: questions in a bounded worker pool, index writes on one writer thread.

Each question takes the ``Assistant`` for its generator over the index version live when it starts and
keeps it to the end, so an ingest or removal never changes the index under a running question; the
next question gets the new version.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from ..errors import RagError
from ..generators import GENERATORS
from ..library import Library
from ..pipeline import Assistant
from ..stores import Store
from ..types import Answer, Hit

logger = logging.getLogger(__name__)

T = TypeVar("T")
QUEUE_SIZE = 256  # questions waiting beyond the workers before the API answers 503
Urls = dict[str, str | None]


class Busy(RagError):
    """Every worker is busy and the queue is full."""


def default_workers() -> int:
    """Questions answered at once: more than the cores only adds contention."""
    return int(os.environ.get("RAG_API_WORKERS") or min(4, os.cpu_count() or 2))


def urls_of(store: Store, doc_ids: list[str]) -> Urls:
    """The article URL of each document id (``None`` when the article has none)."""
    out: Urls = {}
    for d in dict.fromkeys(doc_ids):
        doc = store.document(d)
        out[d] = doc.url if doc else None
    return out


class Service:
    """The API's view of one served ``Assistant`` (shared with the UI when both run in one server)."""

    def __init__(self, assistant: Assistant, workers: int | None = None, queue_size: int = QUEUE_SIZE) -> None:
        self.primary = assistant
        self.library = Library(assistant)
        self.workers = workers or default_workers()
        self.queue_size = queue_size
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="rag-answer")
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="rag-index")
        self._pending = 0
        self._lock = threading.Lock()
        self._store: Store | None = None
        self._variants: dict[str, Assistant] = {}

    # ---- generators -------------------------------------------------------------------------

    @property
    def default_generator(self) -> str:
        return self.primary.settings.generator

    def generators(self) -> tuple[str, ...]:
        """Every generator name, the server's default first."""
        return (self.default_generator, *[g for g in GENERATORS if g != self.default_generator])

    def assistant(self, generator: str | None = None) -> Assistant:
        """An ``Assistant`` answering with ``generator`` over the live index, leaving the server default alone."""
        p = self.primary
        name = generator or p.settings.generator
        settings = p.settings.with_(generator=name)
        with self._lock:
            if self._store is not p.store:  # a new index version: new assistants over it
                self._store, self._variants = p.store, {}
            store, a = self._store, self._variants.get(name)
        if a is not None and a.settings == settings:
            return a
        a = Assistant(settings, store, p.embedder)  # outside the lock: a local model may take a while to start
        with self._lock:
            if self._store is store:
                self._variants[name] = a
        return a

    # ---- work -------------------------------------------------------------------------------

    async def run(self, fn: Callable[..., T], *args: Any, **kw: Any) -> T:
        """Run ``fn`` in the question pool; ``Busy`` when the pool and its queue are full."""
        if self._pending >= self.workers + self.queue_size:
            raise Busy(f"server busy: {self._pending} questions in progress or waiting; retry shortly")
        self._pending += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, functools.partial(fn, *args, **kw))
        finally:
            self._pending -= 1

    async def write(self, fn: Callable[..., T], *args: Any) -> T:
        """Run an index write on the one writer thread (questions keep running meanwhile)."""
        return await asyncio.get_running_loop().run_in_executor(self._writer, functools.partial(fn, *args))

    def answer(
        self, generator: str | None, question: str, history: list[tuple[str, str]], **kw: Any
    ) -> tuple[Answer, Urls]:
        a = self.assistant(generator)
        answer = a.ask(question, history, **kw)
        return answer, urls_of(a.store, [c.doc_id for c in answer.citations + answer.see_also])

    def search(self, query: str, k: int, **kw: Any) -> tuple[list[Hit], Urls]:
        a = self.assistant()
        hits = a.search(query, k, **kw)
        return hits, urls_of(a.store, [h.chunk.doc_id for h in hits])

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._writer.shutdown(wait=True)
