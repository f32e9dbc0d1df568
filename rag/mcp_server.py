"""The archive as MCP tools (the official ``mcp`` SDK) over stdio: ``search_archive`` and ``ask_archive``.

    rag mcp --index index        # an agent client starts this and talks JSON-RPC on stdin/stdout

Stdout belongs to the protocol, so loading (models, dictionaries) prints nothing there; logs go to stderr.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

from .errors import InputError, RagError
from .pipeline import Assistant
from .settings import Settings
from .types import Answer, Citation, Hit

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

logger = logging.getLogger(__name__)

MAX_K = 50
INSTRUCTIONS = (
    "A Chinese news archive. search_archive returns ranked passages with their article ids and dates; "
    "ask_archive returns an answer whose every [n] cites a numbered source passage listed under it, "
    "or says the archive does not contain the answer."
)


def format_hits(hits: list[Hit]) -> str:
    """Ranked passages as numbered plain text."""
    if not hits:
        return "No passages found."
    out = []
    for i, h in enumerate(hits, 1):
        c = h.chunk
        meta = " · ".join(x for x in (c.doc_id, c.title, c.date, c.source) if x)
        out.append(f"[{i}] {meta} (score {h.score:.3f})\n{c.text}")
    return "\n\n".join(out)


def _source(c: Citation) -> str:
    meta = " · ".join(x for x in (c.doc_id, c.title, c.date, c.source) if x)
    return f"[{c.n}] {meta}, characters {c.quote_start}-{c.quote_end}\n    {c.text}"


def format_answer(answer: Answer) -> str:
    """The answer with its numbered sources (or, for a refusal, the closest passages)."""
    if answer.refused:
        near = "\n".join(_source(c) for c in answer.see_also)
        return answer.text + (f"\n\nClosest passages (not an answer):\n{near}" if near else "")
    return answer.text + "\n\nSources:\n" + "\n".join(_source(c) for c in answer.citations)


def build_server(assistant: Assistant) -> MCPServer:
    """An MCP server whose two tools query ``assistant``."""
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError

    server = MCPServer("rag-news", instructions=INSTRUCTIONS)

    @contextlib.contextmanager
    def user_errors() -> Iterator[None]:
        try:
            yield
        except RagError as e:  # the message says what to fix; the client's model sees it
            raise ToolError(str(e)) from None

    @server.tool()
    def search_archive(query: str, k: int = 5, date_from: str | None = None, date_to: str | None = None) -> str:
        """Search the news archive: the best k passages (1-50) for query, optionally only articles dated
        from date_from to date_to (YYYY, YYYY-MM or YYYY-MM-DD)."""
        with user_errors():
            if not 1 <= k <= MAX_K:
                raise InputError(f"k must be 1..{MAX_K}, got {k}")
            return format_hits(assistant.search(query, k, date_from, date_to))

    @server.tool()
    def ask_archive(question: str, as_of: str | None = None) -> str:
        """Answer a question (Chinese or English) from the news archive, citing sources as [n]; as_of
        (YYYY-MM-DD, default today) is the day relative dates such as 去年 or last month are counted from."""
        with user_errors():
            return format_answer(assistant.ask(question, as_of=as_of))

    return server


def serve_stdio(settings: Settings) -> None:
    """``rag mcp``: load the index (printing nothing on stdout), then serve MCP over stdio until stdin closes."""
    from .embedders import get_embedder
    from .store import IndexStore

    with contextlib.redirect_stdout(sys.stderr):
        embedder = get_embedder(settings.embedder)
        assistant = Assistant(settings, IndexStore.open(settings.index_dir, embedder.id), embedder)
        server = build_server(assistant)
    logger.info("MCP server for %s on stdio", settings.index_dir)
    server.run("stdio")
