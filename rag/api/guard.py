"""The API's edges: bearer-key check, body size limits and errors as OpenAI-style JSON."""

from __future__ import annotations

import hmac
import json
import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import IndexNotFoundError, InputError, ModelError, RagError
from .service import Busy

logger = logging.getLogger(__name__)

MAX_BODY = 2 * 2**20  # a JSON request
MAX_UPLOAD_BODY = 64 * 2**20  # POST /v1/documents (several files)
HINTS = {
    "messages": 'send at least one {"role": "user", "content": "your question"}',
    "files": "upload with multipart/form-data, one or more fields named 'files'",
    "query": "send the text to search for",
}


class BodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"request body is over {limit // 2**20} MiB: send less")


def error(status: int, message: str, param: str | None = None, kind: str = "invalid_request_error",
          headers: dict[str, str] | None = None) -> JSONResponse:
    """An OpenAI-style error body: ``{"error": {"message", "type", "param", "code"}}``."""
    body = {"error": {"message": message, "type": kind, "param": param, "code": status}}
    return JSONResponse(body, status, headers=headers)


class Guard:
    """ASGI middleware for ``/v1``: a bearer key (when set), compared in constant time, and a body size limit."""

    def __init__(self, app: ASGIApp, api_key: str | None = None) -> None:
        self.app = app
        self.expected = f"Bearer {api_key}".encode() if api_key else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path == "/v1" or path.startswith("/v1/")):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        if self.expected is not None and not hmac.compare_digest(headers.get(b"authorization", b""), self.expected):
            response = error(401, "missing or wrong API key: send the header 'Authorization: Bearer KEY'",
                             kind="authentication_error", headers={"WWW-Authenticate": "Bearer"})
            await response(scope, receive, send)
            return
        limit = MAX_UPLOAD_BODY if scope.get("method") == "POST" and path == "/v1/documents" else MAX_BODY
        length = headers.get(b"content-length")
        if length and length.isdigit() and int(length) > limit:
            await error(413, str(BodyTooLarge(limit)))(scope, receive, send)
            return
        await self.app(scope, _counting(receive, limit), send)


def _counting(receive: Receive, limit: int) -> Receive:
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        seen += len(message.get("body", b""))
        if seen > limit:
            raise BodyTooLarge(limit)
        return message

    return counted


def validation_message(exc: RequestValidationError) -> tuple[str, str | None]:
    """One readable line for pydantic's errors: the field, what is wrong, the bad value."""
    parts, param = [], None
    for e in exc.errors():
        loc = [str(x) for x in e.get("loc", ())]
        loc = loc[1:] if loc and loc[0] in ("body", "query", "path", "header", "cookie") else loc
        if e.get("type") == "json_invalid":
            reason = (e.get("ctx") or {}).get("error", "syntax error")
            return f"request body is not valid JSON ({reason}): send a JSON object", None
        if not loc and e.get("type") == "model_attributes_type":
            return "request body must be a JSON object sent with 'Content-Type: application/json'", None
        field = ".".join(loc) or "request body"
        param = param or field
        msg = str(e.get("msg", "invalid")).removeprefix("Value error, ")
        value = e.get("input")
        quiet = e.get("type") in ("missing", "value_error") or value is None or len(repr(value)) > 80
        shown = "" if quiet else f" (got {value!r})"
        hint = HINTS.get(loc[0]) if loc and e.get("type") in ("missing", "too_short") else None
        parts.append(f"{field}: {msg}{shown}" + (f"; {hint}" if hint else ""))
    return "; ".join(parts) or "invalid request", param


def install_errors(app: FastAPI) -> None:
    """Every failure of an API call becomes a JSON error that says what to fix."""

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        message, param = validation_message(exc)
        return error(400, message, param)

    @app.exception_handler(BodyTooLarge)
    async def _too_large(request: Request, exc: BodyTooLarge) -> JSONResponse:
        return error(413, str(exc))

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail, ensure_ascii=False)
        kind = "not_found_error" if exc.status_code == 404 else "invalid_request_error"
        return error(exc.status_code, detail, kind=kind, headers=getattr(exc, "headers", None))

    @app.exception_handler(RagError)
    async def _rag(request: Request, exc: RagError) -> JSONResponse:
        if isinstance(exc, Busy):
            return error(503, str(exc), kind="server_busy", headers={"Retry-After": "1"})
        if isinstance(exc, IndexNotFoundError):
            return error(503, str(exc), kind="server_error")
        status = 400 if isinstance(exc, (InputError, ModelError)) else 500
        logger.info("%s %s: %s", request.method, request.url.path, exc)
        return error(status, str(exc))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("%s %s failed", request.method, request.url.path)
        return error(500, f"internal error ({type(exc).__name__}); see the server log", kind="server_error")

