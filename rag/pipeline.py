"""The answer chain: (rewrite follow-up) -> retrieve -> numbered passages -> generate -> check citations -> Answer."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from langchain_core.runnables import Runnable, RunnableGenerator, RunnableLambda

from . import temporal
from .cite import check, see_also, unstated_figures
from .clusters import Clusters
from .embedders import Embedder, get_embedder
from .errors import InputError
from .evidence import Evidence
from .generators import NOT_FOUND, Generator, Parts, build_generator
from .generators.extractive import LEADS
from .query import CJK, Query
from .retrieve import LIST_WIDTH, HybridRetriever
from .settings import Settings
from .stores import Store, open_store
from .timeparse import absolutize, parse_as_of
from .types import Answer, Citation, Dated, Hit

if TYPE_CHECKING:
    from .keyword import KeywordIndex

logger = logging.getLogger(__name__)

MAX_QUESTION = 2000
FALLBACK = "extractive"  # answers when the chosen generator fails or cites nothing, and writes the temporal answers
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_FOLLOW_UP = re.compile(r"它|他们|她们|这些|那些|其中|该|此|上述|\b(?:it|they|them|those|these|that|there|he|she)\b", re.I)
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_REFUSAL = re.compile(r"没有找到相关信息|资料库中没有|无法回答|does not contain|not (?:found|contain)", re.I)


@dataclass
class Turn:
    """The state one question carries through the chain."""

    question: str
    history: list[tuple[str, str]]
    k: int
    date_from: str | None
    date_to: str | None
    as_of: date | None = None
    search_text: str = ""
    plan: temporal.Plan | None = None
    dated: temporal.Evidence | None = None
    query: Query | None = None
    hits: list[Hit] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)


def clean_question(question: str) -> tuple[str, list[str]]:
    """Strip control characters and excess length; refuse an empty question."""
    if not isinstance(question, str):
        raise InputError(f"question must be text, got {type(question).__name__}")
    q = re.sub(r"\s+", " ", _CONTROL.sub(" ", question)).strip()
    if not q:
        raise InputError("question is empty: type a question about the archive")
    if len(q) > MAX_QUESTION:
        return q[:MAX_QUESTION], [f"question shortened to its first {MAX_QUESTION} characters (it had {len(q)})"]
    return q, []


def check_date(value: str | None, label: str) -> str | None:
    """A blank or ISO-like (``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``) date; anything else is an ``InputError``."""
    value = (value or "").strip()
    if value and not _DATE.match(value):
        raise InputError(f"{label} must be YYYY, YYYY-MM or YYYY-MM-DD, got {value!r}")
    return value or None


class Assistant:
    """The Python API: ``Assistant.load("index").ask("which cities were named in 2015?")``."""

    def __init__(self, settings: Settings, store: Store, embedder: Embedder) -> None:
        self.settings = settings
        self.embedder = embedder
        self._lock = threading.Lock()
        self._attach(store)
        self.generator: Generator = self.extractive
        self.use_generator(settings.generator)
        self.chain: Runnable = (
            RunnableLambda(self._prepare, name="rewrite")
            | RunnableLambda(self._retrieve, name="retrieve")
            | RunnableGenerator(self._answer, name="generate_and_cite")
        )

    def _attach(self, store: Store) -> None:
        """Build the index-dependent parts over ``store``."""
        s = self.settings
        self.store = store
        self.evidence = Evidence(cast("KeywordIndex", store.keyword))  # it reads only the KeywordStats part
        self.retriever = HybridRetriever(
            store, self.embedder, s.candidates, s.fusion, s.query_expansion, _reranker(s.rerank_model)
        )
        self.extractive = build_generator(FALLBACK, self._parts())
        self.clusters = Clusters.load(s.index_dir)  # reprints: one article per story in every result
        if not self.clusters.hashes and len(store):
            logger.info("no reprint clusters beside %s yet: the next `rag ingest` makes them", s.index_dir)

    @classmethod
    def load(cls, index_dir: str | Path | None = None, **overrides: Any) -> Assistant:
        """Open the index at ``index_dir`` with settings from defaults, ``rag.toml``, ``RAG_*`` and ``overrides``."""
        settings = Settings.load(**overrides).with_(index_dir=index_dir)
        embedder = get_embedder(settings.embedder)
        return cls(settings, open_store(settings.index_dir, embedder.id), embedder)

    def _parts(self, settings: Settings | None = None) -> Parts:
        """What a generator is built from, over the index attached now."""
        retriever = self.retriever
        return Parts(settings or self.settings, self.evidence, self.embedder, lambda: retriever.doc_dates)

    def use_generator(self, name: str, **llm: Any) -> None:
        """Switch generator at run time (a name of ``rag.generators.GENERATORS``); LLM settings may change too.

        A generator that cannot be built raises and leaves the current one (and the settings) in place."""
        settings = self.settings.with_(generator=name, **llm)
        generator = self.extractive if name == FALLBACK else build_generator(name, self._parts(settings))
        self.settings, self.generator = settings, generator

    def reload(self) -> None:
        """Pick up a new index version (after an ingest or a removal); the old one is closed once unused.

        Questions already running keep the version they hold (its retriever) and finish on it; its
        connections and files are released when the last of them lets go (``close_when_unused``)."""
        from .stores.base import close_when_unused

        with self._lock:
            was_extractive = self.generator is self.extractive
            old = self.store
            self._attach(open_store(self.settings.index_dir, self.embedder.id))
            if was_extractive:
                self.generator = self.extractive
        close_when_unused(old)

    def warm(self) -> None:
        """Load the lazy parts (tokenizer dictionaries, models) before the first real question."""
        self.ask("2015年哪些城市成为示范城市?")
        self.ask("which cities were named?")

    def ask(self, question: str, history: list[tuple[str, str]] | None = None, **kw: Any) -> Answer:
        """Answer a question; see ``stream`` for the keyword arguments."""
        *_, answer = self.stream(question, history, **kw)
        assert isinstance(answer, Answer)
        return answer

    def stream(
        self,
        question: str,
        history: list[tuple[str, str]] | None = None,
        k: int | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        as_of: str | date | None = None,
    ) -> Iterator[str | Answer]:
        """Yield answer text pieces as they come, then the final checked ``Answer``.

        ``as_of`` (``YYYY-MM-DD``, default today) is the day the question is asked on: 去年, 上周, last month
        and other relative expressions resolve against it."""
        q, warnings = clean_question(question)
        dates = check_date(date_from, "date_from"), check_date(date_to, "date_to")
        turn = Turn(q, list(history or []), k or self.settings.top_k, *dates, as_of=check_as_of(as_of), warnings=warnings)
        yield from self.chain.stream(turn)

    def search(
        self,
        question: str,
        k: int = 5,
        date_from: str | None = None,
        date_to: str | None = None,
        source: str | None = None,
        as_of: str | date | None = None,
    ) -> list[Hit]:
        """The best ``k`` passages for ``question``, analysed and retrieved exactly as ``ask`` does (time
        handling included); ``source`` keeps one outlet."""
        if k < 1:
            raise InputError(f"k must be >= 1, got {k}")
        q, _ = clean_question(question)
        dates = check_date(date_from, "date_from"), check_date(date_to, "date_to")
        turn = Turn(q, [], max(k, self.settings.candidates) if source else k, *dates, as_of=check_as_of(as_of))
        hits = self._retrieve(self._prepare(turn)).hits
        if source:
            hits = [h for h in hits if h.chunk.source == source]
        return hits[:k]

    def _prepare(self, turn: Turn) -> Turn:
        """Fold a short or referring follow-up into the previous question for retrieval."""
        turn.search_text = turn.question
        if turn.history:
            last = turn.history[-1][0]
            short = len(turn.question) < 12 or len(turn.question.split()) < 5 and not CJK.search(turn.question)
            if (short or _FOLLOW_UP.search(turn.question)) and not self._names_its_subject(turn):
                turn.search_text = f"{last} {turn.question}"
        return turn

    def _names_its_subject(self, turn: Turn) -> bool:
        """Whether the question is a timeline, count or comparison, which names its own subject (not a follow-up)."""
        own = temporal.plan(turn.question, turn.as_of) if self.settings.time_aware else None
        return own is not None and own.kind in temporal.RENDERED

    def _retrieve(self, turn: Turn) -> Turn:
        t = time.perf_counter()
        turn.plan = temporal.plan(turn.search_text, turn.as_of) if self.settings.time_aware else None
        # relative dates written out (去年7月 -> 2019年7月): what articles print, for keyword search and evidence
        text = absolutize(turn.search_text, turn.as_of) if turn.plan and turn.plan.range and turn.plan.range.relative else turn.search_text
        turn.query = self.retriever.analyze(text)
        if turn.plan and turn.plan.kind != "range":
            turn.dated = temporal.gather(turn.plan, self._search_text(turn), turn.k)
            turn.hits = turn.dated.hits
            if turn.plan.kind == "anchored":  # the anchor dated the search; the rest of the question is answered
                turn.query = self.retriever.analyze(turn.plan.rest)
        else:
            turn.query = _with_years(turn.query, turn.plan)
            turn.hits = self._search(turn.query, turn.k, turn.date_from, turn.date_to, turn.plan)
        turn.timings["retrieve_ms"] = _ms(t)
        return turn

    def _search(self, query: Query, k: int, date_from: str | None, date_to: str | None, plan: temporal.Plan | None) -> list[Hit]:
        """Retrieval, re-ranked by the question's date range when it has one (soft: undated articles stay)."""
        ranged = plan is not None and plan.range is not None
        wide = ranged or bool(self.clusters.cluster_of)  # re-ranked or de-duplicated: fetch more, then cut
        hits = self.retriever.search(query, max(k, self.settings.candidates) if wide else k, date_from, date_to)
        if ranged:
            hits = temporal.boost(hits, plan.range)  # type: ignore[union-attr]
        return self.clusters.dedupe(hits, k * LIST_WIDTH if query.is_list else k)

    def _search_text(self, turn: Turn) -> temporal.Search:
        """A text search for the temporal planner: each event, anchor or topic analysed and retrieved on its own."""

        def search(text: str, k: int, date_from: str | None, date_to: str | None) -> list[Hit]:
            query = self.retriever.analyze(text)
            wide = max(k, self.settings.candidates) if self.clusters.cluster_of else k
            return self.clusters.dedupe(self.retriever.search(query, wide, date_from or turn.date_from, date_to or turn.date_to), k)

        return search

    def _answer(self, turns: Iterator[Turn]) -> Iterator[str | Answer]:
        for turn in turns:
            yield from self._answer_one(turn)

    def _answer_one(self, turn: Turn) -> Iterator[str | Answer]:
        t = time.perf_counter()
        query, hits = turn.query, turn.hits
        assert query is not None
        pieces: list[str] = []
        generator = self.generator
        rendered = turn.plan is not None and turn.dated is not None and turn.plan.kind in temporal.RENDERED
        if rendered:  # which came first, same day, timeline, count: written from the dated evidence
            assert turn.plan is not None and turn.dated is not None
            generator, pieces = self.extractive, list(temporal.render(turn.plan, turn.dated, query.lang))
            summary = self._summary(turn, "".join(pieces)) if turn.plan.kind == "timeline" and pieces else ""
            if summary:  # an LLM's summary over the same dated evidence leads; the dated lines follow
                generator, pieces = self.generator, [summary + "\n", *pieces]
            yield from pieces
        elif hits:
            try:
                for piece in generator.generate(query, hits, turn.history):
                    pieces.append(piece)
                    yield piece
            except Exception as e:  # an LLM endpoint down, slow or broken must not break the answer
                logger.warning("generator %s failed: %s", generator.name, e)
                turn.warnings.append(f"{generator.name} generator failed ({_short(e)}); answered extractively instead")
                generator, pieces = self.extractive, list(self.extractive.generate(query, hits, turn.history))
                yield from pieces
        turn.timings["generate_ms"] = _ms(t)
        t = time.perf_counter()
        text = "".join(pieces).strip()
        checked = check(text, hits, self._similarity) if text and not _REFUSAL.search(text) else None
        own = None  # the model's own words: its answer without the quotes after it (a timeline summary: checked apart)
        if checked is not None and generator is not self.extractive:
            head = LEADS.split(text)[0]
            own = checked if rendered or head == text else check(head, hits, self._similarity)
        invented = unstated_figures(own.text, [c.text for c in own.citations], turn.question) if own and not rendered else []
        if own is not None and (not own.citations or invented):
            why = f"a figure no passage states ({', '.join(invented)})" if invented else "no supported citation"
            turn.warnings.append(f"{generator.name} answer had {why}; answered extractively instead")
            generator = self.extractive
            text = "".join(self.extractive.generate(query, hits, turn.history)).strip()
            checked = check(text, hits, self._similarity) if text else None
        turn.timings["verify_ms"] = _ms(t)
        turn.timings["total_ms"] = _ms(turn.started)
        if checked is None or not checked.citations:
            yield Answer(turn.question, NOT_FOUND[query.lang], [], True, see_also(hits), turn.warnings, turn.timings, generator.name)
            return
        warnings = turn.warnings + checked.warnings
        if checked.uncited:
            warnings.append(f"{checked.uncited} sentence(s) of the answer have no supporting citation")
        answer = Answer(turn.question, checked.text, checked.citations, False, [], warnings, turn.timings, generator.name)
        if rendered:
            answer.kind, answer.dated = turn.plan.kind, _dated(turn.plan.kind, turn.dated, checked.citations)  # type: ignore[union-attr]
        yield answer

    def _summary(self, turn: Turn, lines: str) -> str:
        """The chat generator's summary of a timeline's lines ('' with the extractive generator, or when the model
        fails or any of its sentences cites nothing the passages support: the dated lines then stand alone)."""
        summarize = getattr(self.generator, "summarize", None)
        if summarize is None or turn.query is None:
            return ""
        try:
            text = "".join(summarize(turn.query, lines)).strip()
        except Exception as e:  # an LLM endpoint down must not break the timeline
            turn.warnings.append(f"{self.generator.name} could not summarise the timeline ({_short(e)})")
            return ""
        marks = list(re.finditer(r"\[\d{1,3}\][。.！!；;]?", text))
        text = text[: marks[-1].end()] if marks else ""  # a summary cut by the token cap ends at its last citation
        checked = check(text, turn.hits, self._similarity) if text else None
        if checked is None or not checked.citations or checked.uncited or checked.warnings:
            turn.warnings.append(f"{self.generator.name} timeline summary had unsupported sentences; left out")
            return ""
        return text

    def _similarity(self, claims: list[str], passages: list[str]) -> Any:
        a = self.embedder.embed_queries(claims)
        b = self.embedder.embed_documents(passages)
        return (a * b).sum(axis=1)


def _dated(kind: str, ev: temporal.Evidence | None, citations: list[Citation]) -> list[Dated]:
    """The evidence's dated lines that the answer kept, with their citation numbers (renumbered by the check)."""
    if ev is None:
        return []
    by_chunk = {c.chunk_id: c.n for c in citations}
    out = []
    for event, n, day, s, e in ev.dated:
        hit = ev.hits[n - 1]
        if hit.chunk.chunk_id in by_chunk:
            out.append(Dated(event, day, by_chunk[hit.chunk.chunk_id], hit.chunk.text[s:e]))
    return out if kind in ("each", "count") else sorted(out, key=lambda d: d.date or "9999")  # as the answer says them


def check_as_of(value: str | date | None) -> date:
    """The day a question is asked on: a ``date``, ``YYYY-MM-DD`` or blank for today; anything else is an ``InputError``."""
    try:
        return parse_as_of(value)
    except ValueError as e:
        raise InputError(str(e)) from None


def _with_years(query: Query, plan: temporal.Plan | None) -> Query:
    """The question's resolved range and its years (so 去年 means the year before as_of, not before the archive's end)."""
    if plan is None or plan.range is None:
        return query
    lo, hi = plan.range.start.year, plan.range.end.year
    years = tuple(range(lo, hi + 1)) if 1 < lo and hi < 9999 and hi - lo <= 5 else ()
    return replace(query, years=years, range=plan.range)


def _reranker(model: str | None) -> Any:
    if not model:
        return None
    from sentence_transformers import CrossEncoder

    return CrossEncoder(model, device="cpu")


def _ms(t: float) -> float:
    return round((time.perf_counter() - t) * 1000, 1)


def _short(e: Exception) -> str:
    return f"{type(e).__name__}: {str(e)[:120]}"
