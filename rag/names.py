"""English or pinyin names -> the Chinese names of the archive: 'Shenzhen' -> 深圳, 'Chen Gang' -> 陈刚.

A pinyin index of the archive's names is built lazily from the keyword index's vocabulary (no index format change):
the words jieba's dictionary tags as a place, person, organisation or other proper noun, plus the two- and
three-character words jieba found outside its dictionary that start with a common surname (names it tagged as
people while indexing). Each is keyed by its toneless pinyin, also without a trailing administrative suffix
(深圳市 -> shenzhen).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Collection, Mapping
from functools import cache

logger = logging.getLogger(__name__)

_NAME_FLAGS = frozenset({"ns", "nr", "nt", "nz", "nrt", "nrfg"})
_SUFFIX = re.compile(r"(?:市|省|县|区|镇|乡|村|州)$")
_HAN = re.compile(r"^[\u4e00-\u9fff]{2,6}$")
_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪"
    "范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_MIN_KEY = 4  # pinyin keys shorter than this ('li', 'wang') match too much
_lock = threading.Lock()
_indexes: dict[int, tuple[Mapping[str, int], dict[str, tuple[str, ...]]]] = {}


@cache
def _tags() -> dict[str, str]:
    from .keyword import _jieba  # noqa: PLC2701 (the tagger's dictionary is jieba's own)

    _jieba()
    import jieba.posseg

    return jieba.posseg.dt.word_tag_tab


def _pinyin(word: str) -> str:
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(word)).lower()


def build(vocab: Collection[str]) -> dict[str, tuple[str, ...]]:
    """pinyin key -> the vocabulary's names with that reading (longest first)."""
    tags = _tags()
    table: dict[str, set[str]] = {}
    for word in vocab:
        if not _HAN.match(word):
            continue
        flag = tags.get(word)
        if flag in _NAME_FLAGS or (flag is None and len(word) <= 3 and word[0] in _SURNAMES):
            key = _pinyin(word)
            table.setdefault(key, set()).add(word)
            if _SUFFIX.search(word) and len(word) > 2:
                table.setdefault(_pinyin(word[:-1]), set()).add(word)
    return {k: tuple(sorted(v, key=len, reverse=True)) for k, v in table.items() if len(k) >= _MIN_KEY}


def index_for(vocab: Mapping[str, int] | Collection[str]) -> dict[str, tuple[str, ...]]:
    """The name index of ``vocab``, built once per vocabulary object."""
    with _lock:
        found = _indexes.get(id(vocab))
        if found is not None and found[0] is vocab:
            return found[1]
    table = build(vocab)
    logger.info("pinyin name index: %d readings from %d words", len(table), len(vocab))
    with _lock:
        if len(_indexes) > 8:
            _indexes.clear()
        _indexes[id(vocab)] = (vocab, table)  # type: ignore[assignment]
    return table


_CAPS = re.compile(r"[A-Z][a-z]+(?:[\s\-][A-Z][a-z]+){0,2}")


def lookup(text: str, vocab: Mapping[str, int] | Collection[str]) -> list[tuple[str, tuple[str, ...]]]:
    """(English name lower-cased, Chinese forms) for the capitalised names of ``text`` with a pinyin match.

    'Chen Gang' is tried as one name (chengang) before its words; a sentence's first word is skipped unless part
    of a longer name.
    """
    table = index_for(vocab)
    out: list[tuple[str, tuple[str, ...]]] = []
    for m in _CAPS.finditer(text):
        parts = re.split(r"[\s\-]", m.group(0))
        if m.start() == 0 and len(parts) == 1:
            continue
        whole = "".join(parts).lower()
        if whole in table:
            out.append((" ".join(parts).lower(), table[whole]))
            continue
        out += [(p.lower(), table[p.lower()]) for p in parts if p.lower() in table]
    return out


_MONTHS = ("January February March April May June July August September October November December").split()
_EN_DATE = re.compile(r"^(?:(\d{1,4})\s*年\s*)?(?:(\d{1,2})\s*月\s*(?:(\d{1,2})\s*[日号])?)?$")
_SPLIT = re.compile(r"、|和|及|与|，|,")


@cache
def _proper_glosses() -> dict[str, str]:
    """Simplified headword -> the English name CC-CEDICT gives it first ('南京' -> 'Nanjing')."""
    from .query import _NAMES, _glossary  # noqa: PLC2701 (one reading of CC-CEDICT for both directions)

    _glossary()
    out: dict[str, str] = {}
    for first, heads in _NAMES.items():
        for h in heads:
            out.setdefault(h, first.capitalize())
    return out


_ROMAN_MAX = 6  # characters of a name worth writing in pinyin


def english(short: str) -> str:
    """A short Chinese answer rendered for an English reader: 'Nanjing (南京), Nantong (南通)', '2 February 2015'."""
    date = _EN_DATE.match(short.replace(" ", ""))
    if date and any(date.groups()):
        y, mo, d = date.groups()
        if mo and 1 <= int(mo) <= 12:
            return " ".join(x for x in (d, _MONTHS[int(mo) - 1], y) if x) + f" ({short})"
        if y and not mo:
            return f"{y} ({short})"
    number = re.search(r"\d[\d,.]*", short)
    if number:
        return f"{number.group(0)} ({short})"
    parts = [p.strip() for p in _SPLIT.split(short) if p.strip()]
    return ", ".join(_rendered(p) for p in parts)


def _rendered(part: str) -> str:
    """'Nanjing (南京)'; a long name the dictionary does not know ('全国质量管理工作会议') stays Chinese: its
    pinyin run together reads as noise."""
    if len(part) > _ROMAN_MAX and not (_proper_glosses().get(part) or _proper_glosses().get(_SUFFIX.sub("", part))):
        return part
    return f"{_roman(part)} ({part})"


def _roman(word: str) -> str:
    glossed = _proper_glosses().get(word) or _proper_glosses().get(_SUFFIX.sub("", word))
    if glossed:
        return glossed
    from pypinyin import lazy_pinyin

    syll = [s for s in lazy_pinyin(word.replace("·", " ")) if s.strip()]
    if _tags().get(word) is None and len(word) in (2, 3) and word[0] in _SURNAMES:  # a person: 'Xu Qin'
        return f"{syll[0].capitalize()} {''.join(syll[1:]).capitalize()}"
    return "".join(syll).capitalize()
