"""OpenAI chat-completion shapes: messages in, an ``Answer`` out as a completion or as stream chunks."""

from __future__ import annotations

import math
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

from ..errors import InputError
from ..query import CJK
from ..types import Answer, Citation
from .schemas import ChatMessage

MODEL_PREFIX = "rag-"
MAX_HISTORY = 6  # earlier question/answer pairs used for follow-ups
_PIECE = re.compile(r".+?(?:[。！？!?；;]|\n+|$)", re.S)

Urls = dict[str, str | None]


def model_id(generator: str) -> str:
    return MODEL_PREFIX + generator


def generator_of(model: str, known: tuple[str, ...]) -> str:
    """The generator a ``model`` id names (``rag-extractive`` or plain ``extractive``)."""
    name = model.removeprefix(MODEL_PREFIX)
    if name not in known:
        raise InputError(f"unknown model {model!r}: use one of {[model_id(g) for g in known]} (GET /v1/models)")
    return name


def turn(messages: list[ChatMessage]) -> tuple[str, list[tuple[str, str]]]:
    """The question (the last user message) and the earlier (question, answer) pairs as history."""
    said = [(m.role, m.text()) for m in messages if m.role in ("user", "assistant")]
    if not said or said[-1][0] != "user":
        raise InputError("messages must end with a message of role 'user' holding the question")
    history: list[tuple[str, str]] = []
    asked: str | None = None
    for role, text in said[:-1]:
        if role == "user":
            asked = text
        elif asked is not None:
            history.append((asked, text))
            asked = None
    return said[-1][1], history[-MAX_HISTORY:]


def reference(c: Citation, urls: Urls) -> dict[str, Any]:
    """A citation as the API shows it: the passage and the quoted span, both as offsets into the article."""
    return {
        "n": c.n,
        "doc_id": c.doc_id,
        "chunk_id": c.chunk_id,
        "title": c.title,
        "date": c.date,
        "source": c.source,
        "url": urls.get(c.doc_id),
        "text": c.text,
        "passage_start": c.start,
        "passage_end": c.end,
        "quote_start": c.quote_start,
        "quote_end": c.quote_end,
        "score": c.score,
        "also_reported_by": list(c.also),
    }


def extras(answer: Answer, urls: Urls) -> dict[str, Any]:
    """What an answer adds to an OpenAI message: references, refusal and the closest passages."""
    return {
        "references": [reference(c, urls) for c in answer.citations],
        "refused": answer.refused,
        "see_also": [reference(c, urls) for c in answer.see_also],
        **({"kind": answer.kind, "dated": [asdict(d) for d in answer.dated]} if answer.dated else {}),
    }


def estimate_tokens(text: str) -> int:
    """A rough token count (one per CJK character, one per four other characters): no tokenizer is run."""
    cjk = len(CJK.findall(text))
    rest = len(re.sub(r"\s+", "", text)) - cjk
    return cjk + math.ceil(max(rest, 0) / 4)


def usage(messages: list[ChatMessage], answer: Answer) -> dict[str, Any]:
    prompt = sum(estimate_tokens(m.text()) for m in messages)
    completion = estimate_tokens(answer.text)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion, "estimated": True}


def _meta(answer: Answer) -> dict[str, Any]:
    return {"generator": answer.generator, "warnings": answer.warnings, "timings": answer.timings}


def completion(answer: Answer, model: str, urls: Urls, messages: list[ChatMessage]) -> dict[str, Any]:
    """A ``chat.completion`` object."""
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": answer.text, **extras(answer, urls)},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": usage(messages, answer),
        "rag": _meta(answer),
    }


class ChunkStream:
    """The ``chat.completion.chunk`` objects of one streamed answer, sharing an id."""

    def __init__(self, model: str) -> None:
        self.id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        self.created = int(time.time())
        self.model = model

    def chunk(self, delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
        choices = [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]
        return {"id": self.id, "object": "chat.completion.chunk", "created": self.created, "model": self.model,
                "choices": choices, **extra}

    def start(self) -> dict[str, Any]:
        return self.chunk({"role": "assistant", "content": ""})

    def answer(
        self, answer: Answer, urls: Urls, messages: list[ChatMessage], include_usage: bool = False
    ) -> Iterator[dict[str, Any]]:
        """The checked answer a sentence at a time, then a final chunk carrying the references."""
        for piece in _PIECE.findall(answer.text):
            if piece:
                yield self.chunk({"content": piece})
        yield self.chunk(extras(answer, urls), "stop", rag=_meta(answer))
        if include_usage:
            last = self.chunk({})
            last["choices"] = []
            yield {**last, "usage": usage(messages, answer)}
