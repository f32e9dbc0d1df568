"""Read an evaluation set (JSONL): one question a line; malformed lines are reported with their number and skipped."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.query import language

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Question:
    """One gold question; ``None`` marks a field the line did not give (its metrics are skipped)."""

    id: str
    question: str
    lang: str
    line: int
    answerable: bool = True
    answers: tuple[str, ...] | None = None
    answer_parts: tuple[tuple[str, ...], ...] | None = None
    doc_ids: tuple[str, ...] | None = None
    as_of: str | None = None  # the day the question is asked on (time-sensitive sets such as ChronoQA)

    @property
    def expected(self) -> str:
        """The expected answer in words, for reports."""
        if not self.answerable:
            return "(refusal)"
        if self.answer_parts:
            return " + ".join(" / ".join(alts) for alts in self.answer_parts)
        return " | ".join(self.answers or ()) or "?"


@dataclass(frozen=True)
class Issue:
    """A line of the dataset that was skipped, and why."""

    line: int
    message: str


@dataclass
class Dataset:
    """The usable questions of a file and the lines that were not."""

    path: Path
    questions: list[Question] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)


def load_dataset(path: str | Path) -> Dataset:
    """Parse ``path``; blank lines are ignored, bad lines become ``Issue``s."""
    path = Path(path)
    data = Dataset(path)
    seen: set[str] = set()
    with path.open(encoding="utf-8-sig") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                q = parse_line(line, lineno)
                if q.id in seen:
                    raise ValueError(f"duplicate id {q.id!r}")
            except ValueError as e:
                logger.warning("%s:%d skipped: %s", path, lineno, e)
                data.issues.append(Issue(lineno, str(e)))
                continue
            seen.add(q.id)
            data.questions.append(q)
    return data


def parse_line(line: str, lineno: int) -> Question:
    """One question from a JSON line; ``ValueError`` says what is wrong with it."""
    try:
        row = json.loads(line)
    except json.JSONDecodeError as e:
        raise ValueError(f"not valid JSON ({e.msg} at column {e.colno})") from None
    if not isinstance(row, dict):
        raise ValueError(f"expected a JSON object, got {type(row).__name__}")
    text = row.get("question")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("missing or empty 'question'")
    answerable = row.get("answerable", True)
    if not isinstance(answerable, bool):
        raise ValueError(f"'answerable' must be true or false, got {answerable!r}")
    lang = row.get("lang") or language(text)
    if not isinstance(lang, str):
        raise ValueError(f"'lang' must be a string, got {lang!r}")
    return Question(
        id=str(row.get("id") or f"line-{lineno}"),
        question=text,
        lang=lang,
        line=lineno,
        answerable=answerable,
        answers=_strings(row, "answers"),
        answer_parts=_parts(row),
        doc_ids=_strings(row, "doc_ids"),
        as_of=_as_of(row.get("as_of")),
    )


def _as_of(value: Any) -> str | None:
    """A usable ``as_of`` date as ISO, else ``None`` (a malformed one is asked as of today, not skipped)."""
    from rag.timeparse import parse_as_of

    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return parse_as_of(value).isoformat()
    except ValueError:
        return None


def _strings(row: dict[str, Any], key: str) -> tuple[str, ...] | None:
    """A list of non-empty strings; absent or empty gives ``None``."""
    value = row.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"'{key}' must be a list of strings")
    return tuple(v for v in value if v.strip()) or None


def _parts(row: dict[str, Any]) -> tuple[tuple[str, ...], ...] | None:
    """``answer_parts``: each part a list of alternatives (a bare string is one alternative)."""
    value = row.get("answer_parts")
    if value is None:
        return None
    if not isinstance(value, list):
        raise ValueError("'answer_parts' must be a list of lists of strings")
    parts = []
    for part in value:
        alts = [part] if isinstance(part, str) else part
        if not isinstance(alts, list) or not all(isinstance(a, str) for a in alts):
            raise ValueError("'answer_parts' must be a list of lists of strings")
        alts = [a for a in alts if a.strip()]
        if not alts:
            raise ValueError("'answer_parts' has a part without any non-empty alternative")
        parts.append(tuple(alts))
    return tuple(parts) or None
