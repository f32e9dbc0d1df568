"""The extractive generator: no LLM, the passages' best-supported sentences, each with its [n]."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import numpy as np

from ..chunk import sentences
from ..embedders import Embedder
from ..evidence import Evidence
from ..names import english
from ..query import CJK, Query
from ..select import EMBED_CHARS, EMBED_LIMIT, MIN_CHARS, Embed, Selector, default_selector, featurize, window, with_title, year_ok
from ..short import short_answer
from ..temporal import stated_dates, states_other
from ..types import Hit
from .base import DocYears, Parts

logger = logging.getLogger(__name__)

_ENDS_SENTENCE = re.compile(r"[。！？；!?;][”’」』）)】》\"']*$")
MIN_COVERAGE = {"zh": 0.55, "en": 0.50}  # rules: share of the question's term weight a sentence (with its neighbours,
# article) must cover, by the question's language; chosen on the dev halves by answers + negative rejection
# (news_public 150 with 150 negatives, reading 300/150, ChronoQA 400/200): with bigrams of function characters left
# out of a Chinese question's terms ('点是'), 0.55 beats the 0.50 before on every set (answers 0.720 / 0.628 / 0.790
# -> 0.740 / 0.631 / 0.796, rejection 0.673 / 0.913 / 0.895 -> 0.700 / 0.927 / 0.901); 0.50 with them out:
# news_public and ChronoQA rejection 0.647 / 0.851, 0.525: ChronoQA 0.878. English terms did not change: 0.50.
LIST_SLACK = 0.05  # rules: a list is gathered from several reports, each naming fewer of the question's words (no
# change on the dev halves, which hold few lists; '黄国梁出席了哪些会议' needs both of his reports)
LIST_BONUS = 0.2  # rules: for a sentence that enumerates what a list question asks for
EN_LEAD = {True: "From the archive (quoted in Chinese):\n", False: "From the archive:\n"}  # by whether a quote is Chinese
ZH_LEAD = "原文：\n"  # before the quotes that follow an LLM's answer (the extractive short line needs none)
SIMILAR_PASSAGES = 4  # when the rules refuse: sentences of the best passages only (each is embedded)
SIMILAR_COVERAGE = 0.1  # their score: e5 similarity to the question + this x lexical coverage of its (translated) terms
SIMILAR_RANK = 0.01  # ... - this x the passage's rank (0-based)
SIMILAR_MARGIN = {"en": 0.085, "zh": 0.107}  # answered when the best beats the median candidate by this much, by question
# language, for rejection 0.95 on dev: English over Chinese, reading (XQuAD, 250); Chinese, reading (XQuAD, 250) and
# news_public (125) pooled
SIMILAR_TYPED = {"en": ("organisation",), "zh": ("number", "date")}  # answer types whose sentence must fit the type
# (on the same dev data each other type's check cost more answers than it saved refusals)
ORDER_WEIGHT = 0.5  # rules: the sentences that pass are re-ordered by e5 similarity to the question, each losing this x
# its gap to the most similar one; which passing sentence is quoted first changes, not whether one passes. Dev halves,
# 200 per set (news_public 150, reading 201, ChronoQA 91 scorable): answers 0.740 / 0.607 / 0.802 -> 0.767 / 0.607 /
# 0.824 at 0.5 (0.25, 1 and 2 within one question of it), no question lost; +80 ms p50 for the embedding
BARE_WEIGHT = 0.1  # rules: + this x the sentence's own coverage without its article's title, which every sentence of
# the article shares ('阿里巴巴投资圆通速递' titles both the 66亿元 sentence and its neighbour on a share issue); a day
# asked about counts only for a sentence that states no other day. Dev, 300 per set: answers news_public 0.767 ->
# 0.773, ChronoQA 0.809 -> 0.816, reading 0.631 unchanged; short line 0.440 -> 0.453, 0.654 -> 0.662, 0.249 unchanged.
# Whole ChronoQA dev half: answers 0.858 -> 0.866, short line 0.686 -> 0.695. 0.05: less on news; 0.15 and 0.3 cost
# reading answers (0.3: news_public 0.753)
ORDER_TOP = 8  # ... the best-covered this many are re-ordered (4: one news question less; 12: the same as 8)
CROSS_SHORT_TYPES = ("date", "number")  # an English question answered by similarity from a Chinese sentence: the short
# answers read from it without the question's words to frame them (reading dev, 300: 4 of 4 dates and counts right,
# 0 of 4 names: a who reads the nearest name, not the one asked for)
LEADS = re.compile(r"^(?:原文：|From the archive(?: \(quoted in Chinese\))?:)$", re.M)  # where an answer's quotes begin


@dataclass(frozen=True)
class Scored:
    """A chosen sentence: passage number, span within the passage text, and the selector's probability."""

    n: int
    start: int
    end: int
    score: float
    similar: bool = False  # chosen by similarity to the question (where the rules refused), not by word overlap

    def text(self, passages: list[Hit]) -> str:
        return passages[self.n - 1].chunk.text[self.start : self.end]


def embed_with(embedder: Embedder) -> Embed:
    """The (queries, sentences) -> vectors function the selector needs, from an embedder."""
    return lambda queries, texts: (embedder.embed_queries(queries), embedder.embed_documents(texts))


class ExtractiveGenerator:
    """No LLM: answers with the passages' best-supported sentences, each followed by its [n].

    By default sentences are chosen by the hand rules (IDF coverage of the question's terms, answer-type fit, the
    names and titles it requires) and, where they refuse, by their e5 similarity to the question when one sentence
    stands out (``_select_similar``); with ``learned`` by the learned selector (``rag.select``). When the question
    names a year, only articles published in or mentioning that year are read. Nothing passes: no answer.
    """

    name = "extractive"

    def __init__(
        self,
        evidence: Evidence,
        embed: Embed | None = None,
        selector: Selector | None = None,
        max_sentences: int = 2,
        embed_limit: int = EMBED_LIMIT,
        learned: bool = False,
        min_coverage: dict[str, float] | None = None,
        min_own: float = 0.3,
        context_weight: float = 0.4,
        keep_ratio: float = 0.85,
        doc_years: Callable[[], DocYears] | None = None,
    ) -> None:
        if max_sentences < 1:
            raise ValueError(f"max_sentences must be >= 1, got {max_sentences}")
        min_coverage = {**MIN_COVERAGE, **(min_coverage or {})}
        if not all(0 < v <= 1 for v in min_coverage.values()):
            raise ValueError(f"min_coverage must be in (0, 1], got {min_coverage}")
        self.evidence = evidence
        self.embed = embed
        self.learned = learned
        self._selector = selector
        self.max_sentences = max_sentences
        self.embed_limit = embed_limit
        self.min_coverage = min_coverage
        self.min_own = min_own
        self.context_weight = context_weight
        self.keep_ratio = keep_ratio
        self.doc_years = doc_years or dict  # each document's (date, years): the year filter reads it

    @property
    def selector(self) -> Selector:
        """The learned selector (the shipped model unless one was given), read on first use."""
        if self._selector is None:
            self._selector = default_selector()
        return self._selector

    def select(self, query: Query, passages: list[Hit], doc_years: dict[str, tuple[str | None, list[int]]]) -> list[Scored]:
        """The sentences to answer with, best first (empty: refuse): by the learned selector or the hand rules."""
        if not self.learned:
            chosen = self._select_rules(query, passages, doc_years)
            if not chosen and self.embed and (_cross(query, passages) or query.lang == "zh" and not query.is_list):
                chosen = self._select_similar(query, passages, doc_years)  # the rules found too few shared words
            return chosen
        return self._select_learned(query, passages, doc_years)

    def _readable(self, query: Query, hit: Hit, doc_years: dict[str, tuple[str | None, list[int]]]) -> bool:
        """Whether a passage may answer: its article is of a year asked about, and not dated away from a day asked."""
        dated_ok = not query.years or year_ok(query.years, doc_years.get(hit.chunk.doc_id, (None, [])))
        return dated_ok and not self.evidence.off_range(query, hit)

    def _select_learned(self, query: Query, passages: list[Hit], doc_years: dict[str, tuple[str | None, list[int]]]) -> list[Scored]:
        """The learned selector (``rag.select``): the best candidate answers when its probability passes the threshold."""
        keep = [i for i, h in enumerate(passages) if self._readable(query, h, doc_years)]
        cands, x = featurize(self.evidence, query, [passages[i] for i in keep], doc_years, self.embed, self.embed_limit)
        if not cands:
            return []
        p = self.selector.probabilities(x)
        order = np.argsort(-p, kind="stable")
        best = float(p[order[0]])
        cross = query.lang == "en" and bool(CJK.search(cands[order[0]].text([passages[i] for i in keep])))
        threshold = self.selector.threshold_for("en-zh" if cross else query.lang)
        if self.selector.confidence(p, x) < threshold:
            return []
        limit = self.max_sentences + (1 if query.is_list else 0)
        floor = self.selector.second_ratio * best
        chosen: list[tuple[Scored, str]] = []
        for i in order:
            if len(chosen) == limit or p[i] < floor:
                break
            c = cands[i]
            scored = Scored(keep[c.n - 1] + 1, c.start, c.end, float(p[i]))
            sent = scored.text(passages)
            if not any(sent in other or other in sent for _, other in chosen):  # the same report in two articles
                chosen.append((scored, sent))
        return [s for s, _ in chosen]

    def _select_similar(self, query: Query, passages: list[Hit], doc_years: dict[str, tuple[str | None, list[int]]]) -> list[Scored]:
        """When the rules refuse (too few of the question's words, or of their translations, in any sentence): the
        sentences of the best passages ranked by the e5 similarity of question and sentence (the model is
        cross-lingual: an English question meets a Chinese sentence) plus a little lexical coverage, answered when the
        best stands out from the rest of the candidates (its score minus the median >= ``SIMILAR_MARGIN``): passages
        that do not answer a question have no sentence that stands out. A list is left to the rules in Chinese."""
        assert self.embed is not None
        kept = [(n, h) for n, h in enumerate(passages[:SIMILAR_PASSAGES], 1) if self._readable(query, h, doc_years)]
        terms = self.evidence.terms(query, [with_title(h.chunk.text, h) for _, h in kept])
        required = self.evidence.required(query)
        cands: list[tuple[int, int, int, float]] = []
        texts: list[str] = []
        named: list[bool] = []  # names what the question requires (names, a title: in the sentence or a neighbour) and,
        # for the ``SIMILAR_TYPED`` answer types, holds that kind of answer
        seen: set[str] = set()
        for n, hit in kept:
            text = hit.chunk.text
            spans = sentences(text)
            for i, (s, e) in enumerate(spans):
                sent = text[s:e]
                if len(sent) >= MIN_CHARS and sent not in seen:
                    seen.add(sent)
                    cands.append((n, s, e, self.evidence.coverage(terms, with_title(sent, hit))))
                    texts.append(sent[:EMBED_CHARS])
                    around = with_title(window(text, spans, i), hit).lower()
                    named.append(all(any(a in around for a in alts) for alts in required)
                                 and (query.answer_type not in SIMILAR_TYPED[query.lang] or self.evidence.fits(query, sent))
                                 and not self.evidence.elsewhen(query, sent, hit))
        if len(cands) < 3:  # too few to tell a standout from the rest
            return []
        qv, sv = self.embed([query.text], texts)
        sims = sv @ qv[0]
        score = sims + np.array([SIMILAR_COVERAGE * cov - SIMILAR_RANK * (n - 1) for n, _, _, cov in cands])
        margin = score - np.median(score)
        order = [i for i in np.argsort(-score, kind="stable") if named[i] and margin[i] >= SIMILAR_MARGIN[query.lang]]
        return [Scored(cands[i][0], cands[i][1], cands[i][2], float(score[i]), similar=True) for i in order[: self.max_sentences]]

    def _select_rules(self, query: Query, passages: list[Hit], doc_years: dict[str, tuple[str | None, list[int]]]) -> list[Scored]:
        """The hand-set rules: IDF coverage >= ``min_coverage``, type fit, required names (before the learned selector)."""
        terms = self.evidence.terms(query, [with_title(h.chunk.text, h) for h in passages])
        required = self.evidence.required(query)
        nouns = self.evidence.list_nouns(query)
        scored: list[Scored] = []
        seen: set[str] = set()
        for n, hit in enumerate(passages, 1):
            if not self._readable(query, hit, doc_years):
                continue
            text = hit.chunk.text
            dated = self.evidence.in_range(query, hit)
            context = self.evidence.coverage(terms, with_title(text, hit), dated)
            spans = sentences(text)
            for i, (s, e) in enumerate(spans):
                sent = text[s:e]
                if sent in seen or len(sent) < 6:
                    continue
                seen.add(sent)
                around = window(text, spans, i)
                named = around if query.is_list else sent  # one item of a list: its sentence or a neighbour names who
                if not all(any(a in with_title(named, hit).lower() for a in alts) for alts in required):
                    continue
                if nouns and not any(noun in sent for noun in nouns):
                    continue
                own = self.evidence.coverage(terms, with_title(sent, hit), dated)
                near = self.evidence.coverage(terms, with_title(around, hit), dated)
                cov = (1 - self.context_weight) * (own + near) / 2 + self.context_weight * context
                floor = self.min_coverage[query.lang] - (LIST_SLACK if query.is_list else 0.0)
                if (cov >= floor and near >= self.min_own and self.evidence.fits(query, sent)
                        and not self.evidence.elsewhen(query, sent, hit)):
                    bonus = LIST_BONUS if self.evidence.enumerates(nouns, sent) else 0.0
                    told = dated and not (query.range is not None and states_other(sent, hit.chunk.date, query.range))
                    bare = self.evidence.coverage(terms, sent, told)
                    scored.append(Scored(n, s, e, cov + bonus + BARE_WEIGHT * bare - 0.01 * n))
        if not scored:
            return []
        scored.sort(key=lambda x: x.score, reverse=True)
        if self.embed and ORDER_WEIGHT and not query.is_list:
            scored = self._order_by_similarity(query, scored, passages)
        limit = self.max_sentences + (1 if query.is_list else 0)
        first_doc = passages[scored[0].n - 1].chunk.doc_id
        top = [x for x in scored if x.score >= self.keep_ratio * scored[0].score
               or query.is_list and nouns and passages[x.n - 1].chunk.doc_id != first_doc  # another article's items
               and self.evidence.enumerates(nouns, x.text(passages))]
        if query.is_list and nouns:  # a list gathered across articles: another article's enumeration before more of the first's
            top = top[:1] + sorted(top[1:], key=lambda x: (passages[x.n - 1].chunk.doc_id == first_doc
                                                            or not self.evidence.enumerates(nouns, x.text(passages))))
        chosen: list[tuple[Scored, str]] = []
        for x in top:
            sent = x.text(passages)
            if len(chosen) == limit:
                break
            if not any(sent in other or other in sent for _, other in chosen):  # the same report in two articles
                chosen.append((x, sent))
        return [x for x, _ in chosen]

    def _order_by_similarity(self, query: Query, scored: list[Scored], passages: list[Hit]) -> list[Scored]:
        """The best-covered sentences that may be quoted (within ``keep_ratio`` of the best) re-ordered by their e5
        similarity to the question, as a penalty below the most similar one (``ORDER_WEIGHT`` x the gap): which passing
        sentence is quoted first, not whether one passes. With one such sentence nothing is embedded."""
        assert self.embed is not None
        head = [x for x in scored[:ORDER_TOP] if x.score >= self.keep_ratio * scored[0].score]  # those that may be quoted
        if len(head) < 2:
            return scored
        qv, sv = self.embed([query.text], [x.text(passages)[:EMBED_CHARS] for x in head])
        sims = sv @ qv[0]
        best = float(sims.max())
        head = [replace(x, score=x.score - ORDER_WEIGHT * (best - float(s))) for x, s in zip(head, sims)]
        return sorted(head, key=lambda x: x.score, reverse=True)

    def generate(
        self,
        query: Query,
        passages: list[Hit],
        history: list[tuple[str, str]] | None = None,
        doc_years: dict[str, tuple[str | None, list[int]]] | None = None,
    ) -> Iterator[str]:
        chosen = self.select(query, passages, self.doc_years() if doc_years is None else doc_years)
        if not chosen:
            return
        quotes = [(x.n, x.text(passages)) for x in chosen]
        unread = chosen[0].similar and _cross(query, passages) and query.answer_type not in CROSS_SHORT_TYPES
        parts = [] if unread else self._short_parts(query, quotes, passages)
        if not parts and query.lang == "en" and query.answer_type and not CJK.search(quotes[0][1]):
            return  # an English quote from which no answer of the kind asked can be read (a who with no name) is no answer
        if parts:
            shown = [(english(s) if query.lang == "en" and CJK.search(s) else s, n) for s, n in parts]  # for an English reader
            cited = ("; " if query.lang == "en" else "；").join(f"{s} [{n}]" if query.lang == "en" else f"{s}[{n}]" for s, n in shown)
            yield (f"Answer: {cited}" if query.lang == "en" else f"答：{cited}") + "\n"
        yield from quote_lines(query, quotes)


    @staticmethod
    def _short_parts(query: Query, quotes: list[tuple[int, str]], passages: list[Hit]) -> list[tuple[str, int]]:
        """The short answer with its citation; for a list, each other article's items too, each part cited by its
        own article ('南京、南通[1]；深圳、成都[2]')."""
        first = short_answer(query, quotes[0][1])
        if not first:
            return []
        if query.answer_type == "date":
            first = _with_year(first, quotes[0][1], passages[quotes[0][0] - 1].chunk.date)
        parts, docs = [(first, quotes[0][0])], {passages[quotes[0][0] - 1].chunk.doc_id}
        if query.is_list:
            for n, sent in quotes[1:]:
                doc = passages[n - 1].chunk.doc_id
                more = short_answer(query, sent) if doc not in docs else None
                if more and more not in first and first not in more:
                    parts.append((more, n))
                    docs.add(doc)
        return parts


_YEARLESS = re.compile(r"\d{1,2}\s*月(?:\s*\d{1,2}\s*[日号])?")


def _with_year(answer: str, sentence: str, article_date: str | None) -> str:
    """A date answered without its year ('7月10日') with the year it has in its article ('2019年7月10日'): in an
    archive of many years the day alone says little. Unchanged when the article gives no year."""
    if not _YEARLESS.match(answer) or "年" in answer:
        return answer
    year = next((r.start.year for r in stated_dates(sentence, article_date) if answer in r.text or r.text in answer), None)
    return f"{year}年{answer}" if year else answer


def _cross(query: Query, passages: list[Hit]) -> bool:
    """An English question over Chinese text. When the rules refuse it, its sentences are chosen by similarity, with a
    short answer line only for a date or a count (``CROSS_SHORT_TYPES``)."""
    return query.lang == "en" and bool(passages) and bool(CJK.search(passages[0].chunk.text))


def quote_lines(query: Query, quotes: list[tuple[int, str]], lead_zh: bool = False) -> Iterator[str]:
    """The supporting quotes, each followed by its [n]; for an English question under a line saying so (and for a
    Chinese one under 原文： when ``lead_zh``, as after an LLM's answer)."""
    if query.lang == "en":
        yield EN_LEAD[any(CJK.search(sent) for _, sent in quotes)]
    elif lead_zh:
        yield ZH_LEAD
    for n, sent in quotes:
        yield sent + f"[{n}]" + ("" if _ENDS_SENTENCE.search(sent) else "\n")


def build(parts: Parts) -> ExtractiveGenerator:
    """The registry's constructor: the extractive generator over the open index."""
    learned = parts.settings.answer_selector == "learned"
    return ExtractiveGenerator(parts.evidence, embed_with(parts.embedder), learned=learned, doc_years=parts.doc_years)
