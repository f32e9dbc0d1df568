"""The ``/v1`` routes: models, chat completions (OpenAI schema), search and documents; plus ``/healthz``."""

from __future__ import annotations

import asyncio
import json
import logging
import tempfile
from collections.abc import AsyncIterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from fastapi import APIRouter, File, HTTPException, Query, UploadFile
from fastapi.responses import JSONResponse
from sse_starlette import EventSourceResponse

from ..errors import InputError, RagError
from ..ingest import IngestReport
from ..load import SUFFIXES, Skipped, read_file
from ..pipeline import clean_question
from . import chat
from .schemas import ChatRequest, SearchRequest
from .service import Service

logger = logging.getLogger(__name__)

MAX_FILE_MB = 10


def router(service: Service) -> APIRouter:
    r = APIRouter()

    @r.get("/healthz", tags=["health"])
    def healthz() -> dict[str, Any]:
        """Liveness and what is served (no key needed)."""
        store = service.primary.store
        m = store.manifest
        version = getattr(getattr(store, "path", None), "name", None) or m.created  # a folder's live version, else when written
        return {"status": "ok", "documents": m.documents, "chunks": m.chunks, "embedder": m.params.embedder, "version": version}

    @r.get("/v1/models", tags=["chat"])
    def models() -> dict[str, Any]:
        """The generators an answer can come from, the server's default first."""
        data = [{"id": chat.model_id(g), "object": "model", "created": 0, "owned_by": "rag-news"}
                for g in service.generators()]
        return {"object": "list", "data": data}

    @r.post("/v1/chat/completions", tags=["chat"], response_model=None)
    async def completions(body: ChatRequest) -> dict[str, Any] | EventSourceResponse:
        """Answer the last user message (earlier messages are the history); ``references`` carry the citations."""
        generator = chat.generator_of(body.model, service.generators()) if body.model else None
        question, history = chat.turn(body.messages)
        clean_question(question)  # an empty question is a 400 before anything starts
        model = chat.model_id(generator or service.default_generator)
        kw = {"k": body.k, "date_from": body.date_from, "date_to": body.date_to, "as_of": body.as_of}
        if not body.stream:
            answer, urls = await service.run(service.answer, generator, question, history, **kw)
            return chat.completion(answer, model, urls, body.messages)
        # an unusable generator is a 400 too, not a broken stream (built beside the pool: it holds no worker)
        await asyncio.to_thread(service.assistant, generator)
        chunks = chat.ChunkStream(model)
        include_usage = bool(body.stream_options and body.stream_options.include_usage)

        async def events() -> AsyncIterator[dict[str, str]]:
            yield _event(chunks.start())
            try:
                answer, urls = await service.run(service.answer, generator, question, history, **kw)
            except Exception as e:  # the stream has started: report it in the stream, as OpenAI does
                if not isinstance(e, RagError):
                    logger.exception("streamed answer failed")
                message = str(e) if isinstance(e, RagError) else f"internal error ({type(e).__name__}); see the server log"
                yield _event({"error": {"message": message, "type": "server_error"}})
            else:
                for c in chunks.answer(answer, urls, body.messages, include_usage):
                    yield _event(c)
            yield {"data": "[DONE]"}

        return EventSourceResponse(events(), ping=15)

    @r.post("/v1/search", tags=["search"])
    async def search(body: SearchRequest) -> dict[str, Any]:
        """Ranked passages for ``query``, best first (no answer)."""
        hits, urls = await service.run(
            service.search, body.query, body.k or 5, date_from=body.date_from, date_to=body.date_to, source=body.source,
            as_of=body.as_of,
        )
        return {"hits": [_hit(h.to_dict(), urls) for h in hits]}

    @r.get("/v1/documents", tags=["documents"])
    def documents(offset: int = Query(0, ge=0), limit: int = Query(50, ge=1, le=500)) -> dict[str, Any]:
        """The indexed articles, newest first, a page at a time."""
        docs = service.primary.store.documents()
        return {"total": len(docs), "offset": offset, "limit": limit, "documents": docs[offset : offset + limit]}

    @r.get("/v1/documents/{doc_id:path}", tags=["documents"])
    def document(doc_id: str) -> dict[str, Any]:
        """One article: its cleaned text and metadata."""
        doc = service.primary.store.document(doc_id)
        if doc is None:
            raise HTTPException(404, _missing(doc_id))
        return asdict(doc)

    @r.delete("/v1/documents/{doc_id:path}", tags=["documents"])
    async def delete(doc_id: str) -> dict[str, Any]:
        """Remove an article from every index; questions after this no longer see it."""
        gone = await service.write(service.library.remove, [doc_id])
        if not gone:
            raise HTTPException(404, _missing(doc_id))
        return {"deleted": doc_id, "documents": service.primary.store.manifest.documents}

    @r.post("/v1/documents", tags=["documents"])
    async def upload(files: list[UploadFile] = File(...)) -> JSONResponse:  # noqa: B008
        """Add or update articles (txt, md, html, htm, jsonl; 10 MB each): all of them, or none if one is bad."""
        with tempfile.TemporaryDirectory(prefix="rag-upload-") as tmp:
            paths = [await _save(f, Path(tmp)) for f in files]
            if len({p.name for p in paths}) < len(paths):
                raise InputError("two uploaded files have the same name: nothing was ingested")
            problems = [s for p in paths for s in read_file(p, p.name) if isinstance(s, Skipped)]
            if problems:
                reasons = "; ".join(f"{Path(s.path).name}: {s.reason}" for s in problems)
                raise HTTPException(415, f"nothing was ingested: {reasons}")
            report = await service.write(service.library.ingest, paths)
        return JSONResponse(_report(report), 201 if report.added else 200)

    return r


def _event(obj: dict[str, Any]) -> dict[str, str]:
    return {"data": json.dumps(obj, ensure_ascii=False)}


def _hit(d: dict[str, Any], urls: chat.Urls) -> dict[str, Any]:
    keys = ("doc_id", "chunk_id", "text", "title", "date", "source")
    return {**{k: d[k] for k in keys}, "url": urls.get(d["doc_id"]), "start": d["start"], "end": d["end"],
            "score": d["score"], "found_by": d["found_by"], "also_reported_by": list(d.get("also", ()))}


def _missing(doc_id: str) -> str:
    return f"no document {doc_id!r} in the index: GET /v1/documents lists them"


async def _save(upload: UploadFile, folder: Path) -> Path:
    """One upload written to ``folder`` under its own base name, after checking its type and size."""
    name = Path(upload.filename or "").name
    if not name or name.startswith("."):
        raise InputError(f"uploaded file needs a name, got {upload.filename!r}")
    if Path(name).suffix.lower() not in SUFFIXES:
        raise HTTPException(415, f"{name}: unsupported file type; upload one of {' '.join(SUFFIXES)}")
    data = await upload.read(MAX_FILE_MB * 2**20 + 1)
    if len(data) > MAX_FILE_MB * 2**20:
        raise HTTPException(413, f"{name} is over {MAX_FILE_MB} MB: split it into smaller files")
    path = folder / name
    path.write_bytes(data)
    return path


def _report(r: IngestReport) -> dict[str, Any]:
    return {
        "added": r.added, "updated": r.updated, "unchanged": r.unchanged,
        "skipped": [{"file": Path(s.path).name, "reason": s.reason} for s in r.skipped],
        "chunks_embedded": r.chunks_embedded, "documents": r.documents, "chunks": r.chunks,
        "seconds": round(r.seconds, 2),
    }
