"""Request bodies of the HTTP API (pydantic), with the limits that keep one request from hurting the others."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from ..errors import InputError
from ..pipeline import MAX_QUESTION, check_as_of, check_date

MAX_K = 50
MAX_MESSAGES = 100
MAX_MESSAGE_CHARS = 32_000


class ContentPart(BaseModel):
    """One part of an OpenAI message ``content`` list; only ``{"type": "text", "text": ...}`` is used."""

    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    """An OpenAI chat message."""

    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None

    @field_validator("content")
    @classmethod
    def _not_huge(cls, v: str | list[ContentPart] | None) -> str | list[ContentPart] | None:
        size = len(v) if isinstance(v, str) else sum(len(p.text or "") for p in v or [])
        if size > MAX_MESSAGE_CHARS:
            raise ValueError(f"is {size:,} characters long; the limit is {MAX_MESSAGE_CHARS:,}: send a shorter message")
        return v

    def text(self) -> str:
        """The message's text (text parts joined); other parts are refused."""
        if self.content is None or isinstance(self.content, str):
            return self.content or ""
        other = sorted({p.type for p in self.content if p.type != "text"})
        if other:
            raise InputError(f"only text message content is supported, got parts of type {other}")
        return "\n".join(p.text or "" for p in self.content)


class Filters(BaseModel):
    """Retrieval options shared by chat and search."""

    k: int | None = Field(None, ge=1, le=MAX_K, description=f"passages to retrieve, 1..{MAX_K}")
    date_from: str | None = Field(None, description="earliest article date: YYYY, YYYY-MM or YYYY-MM-DD")
    date_to: str | None = Field(None, description="latest article date: YYYY, YYYY-MM or YYYY-MM-DD")
    as_of: str | None = Field(
        None, description="the day the question is asked on, YYYY-MM-DD (default today): 去年, last month... resolve against it"
    )

    @field_validator("as_of")
    @classmethod
    def _as_of(cls, v: str | None) -> str | None:
        if v is None or not v.strip():
            return None
        try:
            return check_as_of(v).isoformat()
        except InputError as e:
            raise ValueError(str(e)) from None

    @field_validator("date_from", "date_to")
    @classmethod
    def _iso_date(cls, v: str | None, info: ValidationInfo) -> str | None:
        try:
            return check_date(v, info.field_name or "date")
        except InputError as e:
            raise ValueError(str(e)) from None


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")
    include_usage: bool = False


class ChatRequest(Filters):
    """``POST /v1/chat/completions``: the OpenAI schema plus ``k``, ``date_from``, ``date_to`` and ``as_of``."""

    model_config = ConfigDict(extra="allow")  # temperature, max_tokens, user, ... are accepted and ignored
    model: str | None = Field(None, description="a generator from GET /v1/models, e.g. rag-extractive")
    messages: list[ChatMessage] = Field(min_length=1, max_length=MAX_MESSAGES)
    stream: bool = False
    stream_options: StreamOptions | None = None
    n: int = Field(1, ge=1, le=1, description="only one choice is produced")


class SearchRequest(Filters):
    """``POST /v1/search``."""

    query: str = Field(min_length=1, max_length=MAX_QUESTION)
    source: str | None = Field(None, description="keep only passages from this source (outlet)")
