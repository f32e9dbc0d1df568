"""Lexical evidence: how much of a question a sentence covers, weighted by IDF from the keyword index."""

from __future__ import annotations

import math
import re
from functools import cache

from .keyword import KeywordIndex, tokenize
from .query import Query, english_words, translations

_QUESTION_WORDS = frozenset(
    "哪些 哪个 哪位 哪里 哪儿 哪年 哪一年 什么 多少 几个 是否 怎么 怎样 如何 为什么 何时 谁 吗 呢 有哪些 分别 是谁 哪 "
    "什么样 什么时候 几 名单 包括 请问".split()
)
_NUMERAL = re.compile(r"\d|[一二三四五六七八九十百千万两]")
_DATE = re.compile(r"\d{1,4}\s*[年月日]|\d{4}-\d{1,2}|[一二三四五六七八九十]+月")
_PLACE = re.compile(r"[省市县区州镇村]|中心|宾馆|酒店|会堂|大厦|广场|园区|博览|会场|礼堂")


class Evidence:
    """Scores sentences against a question: IDF-weighted coverage of its terms, with answer-type checks."""

    def __init__(self, keyword: KeywordIndex) -> None:
        self.keyword = keyword

    def terms(self, query: Query) -> list[tuple[float, tuple[str, ...]]]:
        """The question's content terms as (IDF weight, alternatives); question words dropped.

        A Chinese question gives one term per jieba word or bigram; an English one gives one term per
        English word that has indexed Chinese translations (any translation counts as a match), plus years.
        """
        if query.lang == "zh":
            toks = [t for t in dict.fromkeys(tokenize(query.text)) if not _is_question_word(t)]
            return [(self.idf(t), (t,)) for t in toks]
        groups = [tuple(zh) for zh in translations(query.text, self.keyword.vocab).values()]
        groups += [(w,) for w in english_words(query.text) if w in self.keyword.vocab]
        groups += [(str(y),) for y in query.years]
        return [(max(self.idf(t) for t in g), g) for g in dict.fromkeys(groups)]

    def idf(self, token: str) -> float:
        df, n = self.keyword.df(token), max(self.keyword.size, 1)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    @staticmethod
    def coverage(terms: list[tuple[float, tuple[str, ...]]], text: str) -> float:
        """Share of the question's term weight found in ``text`` (0..1)."""
        total = sum(w for w, _ in terms)
        if not total:
            return 0.0
        low = text.lower()
        return sum(w for w, alts in terms if any(a in low for a in alts)) / total

    @staticmethod
    def fits_type(answer_type: str | None, text: str) -> bool:
        """Whether ``text`` could hold the kind of answer asked for (a number, date, person or place)."""
        if answer_type == "number":
            return bool(_NUMERAL.search(text))
        if answer_type == "date":
            return bool(_DATE.search(text))
        if answer_type == "place":
            return bool(_PLACE.search(text))
        if answer_type == "person":
            return _has_person(text)
        return True


def _is_question_word(token: str) -> bool:
    return token in _QUESTION_WORDS or any(w in token for w in ("哪", "什么", "多少"))


def _has_person(text: str) -> bool:
    return any(flag == "nr" for _, flag in _posseg(text))


@cache
def _posseg_module():  # type: ignore[no-untyped-def]
    from .keyword import _jieba

    _jieba()
    import jieba.posseg

    return jieba.posseg


def _posseg(text: str) -> list[tuple[str, str]]:
    return [(p.word, p.flag) for p in _posseg_module().lcut(text)]
